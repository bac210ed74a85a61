// SPDX-License-Identifier: GPL-2.0
/*
 * A producer for the fleet tests (tests/fleet/fleet.sh): a run replayed
 * into the real NATS sink (lib/sink-nats.c) at a kernel's pace.  Each
 * CPU's "writer" fills a sub-buffer every 1/RATE s into a ring of
 * n_subbufs; the drain loop hands full ones to the sink as frames.  A
 * sink that blocks (a full spool) stops the drain: a full ring then
 * drops the sub-buffer's records, counted as relayfs counts them
 * (cumulative drops on the next sub-buffer, the counters at the end),
 * so the SPEC equations hold and every loss is placed in time.
 *
 *   fleet-pub --sink URL|file:DIR|spool:DIR --host H --cpus C --frames N
 *             --rate R
 *             [--records K] [--record-size B] [-z LEVEL] [NATS options]
 *
 * Record j of sub-buffer s of CPU c is the line "c <c> s <s> r <j>"
 * padded with '.' to B bytes (fleet-check verifies each).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <nats/nats.h>
#include "fleet.h"
#include "format.h"

#define MAXCPU	16

struct cpu {
	uint64_t produced, enqueued, sent, dropped_recs;
	uint64_t head_t[4096], head_drops[4096];	/* ring: close, drops */
	uint64_t last_t;
};

static volatile sig_atomic_t abort_flag;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void fill(uint8_t *p, unsigned int cpu, uint64_t seq,
		 unsigned int recs, unsigned int size)
{
	unsigned int j;

	for (j = 0; j < recs; j++) {
		char *r = (char *)p + (size_t)j * size;
		int n = snprintf(r, size, "c %u s %llu r %u", cpu,
				 (unsigned long long)seq, j);

		memset(r + n, '.', size - n - 1);
		r[size - 1] = '\n';
	}
}

/*
 * --poison N [--poison-from K]: N messages of one run (pseq K to K+N-1)
 * with every header
 * a relayfs message has and a body that is no relayfs block, for the
 * consumer to reject (each one, and carry on).
 */
static int publish_poison(const struct relay_nats_opts *o, const char *host,
			  int from, int n)
{
	struct relay_nats *nc;
	char e[600], subj[300], num[24];
	int i, bad = 0;

	if (relay_nats_connect(o, &nc, e, sizeof(e))) {
		fprintf(stderr, "fleet-pub: %s\n", e);
		return 4;
	}
	snprintf(subj, sizeof(subj), "%s.%s.fleetapp.run", o->subject, host);
	for (i = from; i < from + n; i++) {
		jsPubAck *pa = NULL;
		natsMsg *m = NULL;
		natsStatus st;

		snprintf(num, sizeof(num), "%d", i);
		st = natsMsg_Create(&m, subj, NULL, "GARBAGE, NOT A BLOCK", 20);
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Relay-Host", host);
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Relay-App", "fleetapp");
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Relay-Base", "fleetapp");
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Relay-Run",
				"00112233445566778899aabbccddeeff");
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Relay-Pseq", num);
		if (st == NATS_OK)
			st = natsMsgHeader_Set(m, "Relay-Kind",
					       i ? "frame" : "run");
		if (st == NATS_OK)
			st = js_PublishMsg(&pa, relay_nats_js(nc), m, NULL,
					   NULL);
		jsPubAck_Destroy(pa);
		natsMsg_Destroy(m);
		bad += st != NATS_OK;
	}
	relay_nats_close(nc);
	printf("poison: %d messages published\n", n - bad);
	return bad ? 1 : 0;
}

/*
 * --sink spool:DIR: every message into a spool as the NATS sink spools
 * it while the cluster is away, left behind (nothing acknowledged),
 * for relay-merge and fleet-check to read.
 */
struct spool_out {
	const char *dir;
	struct relay_spool *sp;
	uint64_t pseq, frames, bytes;
};

static int spool_put(struct spool_out *o, unsigned int kind,
		     unsigned int cpu, uint64_t seq, uint8_t *b, size_t len)
{
	struct relay_spool_item it = { .pseq = o->pseq++, .kind = kind,
				       .cpu = cpu, .seq = seq, .body = b,
				       .len = len };
	int err = relay_spool_add(o->sp, &it);

	free(b);
	return err;
}

static int spool_begin(void *ctx, const struct relay_run_header *h)
{
	struct spool_out *o = ctx;
	uint8_t *b;
	size_t len;
	int err = relay_encode_run(h, &b, &len);

	if (!err)
		err = relay_spool_open(o->dir, "fleetapp", b, len, 1ULL << 30,
				       &o->sp);
	if (err)
		return err;
	return spool_put(o, RELAY_MSG_RUN, 0, 0, b, len);
}

static int spool_frame(void *ctx, const struct relay_frame *f)
{
	struct spool_out *o = ctx;
	uint8_t *b = malloc(RELAY_FRAME_HDR_LEN + f->stored);

	if (!b)
		return -ENOMEM;
	relay_encode_frame(b, f, f->stored);
	memcpy(b + RELAY_FRAME_HDR_LEN, f->payload, f->stored);
	o->frames++;
	o->bytes += f->len;
	return spool_put(o, RELAY_MSG_FRAME, f->cpu, f->seq, b,
			 RELAY_FRAME_HDR_LEN + f->stored);
}

static int spool_end(void *ctx, const struct relay_cpu_counters *c,
		     unsigned int n, uint32_t flags)
{
	struct spool_out *o = ctx;
	struct relay_trailer t = { .flags = flags, .frames = o->frames,
				   .bytes = o->bytes };
	uint8_t *b;
	size_t len;
	int err = relay_encode_end(c, n, &t, &b, &len);

	return err ? err : spool_put(o, RELAY_MSG_END, 0, 0, b, len);
}

static void spool_destroy(void *ctx)
{
	struct spool_out *o = ctx;

	relay_spool_close(o->sp, 1);	/* all unacknowledged: all stay */
}

static const struct relay_sink_ops spool_ops = {
	.size = sizeof(struct relay_sink_ops),
	.begin = spool_begin,
	.frame = spool_frame,
	.end = spool_end,
	.destroy = spool_destroy,
};

int main(int argc, char **argv)
{
	static const struct option own[] = {
		{ "sink", required_argument, NULL, 'u' },
		{ "host", required_argument, NULL, 'H' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "frames", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "records", required_argument, NULL, 'k' },
		{ "record-size", required_argument, NULL, 'b' },
		{ "n-subbufs", required_argument, NULL, 'n' },
		{ "compress", required_argument, NULL, 'z' },
		{ "poison", required_argument, NULL, 'p' },
		{ "poison-from", required_argument, NULL, 'P' },
		{ 0 }
	};
	struct option *opts = relay_nats_merge_longopts(own);
	struct relay_nats_opts no;
	struct relay_nats_out out;
	struct relay_nats_stats st;
	struct relay_run_header h = {
		.version = RELAY_FORMAT_VERSION, .kernel = "fleet-pub",
		.app = "fleetapp", .base = "fleetapp", .tool = "fleet-pub",
		.library = relay_version(), .cmdline = "fleet-pub",
	};
	struct relay_cpu_counters ctr[MAXCPU];
	static struct cpu cpu[MAXCPU];
	unsigned int cpus = 2, recs = 16, size = 64, nsub = 1024, i;
	uint64_t frames = 100, t0, now, total = 0, dropped = 0, t_end;
	double rate = 100;
	int opt, z = 0, err, done, poison = 0, poison_from = 0;
	char e[600];
	struct timespec ts;
	uint8_t *buf;

	relay_nats_opts_init(&no);
	no.abort = &abort_flag;
	h.host = "fleet-host";
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'u': no.url = optarg; break;
		case 'H': h.host = optarg; break;
		case 'c': cpus = atoi(optarg); break;
		case 'f': frames = strtoull(optarg, NULL, 10); break;
		case 'r': rate = atof(optarg); break;
		case 'k': recs = atoi(optarg); break;
		case 'b': size = atoi(optarg); break;
		case 'n': nsub = atoi(optarg); break;
		case 'z': z = atoi(optarg); break;
		case 'p': poison = atoi(optarg); break;
		case 'P': poison_from = atoi(optarg); break;
		default:
			if (opt >= RELAY_NOPT_SUBJECT && opt < RELAY_NOPT_END &&
			    !relay_nats_parse(&no, opt, optarg, e, sizeof(e)))
				break;
			fprintf(stderr, "fleet-pub: bad option\n");
			return 2;
		}
	}
	if (!cpus || cpus > MAXCPU || nsub < 2 || nsub > 4096 || size < 32 ||
	    !recs || rate <= 0 || !no.url ||
	    (strncmp(no.url, "file:", 5) && strncmp(no.url, "spool:", 6) &&
	     relay_nats_check(&no, e, sizeof(e)))) {
		fprintf(stderr, "fleet-pub: bad arguments %s\n", e);
		return 2;
	}
	free(opts);
	if (poison)
		return publish_poison(&no, h.host, poison_from, poison);
	if (!strncmp(no.url, "spool:", 6)) {
		static struct spool_out so;

		so.dir = no.url + 6;
		memset(&out, 0, sizeof(out));
		if (relay_sink_new(&spool_ops, &so, &out.sink))
			return 1;
	} else if (!strncmp(no.url, "file:", 5)) {
		/* The local files sink, to compare (docs/fleet.md). */
		struct relay_file_opts fo = { .size = sizeof(fo),
					      .dir = no.url + 5,
					      .name = "fleetapp",
					      .compressed = z > 0 };
		struct relay_sink *fs;

		memset(&out, 0, sizeof(out));
		err = relay_sink_files(&fo, &fs);
		if (!err && z)
			err = relay_sink_zstd(z, 0, fs, &out.sink);
		else if (!err)
			out.sink = fs;
		if (err)
			return 1;
	} else if (relay_nats_out_open(&no, z, &out, e, sizeof(e))) {
		fprintf(stderr, "fleet-pub: %s\n", e);
		return RELAY_EXIT_NATS;
	}
	h.ncpus = cpus;
	h.subbuf_size = recs * size;
	h.n_subbufs = nsub;
	if (z)
		h.flags |= RELAY_HDR_COMPRESSED;
	if (getrandom(h.run_id, sizeof(h.run_id), 0) != sizeof(h.run_id))
		return 1;
	t0 = mono_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* The frames' times are CLOCK_MONOTONIC: anchored so. */
	h.flags |= RELAY_HDR_ANCHOR;
	h.anchor.version = 1;
	h.anchor.local_ns = h.anchor.monotonic_ns = t0;
	h.anchor.realtime_ns = h.start_ns;
	h.anchor.boottime_ns = t0;
	buf = malloc((size_t)recs * size);
	err = buf ? relay_sink_begin(out.sink, &h) : -ENOMEM;
	for (done = 0; !err && !done;) {
		now = mono_ns();
		done = 1;
		for (i = 0; i < cpus; i++) {
			struct cpu *c = &cpu[i];
			uint64_t due = (uint64_t)((now - t0) / 1e9 * rate);

			if (due > frames)
				due = frames;
			/* The writer: full sub-buffers, or drops. */
			for (; c->produced < due; c->produced++) {
				uint64_t t = t0 + (c->produced + 1) * 1e9 / rate;

				if (c->enqueued - c->sent < nsub) {
					c->head_t[c->enqueued % 4096] = t;
					c->head_drops[c->enqueued % 4096] =
						c->dropped_recs;
					c->enqueued++;
				} else {
					c->dropped_recs += recs;
				}
			}
			/* The drain: one sub-buffer of this CPU. */
			if (c->sent < c->enqueued) {
				uint64_t s = c->sent;
				struct relay_frame f = {
					.cpu = i, .seq = s,
					.t_open = s ? c->last_t : t0,
					.t_close = c->head_t[s % 4096],
					.drops = c->head_drops[s % 4096],
					.records = recs,
					.bytes = (uint64_t)recs * size,
					.payload = buf,
					.len = (size_t)recs * size,
					.stored = (size_t)recs * size,
				};

				fill(buf, i, s, recs, size);
				c->last_t = f.t_close;
				c->sent++;
				err = relay_sink_frame(out.sink, &f);
				if (err)
					break;
			}
			if (c->produced < frames || c->sent < c->enqueued)
				done = 0;
		}
		if (!done)
			usleep(200);
	}
	for (i = 0; i < cpus; i++) {
		struct relayfs_buf_stats *s = &ctr[i].stats;

		memset(&ctr[i], 0, sizeof(ctr[i]));
		ctr[i].cpu = i;
		s->attempted_records = frames * recs;
		s->dropped_records = cpu[i].dropped_recs;
		s->accepted_records = cpu[i].enqueued * recs;
		s->consumed_records = cpu[i].sent * recs;
		s->unread_records = s->accepted_records - s->consumed_records;
		s->accepted_bytes = s->accepted_records * size;
		s->consumed_bytes = s->consumed_records * size;
		s->subbufs_produced = cpu[i].enqueued;
		s->subbufs_consumed = cpu[i].sent;
		ctr[i].frames = cpu[i].sent;
		ctr[i].bytes = cpu[i].sent * recs * size;
		total += frames * recs;
		dropped += cpu[i].dropped_recs;
	}
	if (!err)
		err = relay_sink_end(out.sink, ctr, cpus, 0);
	t_end = mono_ns();
	memset(&st, 0, sizeof(st));
	if (out.ctx)
		relay_nats_sink_stats(out.ctx, &st);
	printf("records %llu dropped %llu seconds %.3f ",
	       (unsigned long long)total, (unsigned long long)dropped,
	       (t_end - t0) / 1e9);
	relay_nats_stats_print(stdout, &st, 1);
	printf("\n");
	if (err)
		fprintf(stderr, "fleet-pub: %s\n", out.ctx &&
			relay_nats_sink_error(out.ctx) ?
			relay_nats_sink_error(out.ctx) :
			relay_sink_error(out.sink));
	free(buf);
	relay_nats_out_close(&out);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * relay-gather: the central side of fleet collection (relay-gather(1),
 * docs/fleet.md).  A durable JetStream pull consumer: every host's runs
 * into DIR/<host>/<app>/<base>.<run>.relay, each message's body appended
 * in the producer's order (Relay-Pseq) and acknowledged only once
 * written.  A message already written (redelivered, or sent twice from
 * a spool) is acknowledged and skipped; one that comes early is handed
 * back for later.  Instances sharing the durable share the work; a run
 * is written by the one holding its file's lock.  After a restart the
 * file itself says where its run stands.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <nats/nats.h>
#include "librelay.h"
#include "fleet.h"
#include "format.h"

static volatile sig_atomic_t stop_flag;

struct run {
	struct run *next;
	char key[96];		/* host/run */
	int fd;			/* -1: finished, or not ours */
	uint64_t next_pseq;
	int finished;
	int bad;		/* a message rejected: the rest is too */
	double last;		/* a message of it last seen */
};

struct gather {
	const char *dir;
	struct run *runs;
	uint64_t msgs, frames, written_bytes, dups, early, rejected;
	uint64_t runs_started, runs_finished, busy, closed;
	unsigned int nruns;
	double close_idle;	/* runs quiet this long are closed */
};

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: relay-gather --from nats://HOST:PORT[,...] -o DIR [options]\n"
"Collect the runs relay-collect --sink published into DIR/<host>/<app>/.\n"
"\n"
"  -o, --output DIR         where the runs go (required)\n"
"      --from URL           the cluster (nats:// or tls://)\n"
"      --durable NAME       the consumer's name, shared by the instances\n"
"                           of a group (default: relay-gather)\n"
"      --batch N            messages fetched at once (default: 256)\n"
"      --idle TIME          exit after TIME with no message\n"
"      --close-idle TIME    close a run with no message for TIME, to be\n"
"                           resumed from its file (default: 60s)\n"
"      --json               the summary as JSON\n"
"  -q, --quiet              no summary\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 done, 1 runtime error, 2 usage error, 4 the cluster\n"
"refused at start (connection, credentials, certificate, stream,\n"
"consumer).\n\n");
	relay_nats_usage(f, 0);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "relay-gather: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (relay-gather --help)\n");
	return 2;
}

/* A path component from a header: no '/', not "." or "..", not empty. */
static int safe_name(const char *s)
{
	return s && *s && strlen(s) < 200 && !strchr(s, '/') &&
	       strcmp(s, ".") && strcmp(s, "..");
}

static int hex_run(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 32)
		return 0;
	for (i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * Where the run in @fd (ours, locked) stands: the messages it holds
 * (the header, whole frames, the end), cut back to the last whole one.
 */
static int resume(struct run *r, const char *path)
{
	struct relay_stream *st;
	struct relay_frame f;
	uint64_t n = 0, keep = 0;
	int ret;

	if (lseek(r->fd, 0, SEEK_END) == 0) {
		r->next_pseq = 0;
		return 0;
	}
	ret = relay_stream_open(path, &st);
	if (ret)
		return ret;
	while ((ret = relay_stream_next(st, &f)) > 0) {
		n++;		/* the header (2), or a frame (1) */
		keep = relay_stream_offset(st);
	}
	if (ret == 0) {		/* the end was written too */
		n++;
		keep = relay_stream_offset(st);
		r->finished = 1;
	}
	relay_stream_close(st);
	if (ret && ret != -ENODATA)
		return ret;
	if (ftruncate(r->fd, keep) || lseek(r->fd, keep, SEEK_SET) < 0)
		return -errno;
	r->next_pseq = n;
	return 0;
}

/* The run of this message: found, opened and locked, or not ours. */
static int find_run(struct gather *g, const char *host, const char *app,
		    const char *base, const char *run, struct run **rp)
{
	char path[4096], bad[4200], key[96];
	struct run *r;
	int err;

	snprintf(key, sizeof(key), "%.60s/%s", host, run);
	for (r = g->runs; r; r = r->next)
		if (!strcmp(r->key, key)) {
			*rp = r;
			return 0;
		}
	/* DIR exists: DIR/<host>, then DIR/<host>/<app> */
	snprintf(path, sizeof(path), "%s/%s", g->dir, host);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s/%s", g->dir, host, app);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s/%s/%s.%s.relay", g->dir, host,
		 app, base, run);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->key, sizeof(r->key), "%s", key);
	/* A run with a message rejected (before a restart, or closed). */
	snprintf(bad, sizeof(bad), "%s.rejected", path);
	if (!access(bad, F_OK)) {
		r->fd = -1;
		r->bad = 1;
		goto add;
	}
	r->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (r->fd < 0) {
		err = -errno;
		free(r);
		return err;
	}
	if (flock(r->fd, LOCK_EX | LOCK_NB)) {
		close(r->fd);
		free(r);
		return -EWOULDBLOCK;	/* another instance writes it */
	}
	err = resume(r, path);
	if (err) {
		close(r->fd);
		free(r);
		return err;
	}
	if (r->finished) {
		close(r->fd);
		r->fd = -1;
	} else if (!r->next_pseq) {
		g->runs_started++;
	}
add:
	r->next = g->runs;
	g->runs = r;
	g->nruns++;
	*rp = r;
	return 0;
}

static const char *hdr(natsMsg *m, const char *k)
{
	const char *v = NULL;

	return natsMsgHeader_Get(m, k, &v) == NATS_OK ? v : NULL;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* One sealed block of @type at @b (@len bytes left): its size, or 0. */
static size_t block_ok(const uint8_t *b, size_t len, unsigned int type)
{
	size_t n;

	if (len < RELAY_BLOCK_PREFIX || relay_get32(b) != RELAY_BLOCK_MAGIC ||
	    relay_get32(b + 8) != RELAY_BLOCK_TAG)
		return 0;
	n = (size_t)relay_get32(b + 4) + 8;
	if (n < RELAY_BLOCK_PREFIX || n > len ||
	    relay_get16(b + 14) != type ||
	    relay_get32(b + 16) != relay_block_crc(b, n))
		return 0;
	return n;
}

/*
 * The body is what its headers say, whole: a run header's blocks (and
 * only at pseq 0), a frame header and its payload, or counters blocks
 * and the trailer last.  Anything else would make the run unreadable
 * (and unresumable) once written.
 */
static int body_ok(const uint8_t *b, size_t len, const char *kind,
		   uint64_t pseq)
{
	size_t n;

	if (!strcmp(kind, "run")) {
		if (pseq || !len)
			return 0;
		for (; len; b += n, len -= n)
			if (!(n = block_ok(b, len, RELAY_BLOCK_RUN)))
				return 0;
		return 1;
	}
	if (!pseq)
		return 0;
	if (!strcmp(kind, "frame"))
		return block_ok(b, len, RELAY_BLOCK_FRAME) ==
			       RELAY_FRAME_HDR_LEN &&
		       relay_get64(b + RELAY_BLOCK_PREFIX + 64) ==
			       len - RELAY_FRAME_HDR_LEN;
	if (strcmp(kind, "end"))
		return 0;
	while ((n = block_ok(b, len, RELAY_BLOCK_STATS))) {
		b += n;
		len -= n;
	}
	return len == RELAY_TRAILER_LEN &&
	       block_ok(b, len, RELAY_BLOCK_TRAILER) == len;
}

/*
 * Run @r lost message @pseq: its later messages are rejected too, also
 * after a restart (<file>.rejected says so, and why).
 */
static void mark_bad(struct gather *g, struct run *r, const char *host,
		     const char *app, const char *base, const char *run,
		     uint64_t pseq, const char *kind)
{
	char path[4200];
	FILE *f;

	r->bad = 1;
	snprintf(path, sizeof(path), "%s/%s/%s/%s.%s.relay.rejected", g->dir,
		 host, app, base, run);
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "message %llu (%s) is not a relayfs %s: this run's "
			"later messages are rejected\n",
			(unsigned long long)pseq, kind, kind);
		fclose(f);
	}
}

/* Runs quiet for --close-idle: fd and lock given up, forgotten. */
static void close_idle_runs(struct gather *g)
{
	struct run **pp = &g->runs, *r;
	double t = now();

	while ((r = *pp)) {
		if (t - r->last < g->close_idle) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		if (r->fd >= 0) {
			fprintf(stderr, "relay-gather: run %s quiet for %.0f s: "
				"closed (resumed from its file if more "
				"comes)\n", r->key, t - r->last);
			close(r->fd);
			g->closed++;
		}
		free(r);
		g->nruns--;
	}
}

/* One message: written and acknowledged, skipped, or handed back. */
static int handle(struct gather *g, natsMsg *m)
{
	const char *host = hdr(m, "Relay-Host"), *app = hdr(m, "Relay-App");
	const char *base = hdr(m, "Relay-Base"), *run = hdr(m, "Relay-Run");
	const char *ps = hdr(m, "Relay-Pseq"), *kind = hdr(m, "Relay-Kind");
	struct run *r = NULL;
	uint64_t pseq;
	off_t at;
	int err;

	g->msgs++;
	if (!safe_name(host) || !safe_name(app) || !safe_name(base) ||
	    !hex_run(run) || !ps || !kind) {
		/* Not a relayfs message: never ours to write. */
		g->rejected++;
		natsMsg_Term(m, NULL);
		return 0;
	}
	pseq = strtoull(ps, NULL, 10);
	err = find_run(g, host, app, base, run, &r);
	if (err == -EWOULDBLOCK) {
		g->busy++;
		natsMsg_NakWithDelay(m, 200, NULL);
		return 0;
	}
	if (err == -EBADMSG || err == -EINVAL || err == -EPROTO) {
		/* A run that cannot be resumed: not the fleet's problem. */
		fprintf(stderr, "relay-gather: %s/%s/%s.%s: %s: message "
			"%llu rejected\n", g->dir, host, base, run,
			strerror(-err), (unsigned long long)pseq);
		g->rejected++;
		natsMsg_Term(m, NULL);
		return 0;
	}
	if (err) {
		fprintf(stderr, "relay-gather: %s/%s/%s.%s: %s\n", g->dir,
			host, base, run, strerror(-err));
		return err;
	}
	r->last = now();
	if (r->bad) {
		g->rejected++;
		natsMsg_Term(m, NULL);
		return 0;
	}
	if (pseq < r->next_pseq || r->finished) {
		g->dups++;
		natsMsg_Ack(m, NULL);
		return 0;
	}
	if (pseq > r->next_pseq) {	/* an earlier one is still to come */
		g->early++;
		natsMsg_NakWithDelay(m, 100, NULL);
		return 0;
	}
	if (!body_ok((const uint8_t *)natsMsg_GetData(m),
		     natsMsg_GetDataLength(m), kind, pseq)) {
		fprintf(stderr, "relay-gather: %s's run %s: message %llu is "
			"not a relayfs %s: rejected\n", host, run,
			(unsigned long long)pseq, kind);
		mark_bad(g, r, host, app, base, run, pseq, kind);
		g->rejected++;
		natsMsg_Term(m, NULL);
		return 0;
	}
	at = lseek(r->fd, 0, SEEK_CUR);
	err = write_all(r->fd, natsMsg_GetData(m), natsMsg_GetDataLength(m));
	if (err) {
		if (at >= 0 && ftruncate(r->fd, at)) {
			/* the resume after a restart cuts it anyway */
		}
		fprintf(stderr, "relay-gather: writing %s's run %s: %s\n",
			host, run, strerror(-err));
		return err;
	}
	r->next_pseq++;
	g->written_bytes += natsMsg_GetDataLength(m);
	if (!strcmp(kind, "frame"))
		g->frames++;
	if (!strcmp(kind, "end")) {
		if (close(r->fd)) {
			err = -errno;
			r->fd = -1;
			return err;
		}
		r->fd = -1;
		r->finished = 1;
		g->runs_finished++;
	}
	natsMsg_Ack(m, NULL);	/* only now: it is in the file */
	return 0;
}

static int consume(struct gather *g, struct relay_nats *nc,
		   const struct relay_nats_opts *o, const char *durable,
		   int batch, double idle)
{
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;
	double last = now();
	int err = 0, i;

	jsSubOptions_Init(&so);
	so.Stream = o->stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.DeliverPolicy = js_DeliverAll;
	so.Config.MaxAckPending = batch * 4;
	so.Config.AckWait = 30LL * 1000000000LL;
	s = js_PullSubscribe(&sub, relay_nats_js(nc), o->subject, durable,
			     NULL, &so, &jerr);
	if (s != NATS_OK) {
		fprintf(stderr, "relay-gather: consumer %s on %s: %s%s%s\n",
			durable, o->subject, natsStatus_GetText(s),
			nats_GetLastError(NULL) ? ": " : "",
			nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
		return RELAY_EXIT_NATS;
	}
	while (!stop_flag && !err) {
		natsMsgList l = { 0 };

		s = natsSubscription_Fetch(&l, sub, batch, 1000, &jerr);
		if (s == NATS_TIMEOUT || (s == NATS_OK && !l.Count)) {
			close_idle_runs(g);
			if (idle > 0 && now() - last >= idle)
				break;
			continue;
		}
		if (s != NATS_OK) {
			/* A cluster in trouble: wait, the durable keeps our place. */
			close_idle_runs(g);
			usleep(200000);
			continue;
		}
		last = now();
		for (i = 0; i < l.Count && !err; i++)
			err = handle(g, l.Msgs[i]);
		natsMsgList_Destroy(&l);
		close_idle_runs(g);
	}
	natsSubscription_Destroy(sub);
	return err ? 1 : 0;
}

static void summary(FILE *f, const struct gather *g, int json)
{
	if (json) {
		fprintf(f, "{\"messages\":%llu,\"frames\":%llu,\"bytes\":%llu,"
			"\"runs_started\":%llu,\"runs_finished\":%llu,"
			"\"duplicates\":%llu,\"early\":%llu,\"busy\":%llu,"
			"\"rejected\":%llu,\"closed\":%llu}\n",
			(unsigned long long)g->msgs,
			(unsigned long long)g->frames,
			(unsigned long long)g->written_bytes,
			(unsigned long long)g->runs_started,
			(unsigned long long)g->runs_finished,
			(unsigned long long)g->dups,
			(unsigned long long)g->early,
			(unsigned long long)g->busy,
			(unsigned long long)g->rejected,
			(unsigned long long)g->closed);
		return;
	}
	fprintf(f, "relay-gather: %llu messages, %llu frames (%llu bytes) "
		"written; runs %llu started, %llu finished; %llu duplicates "
		"skipped, %llu early, %llu busy, %llu rejected\n",
		(unsigned long long)g->msgs, (unsigned long long)g->frames,
		(unsigned long long)g->written_bytes,
		(unsigned long long)g->runs_started,
		(unsigned long long)g->runs_finished,
		(unsigned long long)g->dups, (unsigned long long)g->early,
		(unsigned long long)g->busy, (unsigned long long)g->rejected);
}

enum { OPT_FROM = 256, OPT_DURABLE, OPT_BATCH, OPT_IDLE, OPT_JSON,
       OPT_CLOSE_IDLE };

int main(int argc, char **argv)
{
	static const struct option own[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "durable", required_argument, NULL, OPT_DURABLE },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "idle", required_argument, NULL, OPT_IDLE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "close-idle", required_argument, NULL, OPT_CLOSE_IDLE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct option *opts = relay_nats_merge_longopts(own);
	struct relay_nats_opts o;
	struct sigaction sa = { .sa_handler = on_signal };
	struct gather g = { .close_idle = 60 };
	struct relay_nats *nc;
	const char *durable = "relay-gather";
	char err[600];
	double idle = 0;
	int opt, json = 0, quiet = 0, batch = 256, ret;
	struct run *r;

	if (!opts)
		return 1;
	relay_nats_opts_init(&o);
	o.subject = "relayfs.>";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			g.dir = optarg;
			break;
		case OPT_FROM:
			o.url = optarg;
			break;
		case OPT_DURABLE:
			durable = optarg;
			break;
		case OPT_BATCH:
			batch = atoi(optarg);
			if (batch < 1 || batch > 4096)
				return bad_usage("bad --batch: '%s'", optarg);
			break;
		case OPT_IDLE:
			if (relay_parse_duration(optarg, &idle) || !(idle > 0))
				return bad_usage("bad --idle: '%s'", optarg);
			break;
		case OPT_CLOSE_IDLE:
			if (relay_parse_duration(optarg, &g.close_idle) ||
			    !(g.close_idle > 0))
				return bad_usage("bad --close-idle: '%s'",
						 optarg);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			free(opts);
			return 0;
		default:
			if (opt >= RELAY_NOPT_SUBJECT && opt < RELAY_NOPT_SPOOL &&
			    !relay_nats_parse(&o, opt, optarg, err,
					      sizeof(err)))
				break;
			if (opt >= RELAY_NOPT_SUBJECT && opt < RELAY_NOPT_SPOOL)
				return bad_usage("%s", err);
			return bad_usage("unknown option or missing value: "
					 "'%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return bad_usage("no arguments but options, not '%s'",
				 argv[optind]);
	if (!g.dir)
		return bad_usage("-o DIR is required");
	if (relay_nats_check(&o, err, sizeof(err)))
		return bad_usage("%s", err);
	if (mkdir(g.dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "relay-gather: %s: %s\n", g.dir,
			strerror(errno));
		return 1;
	}
	ret = relay_nats_connect(&o, &nc, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "relay-gather: %s\n", err);
		free(opts);
		return RELAY_EXIT_NATS;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = consume(&g, nc, &o, durable, batch, idle);
	relay_nats_close(nc);
	while ((r = g.runs)) {
		g.runs = r->next;
		if (r->fd >= 0)
			close(r->fd);
		free(r);
	}
	if (!quiet)
		summary(stdout, &g, json);
	free(opts);
	return ret;
}

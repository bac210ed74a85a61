// SPDX-License-Identifier: GPL-2.0
/*
 * The sample relay-app (examples/sample) as a test producer: its
 * parameters, its own counts, and the exact check of a relay-collect run
 * of it, shared by rfs-app.c and rfs-torture.c.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ktap.h"
#include "rfstest.h"
#include "run.h"

#define APP	RELAYFS "/sample"
#define PARAMS	"/sys/module/relay_sample/parameters"

/* The contexts the next run writes from, as sample_producer() set them. */
static char run_contexts[64];

void sample_set_contexts(const char *ctx)
{
	snprintf(run_contexts, sizeof(run_contexts), "%s", ctx);
}

int sample_producer(unsigned int rate, unsigned int len, const char *ctx)
{
	char v[32];

	sample_set_contexts(ctx);

	snprintf(v, sizeof(v), "%u", rate);
	if (write_file(PARAMS "/rate", v))
		return -1;
	snprintf(v, sizeof(v), "%u", len);
	if (write_file(PARAMS "/len", v))
		return -1;
	return write_file(PARAMS "/contexts", ctx);
}

/* The records each CPU accepted from each context, last sample_counts(). */
static long ctx_ok[MAXCPU][RFS_NR_CTX];

/* The producer's per-CPU totals: ok and dropped over all contexts. */
int sample_counts(long ok[MAXCPU], long dropped[MAXCPU])
{
	unsigned int cpu, seq;
	long o, d, other;
	int ctx;
	FILE *f = fopen(APP "/producer", "r");

	CHECK(f != NULL);
	memset(ok, 0, MAXCPU * sizeof(long));
	memset(dropped, 0, MAXCPU * sizeof(long));
	memset(ctx_ok, 0, sizeof(ctx_ok));
	while (fscanf(f, "%u %d %ld %ld %ld %u", &cpu, &ctx, &o, &d, &other,
		      &seq) == 6) {
		CHECK(cpu < MAXCPU && ctx >= 0 && ctx < RFS_NR_CTX);
		CHECK_EQ(other, 0);
		ok[cpu] += o;
		dropped[cpu] += d;
		ctx_ok[cpu][ctx] = o;
	}
	fclose(f);
	return 0;
}

/* Some context of this run has accepted no record on @cpu yet: which. */
static const char *missing_context(int cpu)
{
	static const char *const names[] = { "task", "softirq", "hardirq" };
	int ctx;

	for (ctx = 0; ctx < 3; ctx++)
		if (strstr(run_contexts, names[ctx]) && ctx_ok[cpu][ctx] <= 0)
			return names[ctx];
	return NULL;
}

int sample_wait_records(unsigned int secs)
{
	long ok[MAXCPU], dropped[MAXCPU];
	unsigned int ms;
	int cpu;

	for (ms = 0; ms <= secs * 1000; ms += 10) {
		CHECK(sample_counts(ok, dropped) == 0);
		for (cpu = 0; cpu < ncpus && ok[cpu] > 0 &&
		     !missing_context(cpu); cpu++)
			;
		if (cpu == ncpus)
			return 0;
		usleep(10000);
	}
	printf("# sample: cpu%d still without records after %u s\n", cpu,
	       secs);
	return -1;
}

/*
 * Every context the run wrote from accepted records on @cpu: all dropped
 * is not a pass.  The sample writes on every online CPU, and every CPU
 * is online in these tests.
 */
static int check_contexts(int cpu)
{
	const char *ctx = missing_context(cpu);

	if (ctx)
		printf("# cpu%d %s: no record accepted\n", cpu, ctx);
	return ctx ? -1 : 0;
}

/*
 * Check one CPU's frames record by record, their metadata against the
 * data, and the counters: both equations, the frames against the
 * kernel's consumed counts, the sequence gaps against
 * subbufs_overwritten, and (@finished) the run's own final counters
 * against the .stats file.
 */
static int check_cpu(const struct run_data *rd, int cpu, unsigned int len,
		     bool overwrite, const struct run_stats *s, bool finished)
{
	const struct run_cpu *c = &rd->cpu[cpu];
	unsigned long long nrec = 0, gaps = 0, next = 0, bytes = 0;
	unsigned long long last_drops = 0, last_close = 0;
	struct reader r = { .cpu = cpu, .len = len, .overwrite = overwrite };
	size_t i;

	if (finished) {
		CHECK_EQ(s->att, s->acc + s->drop + s->ref);
		CHECK_EQ(s->acc, s->cons + s->over + s->unread);
		CHECK_EQ(s->unread, 0);
		CHECK_EQ(c->len, s->wbytes);
		CHECK_EQ(c->len, s->consb);
		CHECK_EQ(c->nf, s->wsb);
		/* The run's end in the stream says what .stats says. */
		CHECK(c->have_ctr);
		CHECK(check_equations(&c->ctr.stats) == 0);
		CHECK_EQ(c->ctr.stats.attempted_records, s->att);
		CHECK_EQ(c->ctr.stats.accepted_records, s->acc);
		CHECK_EQ(c->ctr.stats.dropped_records, s->drop);
		CHECK_EQ(c->ctr.stats.consumed_records, s->cons);
		CHECK_EQ(c->ctr.stats.overwritten_records, s->over);
		CHECK_EQ(c->ctr.stats.consumed_bytes, s->consb);
		CHECK_EQ(c->ctr.stats.subbufs_overwritten, s->sbover);
		CHECK_EQ(c->ctr.frames, c->nf);
		CHECK_EQ(c->ctr.bytes, c->len);
	}
	for (i = 0; i < c->nf; i++) {
		const struct run_frame *f = &c->f[i];

		/* In order, and losses placed in time: never backwards. */
		CHECK(f->seq >= next);
		CHECK(f->t_open <= f->t_close && f->t_open >= last_close);
		CHECK(f->drops >= last_drops);
		CHECK_EQ(f->len, f->bytes);	/* no header, no voids */
		CHECK_EQ(f->bytes, f->records * len);
		CHECK(verify_chunk(&r, c->data + f->off, f->len) == 0 ||
		      (printf("# %s\n", r.err), 0));
		gaps += f->seq - next;
		next = f->seq + 1;
		last_close = f->t_close;
		bytes += f->len;
		nrec += f->records;
		last_drops = f->drops;
	}
	CHECK_EQ(bytes, c->len);
	CHECK_EQ(r.records, nrec);
	if (!finished)
		return 0;
	CHECK_EQ(nrec, s->cons);
	/*
	 * Drops are placed before the sub-buffer that closed after them;
	 * those after the last one (a full buffer when the run stopped)
	 * have none to be placed before: only the total knows them.
	 */
	CHECK(last_drops <= s->drop);
	CHECK_EQ(gaps, s->sbover);
	CHECK_EQ(next, s->produced);
	if (!overwrite)
		CHECK_EQ(s->over, 0);
	return 0;
}

/* A stream without a .stats beside it (-c): the counters at its end. */
static int stats_from_stream(const struct run_data *rd,
			     struct run_stats st[MAXCPU], size_t *subbuf)
{
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct relayfs_buf_stats *s = &rd->cpu[cpu].ctr.stats;

		CHECK(rd->cpu[cpu].have_ctr);
		st[cpu] = (struct run_stats){
			s->attempted_records, s->accepted_records,
			s->dropped_records, s->refused_records,
			s->consumed_records, s->overwritten_records,
			s->unread_records, s->accepted_bytes,
			s->consumed_bytes, s->subbufs_produced,
			s->subbufs_consumed, s->subbufs_overwritten,
			s->max_backlog, rd->cpu[cpu].ctr.frames,
			rd->cpu[cpu].ctr.bytes,
		};
	}
	*subbuf = rd->hdr.subbuf_size;
	return 0;
}

int sample_check_data(const char *dir, struct run_data *rd, unsigned int len,
		      bool overwrite, bool have_producer)
{
	struct run_stats st[MAXCPU];
	long ok[MAXCPU], dropped[MAXCPU];
	size_t subbuf;
	int cpu;

	CHECK_EQ(rd->end, 0);
	CHECK(rd->headers >= 1);
	CHECK(!strcmp(rd->app, "sample"));
	CHECK(!strcmp(rd->base, "sample"));
	CHECK_EQ(rd->trailer_flags, 0);
	if (dir)
		CHECK(read_run_stats(dir, "sample", st, &subbuf) == 0);
	else
		CHECK(stats_from_stream(rd, st, &subbuf) == 0);
	CHECK_EQ(rd->hdr.subbuf_size, subbuf);
	if (have_producer)
		CHECK(sample_counts(ok, dropped) == 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		CHECK(check_cpu(rd, cpu, len, overwrite, &st[cpu], true) == 0);
		/* Records reached the output, on every CPU. */
		CHECK(st[cpu].cons > 0 ||
		      (printf("# cpu%d: no record collected\n", cpu), 0));
		if (have_producer) {
			CHECK_EQ(st[cpu].acc, ok[cpu]);
			CHECK_EQ(st[cpu].drop, dropped[cpu]);
			CHECK(check_contexts(cpu) == 0);
		}
		printf("# cpu%d: %llu records verified, %llu dropped, %llu "
		       "overwritten\n", cpu, st[cpu].cons, st[cpu].drop,
		       st[cpu].over);
	}
	return 0;
}

/* Every CPU's output, and agreement with the producer's own counts. */
int sample_check_run(const char *dir, unsigned int len, bool overwrite,
		     bool have_producer)
{
	struct run_data rd;
	int ret;

	run_read(dir, "sample", &rd);
	printf("# %s: %u files, %llu frames\n", dir, rd.files,
	       (unsigned long long)rd.frames);
	ret = sample_check_data(dir, &rd, len, overwrite, have_producer);
	run_free(&rd);
	return ret;
}

/*
 * A run that never finished (the collector killed): every frame up to
 * the last whole one, record by record; the reader says unfinished.
 */
int sample_check_unfinished(const char *dir, unsigned int len,
			    bool overwrite, bool need_frames)
{
	struct run_data rd;
	unsigned long long frames = 0, records = 0;
	int cpu, ret = -1;

	CHECK_EQ(run_read(dir, "sample", &rd), -ENODATA);
	printf("# %s: %s\n", dir, rd.error);
	if (rd.end != -ENODATA || !strstr(rd.error, "never finished"))
		goto out;
	for (cpu = 0; cpu < ncpus; cpu++) {
		if (check_cpu(&rd, cpu, len, overwrite, NULL, false))
			goto out;
		frames += rd.cpu[cpu].nf;
		for (size_t i = 0; i < rd.cpu[cpu].nf; i++)
			records += rd.cpu[cpu].f[i].records;
	}
	printf("# %llu frames, %llu records verified before the end\n",
	       frames, records);
	ret = !need_frames || (frames > 0 && records > 0) ? 0 : -1;
out:
	run_free(&rd);
	return ret;
}

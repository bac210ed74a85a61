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
 * Check one CPU's data file record by record, its index against it, and
 * the counters: both equations, the index and data against the kernel's
 * consumed counts, the sequence gaps against subbufs_overwritten.
 */
static int check_cpu(const char *dir, int cpu, unsigned int len,
		     bool overwrite, const struct run_stats *s)
{
	char path[128], line[256];
	unsigned long long seq, off, recs, bytes, t0, t1, drops;
	unsigned long long expect_off = 0, nrec = 0, gaps = 0, next = 0;
	unsigned long long last_drops = 0, last_close = 0;
	struct reader r = { .cpu = cpu, .len = len, .overwrite = overwrite };
	size_t length;
	struct stat sb;
	uint8_t *data;
	FILE *f;
	int fd;

	CHECK_EQ(s->att, s->acc + s->drop + s->ref);
	CHECK_EQ(s->acc, s->cons + s->over + s->unread);
	CHECK_EQ(s->unread, 0);
	snprintf(path, sizeof(path), "%s/sample.%d", dir, cpu);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && fstat(fd, &sb) == 0);
	CHECK_EQ(sb.st_size, s->wbytes);
	CHECK_EQ(sb.st_size, s->consb);
	data = malloc(sb.st_size + 1);
	CHECK(data && read(fd, data, sb.st_size) == sb.st_size);
	close(fd);
	/* Index: contiguous, in order, agreeing with the data. */
	snprintf(path, sizeof(path), "%s/sample.%d.idx", dir, cpu);
	f = fopen(path, "r");
	CHECK(f != NULL);
	CHECK(fgets(line, sizeof(line), f) && line[0] == '#');
	while (fscanf(f, "%llu %llu %zu %llu %llu %llu %llu %llu", &seq, &off,
		      &length, &recs, &bytes, &t0, &t1, &drops) == 8) {
		CHECK_EQ(off, expect_off);
		/* In order, and losses placed in time: never backwards. */
		CHECK(seq >= next);
		CHECK(t0 <= t1 && t0 >= last_close);
		CHECK(drops >= last_drops);
		CHECK_EQ(length, bytes);	/* no header, no voids */
		CHECK_EQ(bytes, recs * len);
		CHECK(verify_chunk(&r, data + off, length) == 0 ||
		      (printf("# %s\n", r.err), 0));
		gaps += seq - next;
		next = seq + 1;
		last_close = t1;
		expect_off += length;
		nrec += recs;
		last_drops = drops;
	}
	fclose(f);
	free(data);
	CHECK_EQ(expect_off, sb.st_size);
	CHECK_EQ(nrec, s->cons);
	CHECK_EQ(r.records, s->cons);
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

/* Every CPU's output, and agreement with the producer's own counts. */
int sample_check_run(const char *dir, unsigned int len, bool overwrite,
		     bool have_producer)
{
	struct run_stats st[MAXCPU];
	long ok[MAXCPU], dropped[MAXCPU];
	size_t subbuf;
	int cpu;

	CHECK(read_run_stats(dir, "sample", st, &subbuf) == 0);
	if (have_producer)
		CHECK(sample_counts(ok, dropped) == 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		CHECK(check_cpu(dir, cpu, len, overwrite, &st[cpu]) == 0);
		/* Records reached the files, on every CPU. */
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


// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of librelay's pure logic: size and duration arguments,
 * the version and the buffer size advice, against hand-computed answers.
 */
#include <stdint.h>
#include "ktap.h"
#include "librelay.h"
#include "util.h"

static int test_parse_size(void)
{
	size_t v;

	CHECK_EQ(relay_parse_size("4096", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(relay_parse_size("64k", &v), 0);
	CHECK_EQ(v, 65536);
	CHECK_EQ(relay_parse_size("2M", &v), 0);
	CHECK_EQ(v, 2 << 20);
	CHECK_EQ(relay_parse_size("1G", &v), 0);
	CHECK_EQ(v, 1UL << 30);
	CHECK_EQ(relay_parse_size("", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("k", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("-4k", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4kb", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4 k", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("99999999999999999999999", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("18014398509481984k", &v), -EINVAL);
	CHECK_EQ(relay_parse_size(NULL, &v), -EINVAL);
	return 0;
}

static int test_parse_size_units(void)
{
	size_t v;

	CHECK_EQ(relay_parse_size("4K", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(relay_parse_size("4KiB", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(relay_parse_size("3MiB", &v), 0);
	CHECK_EQ(v, 3 << 20);
	CHECK_EQ(relay_parse_size("2GiB", &v), 0);
	CHECK_EQ(v, 2UL << 30);
	CHECK_EQ(relay_parse_size("0", &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(relay_parse_size("4Ki", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4KB", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4kiB", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4KiBs", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4T", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("1.5M", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("0x10", &v), -EINVAL);
	return 0;
}

/* Defect 8: strtoull skips blanks and negates: " -4096" was 2^64 - 4096. */
static int test_parse_size_no_blank_or_sign(void)
{
	size_t v = 7;

	CHECK_EQ(relay_parse_size(" -4096", &v), -EINVAL);
	CHECK_EQ(relay_parse_size(" 4096", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("\t-1k", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("+4096", &v), -EINVAL);
	CHECK_EQ(relay_parse_size("4096 ", &v), -EINVAL);
	CHECK_EQ(v, 7);
	return 0;
}

/* Durations compared to the nanosecond: every one here is exact in binary
 * or rounds the same way on both sides.
 */
#define CHECK_SECONDS(str, want) do {					\
	double __d = -1;						\
	CHECK_EQ(relay_parse_duration(str, &__d), 0);			\
	CHECK_EQ((long long)(__d * 1e9 + 0.5),				\
		 (long long)((want) * 1e9 + 0.5));			\
} while (0)

static int test_parse_duration(void)
{
	double d = 42;

	CHECK_SECONDS("500ms", 0.5);
	CHECK_SECONDS("30s", 30);
	CHECK_SECONDS("5m", 300);
	CHECK_SECONDS("1h", 3600);
	CHECK_SECONDS("2", 2);
	CHECK_SECONDS("0.25", 0.25);
	CHECK_SECONDS("1.5s", 1.5);
	CHECK_SECONDS("1.5h", 5400);
	CHECK_SECONDS("0", 0);
	CHECK_SECONDS("10ms", 0.01);
	CHECK_EQ(relay_parse_duration("", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration(NULL, &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("s", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("-1s", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration(" 1s", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("+1", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("1 s", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("1sec", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("1d", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("1.", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration(".5", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("1e3", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("inf", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("nan", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("0x10", &d), -EINVAL);
	/* Overflow: beyond what int64 nanoseconds hold (292 years). */
	CHECK_EQ(relay_parse_duration("9300000000", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("2600000h", &d), -EINVAL);
	CHECK_EQ(relay_parse_duration("1"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000",
		&d), -EINVAL);
	CHECK(d == 42);
	CHECK_SECONDS("9000000000", 9e9);
	return 0;
}

static int test_version(void)
{
	const char *v = relay_version();
	char want[64];
	FILE *f;

	CHECK(v && *v);
	/* The one source the Makefile and the packaging read. */
	f = fopen("VERSION", "r");
	CHECK(f);
	CHECK(fgets(want, sizeof(want), f));
	fclose(f);
	want[strcspn(want, "\n")] = 0;
	CHECK(strcmp(v, want) == 0);
	return 0;
}

static struct relay_cpu_result cpus[2];
static struct relay_run run = {
	.ncpus = 2, .subbuf_size = 4096, .n_subbufs = 2, .cpu = cpus,
};

static int test_advise_nothing_lost(void)
{
	size_t size = 1, n = 1;

	memset(cpus, 0, sizeof(cpus));
	CHECK_EQ(relay_advise(&run, &size, &n), 0);
	CHECK_EQ(size, 1);
	CHECK_EQ(n, 1);
	return 0;
}

static int test_advise_covers_worst_span(void)
{
	size_t size, n;

	/* 8 KiB buffer; CPU 1 lost 1000 records of 64 bytes in one span. */
	memset(cpus, 0, sizeof(cpus));
	cpus[1].stats.dropped_records = 1500;
	cpus[1].stats.full_records = 1500;
	cpus[1].stats.dropped_bytes = 1500 * 64;
	cpus[1].worst.records = 1000;
	CHECK_EQ(relay_advise(&run, &size, &n), 1);
	/* 2 * (8 KiB + 62.5 KiB) = 141 KiB -> 32x = 256 KiB: 64 x 4 KiB */
	CHECK_EQ(size, 4096);
	CHECK_EQ(n, 64);
	return 0;
}

static int test_advise_grows_subbufs_past_64(void)
{
	size_t size, n;

	/* Overwrite: 100 sub-buffers of 4 KiB lost at once. */
	memset(cpus, 0, sizeof(cpus));
	cpus[0].stats.subbufs_overwritten = 100;
	cpus[0].worst.subbufs = 100;
	CHECK_EQ(relay_advise(&run, &size, &n), 1);
	/* 2 * (8 + 400) KiB = 816 KiB -> 128x = 1 MiB: 64 x 16 KiB */
	CHECK_EQ(n, 64);
	CHECK_EQ(size, 16384);
	return 0;
}

static int test_advise_at_least_doubles(void)
{
	size_t size, n;

	memset(cpus, 0, sizeof(cpus));
	cpus[0].stats.dropped_records = 1;
	cpus[0].stats.full_records = 1;
	cpus[0].stats.dropped_bytes = 8;
	cpus[0].worst.records = 1;
	CHECK_EQ(relay_advise(&run, &size, &n), 1);
	CHECK_EQ(size * n, 2 * 4096 * 2 * 2);
	return 0;
}

static int test_advise_holds_the_offered_rate(void)
{
	size_t size, n;
	int ret;

	/* 400,000 records of 64 bytes a second on CPU 0; a short loss. */
	memset(cpus, 0, sizeof(cpus));
	run.elapsed = 2.0;
	cpus[0].stats.attempted_bytes = 2 * 25600000;
	cpus[0].stats.dropped_records = 10;
	cpus[0].stats.full_records = 10;
	cpus[0].stats.dropped_bytes = 640;
	cpus[0].worst.records = 10;
	ret = relay_advise(&run, &size, &n);
	run.elapsed = 0;	/* the other cases have no rate */
	CHECK_EQ(ret, 1);
	/* 20 ms of 25.6 MB/s = 512,000 bytes -> 64x = 512 KiB, in
	 * sub-buffers of at least 1 ms (25,600 bytes): 16 x 32 KiB.
	 */
	CHECK_EQ(size, 32768);
	CHECK_EQ(n, 16);
	return 0;
}

static int test_advise_not_for_other_drops(void)
{
	size_t size = 1, n = 1;

	/* Lost before relayfs (kprobe misses) or nested: no bigger buffer. */
	memset(cpus, 0, sizeof(cpus));
	cpus[0].stats.dropped_records = 7;
	cpus[0].stats.nested_records = 2;
	cpus[0].worst.records = 7;
	CHECK_EQ(relay_advise(&run, &size, &n), 0);
	CHECK_EQ(size, 1);
	return 0;
}

/* Defect 8: a zero size made the doubling loop spin forever. */
static int test_advise_zero_size(void)
{
	struct relay_run z = run;
	size_t size = 1, n = 1;

	memset(cpus, 0, sizeof(cpus));
	cpus[0].stats.dropped_records = 1;
	cpus[0].stats.full_records = 1;
	cpus[0].stats.dropped_bytes = 8;
	cpus[0].worst.records = 1;
	z.subbuf_size = 0;
	CHECK_EQ(relay_advise(&z, &size, &n), -EINVAL);
	z.subbuf_size = 4096;
	z.n_subbufs = 0;
	CHECK_EQ(relay_advise(&z, &size, &n), -EINVAL);
	CHECK_EQ(size, 1);
	CHECK_EQ(n, 1);
	return 0;
}

/*
 * Defect 6: the worst span is the one that lost the most bytes.  A span
 * of one overwritten sub-buffer (4 KiB) does not replace one of 1000
 * records of 64 bytes (62.5 KiB), nor the reverse when it is bigger.
 */
static int test_worst_span_by_bytes(void)
{
	struct relay_loss worst = { 0 };
	struct relay_loss a = { .after = 1, .before = 2, .records = 1000 };
	struct relay_loss b = { .after = 3, .before = 4, .subbufs = 1 };
	struct relay_loss c = { .after = 5, .before = 6, .subbufs = 16 };
	struct relay_loss d = { .after = 7, .before = 8, .records = 1001 };

	CHECK_EQ(relay_loss_bytes(&a, 4096, 64), 64000);
	CHECK_EQ(relay_loss_bytes(&c, 4096, 64), 65536);
	relay_loss_keep_worst(&worst, &a, 4096, 64);
	CHECK_EQ(worst.after, 1);
	relay_loss_keep_worst(&worst, &b, 4096, 64);
	CHECK_EQ(worst.after, 1);
	relay_loss_keep_worst(&worst, &c, 4096, 64);
	CHECK_EQ(worst.after, 5);
	relay_loss_keep_worst(&worst, &d, 4096, 64);
	CHECK_EQ(worst.after, 5);
	CHECK_EQ(worst.subbufs, 16);
	CHECK_EQ(worst.records, 0);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "parse_size_units", test_parse_size_units },
	{ "parse_size_no_blank_or_sign", test_parse_size_no_blank_or_sign },
	{ "parse_duration", test_parse_duration },
	{ "version", test_version },
	{ "advise_zero_size", test_advise_zero_size },
	{ "worst_span_by_bytes", test_worst_span_by_bytes },
	{ "advise_not_for_other_drops", test_advise_not_for_other_drops },
	{ "advise_holds_the_offered_rate", test_advise_holds_the_offered_rate },
	{ "parse_size", test_parse_size },
	{ "advise_nothing_lost", test_advise_nothing_lost },
	{ "advise_covers_worst_span", test_advise_covers_worst_span },
	{ "advise_grows_subbufs_past_64", test_advise_grows_subbufs_past_64 },
	{ "advise_at_least_doubles", test_advise_at_least_doubles },
};

int main(int argc, char **argv)
{
	return ktap_run(cases, sizeof(cases) / sizeof(cases[0]), argv + 1,
			argc - 1);
}

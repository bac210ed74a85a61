// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of librelay's pure logic: size arguments and the buffer
 * size advice, against hand-computed answers.
 */
#include <stdint.h>
#include "ktap.h"
#include "librelay.h"

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

static const struct ktap_case cases[] = {
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

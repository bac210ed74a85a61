// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of librelay's clock conversion (lib/clock.c): local_clock()
 * stamps mapped by one anchor onto boot, monotonic and wall-clock time,
 * against hand-computed answers.
 */
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include "ktap.h"
#include "librelay.h"

/* Booted 1,000 s ago (local_clock); suspended 30 s; now 2026-11-28 11:00. */
static const struct relayfs_clocks anchor = {
	.version = RELAYFS_ABI_VERSION,
	.cpu = 1,
	.local_ns = 1000000000000ULL,
	.realtime_ns = 1795863600000000000ULL,
	.monotonic_ns = 1000000500000ULL,
	.boottime_ns = 1030000500000ULL,
	.uncertainty_ns = 150,
};

static int test_convert_each_clock(void)
{
	int64_t t;

	/* 2.5 s after the anchor */
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_REAL,
				     1002500000000ULL, &t), 0);
	CHECK_EQ(t, 1795863602500000000LL);
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_MONO,
				     1002500000000ULL, &t), 0);
	CHECK_EQ(t, 1002500500000LL);
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_BOOT,
				     1002500000000ULL, &t), 0);
	CHECK_EQ(t, 1032500500000LL);
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_LOCAL,
				     1002500000000ULL, &t), 0);
	CHECK_EQ(t, 1002500000000LL);
	/* the anchor itself */
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_REAL,
				     anchor.local_ns, &t), 0);
	CHECK_EQ(t, (int64_t)anchor.realtime_ns);
	return 0;
}

static int test_convert_before_anchor(void)
{
	int64_t t;

	/* 1 ns before, and 1000 s before: stamps that precede the reading */
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_REAL,
				     anchor.local_ns - 1, &t), 0);
	CHECK_EQ(t, (int64_t)anchor.realtime_ns - 1);
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_MONO, 500, &t), 0);
	CHECK_EQ(t, 500500);
	CHECK_EQ(relay_clock_convert(&anchor, RELAY_CLOCK_BOOT, 0, &t), 0);
	CHECK_EQ(t, 30000500000LL);
	/* before the clock's zero: a negative time, not a wrap */
	{
		struct relayfs_clocks a = anchor;

		a.monotonic_ns = 100;
		CHECK_EQ(relay_clock_convert(&a, RELAY_CLOCK_MONO, 0, &t), 0);
		CHECK_EQ(t, 100 - 1000000000000LL);
	}
	return 0;
}

static int test_convert_errors(void)
{
	struct relayfs_clocks none = { 0 }, far = anchor;
	int64_t t = 7;

	CHECK_EQ(relay_clock_convert(&none, RELAY_CLOCK_REAL, 1, &t),
		 -EINVAL);
	CHECK_EQ(relay_clock_convert(NULL, RELAY_CLOCK_REAL, 1, &t), -EINVAL);
	CHECK_EQ(relay_clock_convert(&anchor, (enum relay_clock)9, 1, &t),
		 -EINVAL);
	/* the wall clock past 2262 does not fit int64_t nanoseconds */
	far.realtime_ns = INT64_MAX - 10;
	CHECK_EQ(relay_clock_convert(&far, RELAY_CLOCK_REAL,
				     far.local_ns + 11, &t), -ERANGE);
	CHECK_EQ(relay_clock_convert(&far, RELAY_CLOCK_REAL,
				     far.local_ns + 10, &t), 0);
	CHECK_EQ(t, INT64_MAX);
	far.realtime_ns = (uint64_t)INT64_MAX + 1;
	CHECK_EQ(relay_clock_convert(&far, RELAY_CLOCK_REAL,
				     far.local_ns - 5, &t), -ERANGE);
	CHECK_EQ(t, INT64_MAX);
	return 0;
}

static int test_names(void)
{
	enum relay_clock c = RELAY_CLOCK_LOCAL;

	CHECK_EQ(relay_clock_parse("real", &c), 0);
	CHECK_EQ(c, RELAY_CLOCK_REAL);
	CHECK_EQ(relay_clock_parse("mono", &c), 0);
	CHECK_EQ(c, RELAY_CLOCK_MONO);
	CHECK_EQ(relay_clock_parse("boot", &c), 0);
	CHECK_EQ(c, RELAY_CLOCK_BOOT);
	CHECK_EQ(relay_clock_parse("local", &c), 0);
	CHECK_EQ(c, RELAY_CLOCK_LOCAL);
	CHECK_EQ(relay_clock_parse("Real", &c), -EINVAL);
	CHECK_EQ(relay_clock_parse("", &c), -EINVAL);
	CHECK_EQ(relay_clock_parse(NULL, &c), -EINVAL);
	CHECK_EQ(c, RELAY_CLOCK_LOCAL);
	CHECK(strcmp(relay_clock_name(RELAY_CLOCK_MONO), "mono") == 0);
	CHECK(relay_clock_name((enum relay_clock)9) == NULL);
	return 0;
}

/* Not a relayfs file: the ioctl's error, the anchor untouched. */
static int test_anchor_not_relayfs(void)
{
	struct relayfs_clocks c = anchor;
	int fd = open("/dev/null", O_RDONLY);

	CHECK(fd >= 0);
	CHECK_EQ(relay_clock_anchor(fd, &c), -ENOTTY);
	CHECK_EQ(relay_clock_anchor(-1, &c), -EBADF);
	CHECK(memcmp(&c, &anchor, sizeof(c)) == 0);
	close(fd);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "convert_each_clock", test_convert_each_clock },
	{ "convert_before_anchor", test_convert_before_anchor },
	{ "convert_errors", test_convert_errors },
	{ "names", test_names },
	{ "anchor_not_relayfs", test_anchor_not_relayfs },
};

int main(int argc, char **argv)
{
	return ktap_run(cases, sizeof(cases) / sizeof(cases[0]), argv + 1,
			argc - 1);
}

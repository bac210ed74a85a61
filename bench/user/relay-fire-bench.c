// SPDX-License-Identifier: GPL-2.0
/*
 * Fires a kernel event N times per write() of "N" to a proc file (LTTng's
 * /proc/lttng-test-filter-event, see bench/vm/bench) and times each
 * write: under qemu -icount shift=0 the guest clock counts instructions.
 * Prints, for BATCHES writes of N events, the median, minimum, 90th
 * percentile (nearest rank) and maximum of (write time / N), in
 * nanoseconds with three decimals, and the same for writes of "0" (the
 * syscall alone, spread over N):
 *
 *   fire n=N batches=B ns=M min=A p90=P max=X zero=Z err=E
 *
 * The caller subtracts a run with the event disabled (the loop, its
 * arguments and the syscall) from one with it enabled.
 *
 *   relay-fire-bench FILE [N [BATCHES]]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCHES	101

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Each batch's ns * 1000 per event, sorted; 0 or -errno. */
static int time_batches(int fd, unsigned int n, unsigned int per,
			unsigned int batches, long long *t)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);
	unsigned int b;

	for (b = 0; b < batches; b++) {
		long long t0 = now_ns();

		if (pwrite(fd, buf, len, 0) != len)
			return -errno;
		t[b] = (now_ns() - t0) * 1000 / per;
	}
	qsort(t, batches, sizeof(*t), cmp_ll);
	return 0;
}

static void print3(const char *name, long long v)
{
	printf(" %s=%lld.%03lld", name, v / 1000, v % 1000);
}

int main(int argc, char **argv)
{
	long long t[MAX_BATCHES], z[MAX_BATCHES];
	unsigned int n = argc > 2 ? strtoul(argv[2], NULL, 0) : 2000;
	unsigned int batches = argc > 3 ? strtoul(argv[3], NULL, 0) : 11;
	int fd, err;

	if (argc < 2 || !n || !batches || batches > MAX_BATCHES) {
		fprintf(stderr, "usage: relay-fire-bench FILE [N [BATCHES]]\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "relay-fire-bench: %s: %s\n", argv[1],
			strerror(errno));
		printf("fire n=%u batches=%u ns=0.000 min=0.000 p90=0.000 max=0.000 zero=0.000 err=%d\n",
		       n, batches, err);
		return 1;
	}
	err = time_batches(fd, n, n, batches, t);
	if (!err)
		err = time_batches(fd, 0, n, batches, z);
	close(fd);
	if (err) {
		printf("fire n=%u batches=%u ns=0.000 min=0.000 p90=0.000 max=0.000 zero=0.000 err=%d\n",
		       n, batches, err);
		return 1;
	}
	printf("fire n=%u batches=%u", n, batches);
	print3("ns", t[batches / 2]);
	print3("min", t[0]);
	print3("p90", t[(batches * 9 + 9) / 10 - 1]);
	print3("max", t[batches - 1]);
	print3("zero", z[batches / 2]);
	printf(" err=0\n");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of relayfs.ko through its files: data byte for byte, both
 * counter equations exactly, read/poll/epoll semantics and errors by errno.
 * Drives tests/kmod/relayfs_testprod.ko through <relayfs>/rfstest/ctl.
 *
 *   rfs-core [SUBSTRING]    run the tests whose name contains SUBSTRING
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/types.h>
#include <linux/relayfs.h>
#include "ktap.h"
#include "lib/rfstest.h"

static struct run R;

static int test_task_records_no_overwrite(void)
{
	R = (struct run){ .open = "subbuf=8192 n=4", .len = 64,
			  .write = "count=3000 ctx=task" };
	return run_channel(&R);
}

static int test_all_contexts_concurrently(void)
{
	int cpu;
	long nmi = 0;

	/* 512 KiB per CPU holds all 4 x 1500 x 48 bytes: no drops, so
	 * every context gets records in whatever order they run.
	 */
	R = (struct run){ .open = "subbuf=65536 n=8", .len = 48,
			  .write = "count=1500 ctx=all" };
	if (run_channel(&R))
		return -1;
	/* Every context really wrote on every CPU, NMI included. */
	for (cpu = 0; cpu < ncpus; cpu++) {
		int ctx;

		for (ctx = 0; ctx < RFS_CTX_INJECT; ctx++)
			CHECK(res[cpu][ctx].ok > 0);
		nmi += res[cpu][RFS_CTX_NMI].ok;
	}
	printf("# NMI records accepted: %ld\n", nmi);
	return 0;
}

static int test_nmi_records_alone(void)
{
	int cpu;

	/* NMI the only writer: an NMI writes the last record every time
	 * and must hand the producer's wakeup to an irq_work (lockdep on
	 * the debug kernel reported the wait queue lock taken in NMI).
	 */
	R = (struct run){ .open = "subbuf=16384 n=4", .len = 40,
			  .write = "count=600 ctx=nmi" };
	if (run_channel(&R))
		return -1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		CHECK_EQ(res[cpu][RFS_CTX_NMI].ok, 600);
		CHECK_EQ(res[cpu][RFS_CTX_TASK].ok, 0);
	}
	return 0;
}

static int test_all_contexts_small_buffer_drops(void)
{
	/* Every context races into a buffer that fills: drops from task,
	 * softirq, hardirq and NMI are all counted exactly.
	 */
	R = (struct run){ .open = "subbuf=4096 n=2", .len = 48,
			  .write = "count=1500 ctx=all" };
	return run_channel(&R);
}

static int test_one_byte_records(void)
{
	R = (struct run){ .open = "subbuf=4096 n=2", .len = 1,
			  .write = "count=5000 ctx=task" };
	return run_channel(&R);
}

static int test_odd_size_and_rounding(void)
{
	R = (struct run){ .open = "subbuf=5000 n=3", .len = 17,
			  .write = "count=2000 ctx=task" };
	if (run_channel(&R))
		return -1;
	CHECK_EQ(R.rd[0].subbuf, 8192);	/* rounded up to a power of 2 */
	return 0;
}

static int test_whole_subbuf_records(void)
{
	R = (struct run){ .open = "subbuf=8192 n=2 hdr=8", .len = 8184,
			  .hdr = 8, .write = "count=40 ctx=task" };
	return run_channel(&R);
}

static int test_too_big_is_refused(void)
{
	int cpu;

	R = (struct run){ .open = "subbuf=4096 n=2", .len = 4097,
			  .write = "count=10 ctx=task" };
	if (run_channel(&R))
		return -1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		CHECK_EQ(res[cpu][RFS_CTX_TASK].big, 10);
		CHECK_EQ(R.rd[cpu].records, 0);
	}
	return 0;
}

static int test_headers_mark_each_subbuf(void)
{
	R = (struct run){ .open = "subbuf=4096 n=4 hdr=16", .len = 40,
			  .hdr = 16, .write = "count=2000 ctx=task" };
	if (run_channel(&R))
		return -1;
	/* Four sub-buffers fill before anything can drop. */
	CHECK(R.rd[0].subbufs >= 4);
	return 0;
}

static int test_no_overwrite_full_buffer_drops(void)
{
	int cpu;

	/* No reader during the write: 2 x 4 KiB holds 2 x 63 records. */
	R = (struct run){ .open = "subbuf=4096 n=2", .len = 64,
			  .write = "count=1000 ctx=task", .after_close = true };
	if (run_channel(&R))
		return -1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		CHECK_EQ(R.rd[cpu].records, 2 * (4096 / 64));
		CHECK_EQ(res[cpu][RFS_CTX_TASK].nospc, 1000 - 2 * 64);
	}
	return 0;
}

static int test_overwrite_keeps_newest(void)
{
	int cpu;

	R = (struct run){ .open = "subbuf=4096 n=4 overwrite=1", .len = 64,
			  .overwrite = true, .write = "count=2000 ctx=task",
			  .after_close = true };
	if (run_channel(&R))
		return -1;
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct reader *r = &R.rd[cpu];

		/* The newest records survive, up to the last one. */
		CHECK_EQ(r->next_seq[RFS_CTX_TASK], 2000);
		CHECK(r->records >= 3 * 64 && r->records <= 4 * 64);
	}
	return 0;
}

static int test_overwrite_with_live_readers(void)
{
	R = (struct run){ .open = "subbuf=4096 n=2 overwrite=1", .len = 32,
			  .overwrite = true, .write = "count=3000 ctx=all" };
	return run_channel(&R);
}

static int test_nesting_limit_drops(void)
{
	struct relayfs_buf_stats st;
	long nested = 0;
	int cpu, fd[MAXCPU];

	CHECK_EQ(ctl("open subbuf=8192 n=4"), 0);
	CHECK_EQ(ctl("nest"), 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		fd[cpu] = open_cpu(cpu, 0);
		CHECK(fd[cpu] >= 0);
		CHECK(get_stats(fd[cpu], &st) == 0);
		nested += st.nested_records;
		if (st.nested_records) {
			CHECK_EQ(st.nested_records, 1);
			CHECK_EQ(st.dropped_records, 1);
			CHECK_EQ(st.accepted_records, 4);
			CHECK_EQ(st.unread_records, 4);
		}
		close(fd[cpu]);
	}
	CHECK_EQ(nested, 1);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int test_read_poll_epoll_nonblock_eof(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct pollfd pfd;
	char buf[8192];
	int fd, ep, cpu;

	CHECK_EQ(ctl("open subbuf=8192 n=4 flush_ms=60000"), 0);
	fd = open_cpu(0, O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	ep = epoll_create1(0);
	CHECK(ep >= 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);

	/* Data in an open sub-buffer is not readable until flushed. */
	CHECK_EQ(ctl("write len=64 count=10 ctx=task"), 0);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(ctl("flush"), 0);
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 640);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);

	/* Closed and drained: EOF and EPOLLHUP. */
	CHECK_EQ(ctl("write len=64 count=3 ctx=task"), 0);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		CHECK_EQ(res[cpu][RFS_CTX_TASK].ok, 3);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 192);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_EQ(poll(&pfd, 1, 1000), 1);
	CHECK(pfd.revents & POLLHUP);
	close(ep);
	close(fd);
	return 0;
}

static int test_quiet_channel_bounded_latency(void)
{
	char buf[8192];
	double t0, dt;
	int fd;

	CHECK_EQ(ctl("open subbuf=8192 n=4 flush_ms=300"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	t0 = now_s();
	CHECK_EQ(ctl("write len=100 count=1 ctx=task"), 0);
	/* Blocking read: the flush timer must deliver the lone record. */
	CHECK_EQ(read(fd, buf, sizeof(buf)), 100);
	dt = now_s() - t0;
	CHECK_EQ(ctl("close"), 0);
	close(fd);
	printf("# lone record readable after %.3f s (flush_ms=300)\n", dt);
	/*
	 * The flush timer's own bound: armed after the write, it fires no
	 * sooner than 300 ms less a jiffy, and delivers within the interval
	 * plus 700 ms of stated slack (the ctl write's work, the timer's
	 * jiffy, the reader's wakeup, an emulator sharing its host).
	 */
	CHECK(dt >= 0.29);
	CHECK(dt <= 0.3 + 0.7);
	return 0;
}

/*
 * A reserve + discard of a sub-buffer's only record, then quiet past the
 * flush interval, then one record: it must be readable within the flush
 * interval all the same (the discard must not have left the sub-buffer
 * open with nothing to arm its flush timer).
 */
static int test_discard_then_quiet_latency(void)
{
	struct reader r = { .cpu = 0, .len = 100 };
	struct pollfd pfd;
	uint8_t buf[8192];
	double t0, dt = 0;
	ssize_t n = 0;
	int fd, i;

	CHECK(pin_to_cpu0(true) == 0);
	CHECK_EQ(ctl("open subbuf=8192 n=4 flush_ms=100"), 0);
	fd = open_cpu(0, O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_EQ(ctl("discard len=64"), 0);	/* on CPU 0: we are there */
	CHECK(pin_to_cpu0(false) == 0);
	/* Quiet, past the interval: the time itself is what is tested. */
	usleep(300 * 1000);
	t0 = now_s();
	CHECK_EQ(ctl("write len=100 count=1 ctx=task cpu=0"), 0);
	/*
	 * The discarded record may come first as a sub-buffer of zeros (a
	 * void); the record must follow within flush_ms and a slack for
	 * emulation.
	 */
	for (i = 0; i < 3; i++) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		CHECK_EQ(poll(&pfd, 1, 5100 - (int)(dt * 1000)), 1);
		n = read(fd, buf, sizeof(buf));
		dt = now_s() - t0;
		CHECK(n > 0);
		if (buf[0] || memcmp(buf, buf + 1, n - 1))
			break;
		printf("# a void of %zd bytes first\n", n);
	}
	printf("# record readable %.3f s after it was written "
	       "(flush_ms=100)\n", dt);
	CHECK_EQ(n, 100);
	CHECK(verify_rec(&r, buf, n) == 0);
	CHECK(dt < 5.1);
	CHECK_EQ(ctl("close"), 0);
	close(fd);
	return 0;
}

static volatile int opener_stop;

/* Open CPU 0's file as soon as it appears; its fd, or -1. */
static void *opener_fn(void *arg)
{
	int *fdp = arg;

	while (!opener_stop) {
		*fdp = open_cpu(0, O_NONBLOCK);
		if (*fdp >= 0)
			break;
	}
	return NULL;
}

/*
 * A channel whose creation fails at a later CPU's file: a reader that
 * opened an earlier CPU's file meanwhile gets EOF, not a wait forever.
 */
static int test_failed_open_ends_readers(void)
{
	struct pollfd pfd;
	pthread_t th;
	int fd = -1, tries, err = 0;
	char buf[64];

	CHECK(ncpus >= 2);
	CHECK_EQ(ctl("clash cpu=1"), 0);
	opener_stop = 0;
	CHECK(pthread_create(&th, NULL, opener_fn, &fd) == 0);
	/* Until the opener catches rfs0 between its creation and removal. */
	for (tries = 0; tries < 2000 && fd < 0; tries++) {
		err = ctl("open");
		if (err != -EEXIST)
			break;
	}
	opener_stop = 1;
	pthread_join(th, NULL);
	CHECK_EQ(err, -EEXIST);
	printf("# rfs0 opened during open attempt %d\n", tries);
	CHECK(fd >= 0);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK(pfd.revents & POLLHUP);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* Nothing is left behind: without the clash the name works. */
	CHECK_EQ(ctl("clash off"), 0);
	CHECK_EQ(ctl("open"), 0);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

/*
 * Records per CPU and context in a reset storm; storm_records=N on the
 * kernel command line (the environment of the suites) for longer storms.
 */
static int storm_records = 3000;

/*
 * relayfs_reset() in a loop under writers in every context on every CPU
 * (lib/live.c); rfs-torture's reset_storm widens the windows with
 * relayfs-inject.ko.
 */
static int test_reset_storm(void)
{
	long resets;

	CHECK(reset_storm("subbuf=4096 n=4 hdr=8", NULL, 4, storm_records,
			  &resets) == 0);
	printf("# %ld resets under the writers\n", resets);
	CHECK(reset_storm("subbuf=4096 n=4 overwrite=1", NULL, 4,
			  storm_records, &resets) == 0);
	printf("# %ld resets under the writers\n", resets);
	return 0;
}

static int test_one_reader_per_buffer(void)
{
	int fd, fd2;

	CHECK_EQ(ctl("open"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	CHECK_ERRNO(open_cpu(0, 0), EBUSY);
	close(fd);
	fd2 = open_cpu(0, 0);
	CHECK(fd2 >= 0);
	close(fd2);
	CHECK_ERRNO(open(ROOT "/rfs0", O_RDWR), EACCES);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static int test_unprivileged_open_refused(void)
{
	pid_t pid;
	int status;

	CHECK_EQ(ctl("open"), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open_cpu(0, 0) == -1 && errno == EACCES ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static int test_bad_ioctls(void)
{
	struct relayfs_buf_info info;
	int fd;

	CHECK_EQ(ctl("open"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	CHECK_ERRNO(ioctl(fd, 0, 0), ENOTTY);
	CHECK_ERRNO(ioctl(fd, _IOR(RELAYFS_IOC_MAGIC, 99, int), &info),
		    ENOTTY);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_GET_STATS, (void *)16), EFAULT);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_GET_INFO, (void *)16), EFAULT);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_GET_CLOCKS, (void *)16), EFAULT);
	CHECK(ioctl(fd, RELAYFS_IOC_GET_INFO, &info) == 0);
	close(fd);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

/* The ABI as a 32-bit program sees it (this file is also built -m32). */
static int test_ioctl_abi(void)
{
	struct relayfs_buf_info info;
	struct relayfs_buf_stats st;
	int fd;

	CHECK_EQ(sizeof(info), 32);
	CHECK_EQ(sizeof(st), 176);
	CHECK_EQ(ctl("open subbuf=4096 n=2"), 0);
	CHECK_EQ(ctl("write len=64 count=10 ctx=task"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	memset(&info, 0xa5, sizeof(info));
	CHECK(ioctl(fd, RELAYFS_IOC_GET_INFO, &info) == 0);
	CHECK_EQ(info.version, RELAYFS_ABI_VERSION);
	CHECK_EQ(info.subbuf_size, 4096);
	CHECK_EQ(info.n_subbufs, 2);
	CHECK_EQ(info.buf_size, 8192);
	CHECK(get_stats(fd, &st) == 0);
	CHECK_EQ(st.accepted_records, 10);
	CHECK_EQ(st.accepted_bytes, 640);
	CHECK_EQ(st.unread_records, 10);
	CHECK_EQ(st.dropped_records, 0);
	close(fd);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static const clockid_t posix_clocks[3] = {
	CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
};

/*
 * How far local_clock() and the timekeeping clocks may disagree at one
 * instant beside the reading's own uncertainty: where sched_clock is
 * unstable (6.1 under qemu TCG) local_clock() is held within a tick of the
 * jiffies clock (4 ms at HZ=250), less than this.
 */
#define CLOCK_SKEW_NS	10000000ULL

/* The POSIX clocks, in posix_clocks[]'s order. */
static void posix_now(uint64_t t[3])
{
	struct timespec ts;
	int i;

	for (i = 0; i < 3; i++) {
		clock_gettime(posix_clocks[i], &ts);
		t[i] = ts_ns(&ts);
	}
}

static uint64_t clock_field(const struct relayfs_clocks *c, int i)
{
	return i == 0 ? c->realtime_ns : i == 1 ? c->monotonic_ns :
	       c->boottime_ns;
}

/*
 * RELAYFS_IOC_GET_CLOCKS between readings of the POSIX clocks, the best
 * (smallest uncertainty) of five, as relay_clock_anchor() takes it: on a
 * loaded TCG host one reading may be stretched by a preempted vCPU.
 */
static int get_clocks(int fd, struct relayfs_clocks *c, uint64_t before[3],
		      uint64_t after[3])
{
	struct relayfs_clocks t;
	uint64_t b[3], a[3];
	int i, try;

	for (try = 0; try < 5; try++) {
		posix_now(b);
		memset(&t, 0xa5, sizeof(t));
		CHECK(ioctl(fd, RELAYFS_IOC_GET_CLOCKS, &t) == 0);
		posix_now(a);
		if (try && t.uncertainty_ns >= c->uncertainty_ns)
			continue;
		*c = t;
		for (i = 0; i < 3; i++) {
			before[i] = b[i];
			after[i] = a[i];
		}
	}
	printf("# clocks: cpu %u local %llu +- %llu real %llu mono %llu "
	       "boot %llu\n", c->cpu, (unsigned long long)c->local_ns,
	       (unsigned long long)c->uncertainty_ns,
	       (unsigned long long)c->realtime_ns,
	       (unsigned long long)c->monotonic_ns,
	       (unsigned long long)c->boottime_ns);
	CHECK_EQ(c->version, RELAYFS_ABI_VERSION);
	/* Pinned: the reading is this CPU's, whatever file answered. */
	CHECK_EQ(c->cpu, 0);
	for (i = 0; i < 3; i++) {
		/* Each POSIX clock as user space read it around the call. */
		CHECK(before[i] <= clock_field(c, i));
		CHECK(clock_field(c, i) <= after[i]);
	}
	/*
	 * Both local_clock() readings were taken inside the call: their
	 * distance (2 * uncertainty) fits in its CLOCK_MONOTONIC window.
	 */
	CHECK(2 * c->uncertainty_ns <= after[1] - before[1] + CLOCK_SKEW_NS);
	return 0;
}

/*
 * A producer write's local_clock() window [w0, w1], mapped onto each POSIX
 * clock by the anchor @c, lies within what user space read of that clock
 * around the write (@b, @a), to the anchor's uncertainty and the skew: a
 * local_ns paired with POSIX readings of another instant, or the fields
 * swapped, land outside.
 */
static int write_mapped(const struct relayfs_clocks *c, const uint64_t b[3],
			const uint64_t a[3], unsigned long long w0,
			unsigned long long w1)
{
	uint64_t slack = c->uncertainty_ns + CLOCK_SKEW_NS;
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t m0 = clock_field(c, i) + (w0 - c->local_ns);
		uint64_t m1 = clock_field(c, i) + (w1 - c->local_ns);

		printf("# clock %d: write at %llu..%llu, read around it "
		       "%llu..%llu\n", i, (unsigned long long)m0,
		       (unsigned long long)m1, (unsigned long long)b[i],
		       (unsigned long long)a[i]);
		CHECK(m0 + slack >= b[i]);
		CHECK(m1 <= a[i] + slack);
	}
	return 0;
}

/*
 * The second half of test_get_clocks(): two readings @ms apart agree on
 * how much time passed.  local_clock() and the timekeeping clocks may run
 * from different hardware (TSC, HPET): 1% apart at most, plus both
 * readings' windows, plus a tick: where the kernel marks sched_clock
 * unstable (6.1 under qemu TCG), local_clock() is kept within a tick of
 * the jiffies clock and may stand still or jump by that much (seen: 1.36
 * ms over 52 ms, local_clock() equal in three readings 2 ms apart).
 */
static int clocks_agree(int fd, const struct relayfs_clocks *c,
			unsigned int ms)
{
	uint64_t b2[3], a2[3];
	struct relayfs_clocks c2;
	int64_t dl, dm;
	int i;

	usleep(ms * 1000);
	CHECK(get_clocks(fd, &c2, b2, a2) == 0);
	CHECK(c2.local_ns > c->local_ns);
	dl = c2.local_ns - c->local_ns;
	for (i = 0; i < 3; i++) {
		uint64_t k1 = i == 0 ? c->realtime_ns : i == 1 ?
			      c->monotonic_ns : c->boottime_ns;
		uint64_t k2 = i == 0 ? c2.realtime_ns : i == 1 ?
			      c2.monotonic_ns : c2.boottime_ns;

		dm = k2 - k1;
		printf("# clock %d: %lld ns passed, local_clock %lld\n", i,
		       (long long)dm, (long long)dl);
		CHECK(dm >= (int64_t)ms * 1000000);
		CHECK(llabs(dm - dl) <= (long long)(dl / 100 +
			c->uncertainty_ns + c2.uncertainty_ns + 10000000));
	}
	return 0;
}

/*
 * RELAYFS_IOC_GET_CLOCKS: the POSIX clocks within what user space read
 * just before and after the call; local_ns, +- its uncertainty, after the
 * producer's local_clock() window of a write before the call and before
 * that of a write after it; a second reading 500 ms later agrees on how
 * much time passed.  The answer comes from another CPU's file on purpose.
 */
static int clocks_check(int fd)
{
	uint64_t b[3], a[3], wb1[3], wa1[3], wb2[3], wa2[3];
	unsigned long long w0, w1, w2, w3;
	struct relayfs_clocks c;

	posix_now(wb1);
	CHECK_EQ(ctl("write len=64 count=1 ctx=task cpu=0"), 0);
	posix_now(wa1);
	CHECK_EQ(read_window(&w0, &w1), 0);
	CHECK(get_clocks(fd, &c, b, a) == 0);
	posix_now(wb2);
	CHECK_EQ(ctl("write len=64 count=1 ctx=task cpu=0"), 0);
	posix_now(wa2);
	CHECK_EQ(read_window(&w2, &w3), 0);
	printf("# windows %llu..%llu, %llu..%llu\n", w0, w1, w2, w3);
	CHECK(w1 <= c.local_ns + c.uncertainty_ns);
	CHECK(c.local_ns - c.uncertainty_ns <= w2);
	CHECK(write_mapped(&c, wb1, wa1, w0, w1) == 0);
	CHECK(write_mapped(&c, wb2, wa2, w2, w3) == 0);
	return clocks_agree(fd, &c, 500);
}

static int test_get_clocks(void)
{
	struct relayfs_clocks c;
	int fd, ret;

	CHECK_EQ(sizeof(c), 48);
	CHECK(pin_to_cpu0(true) == 0);
	CHECK_EQ(ctl("open subbuf=4096 n=2"), 0);
	fd = open_cpu(ncpus - 1, 0);
	CHECK(fd >= 0);
	/* The channel is closed whatever the checks find: later cases. */
	ret = clocks_check(fd);
	close(fd);
	CHECK(pin_to_cpu0(false) == 0);
	CHECK_EQ(ctl("close"), 0);
	return ret;
}

static int test_reset(void)
{
	struct relayfs_buf_stats st;
	int fd;

	CHECK_EQ(ctl("open subbuf=4096 n=2"), 0);
	CHECK_EQ(ctl("write len=64 count=10 ctx=task"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(ctl("reset"), -EBUSY);
	CHECK(get_stats(fd, &st) == 0);
	CHECK_EQ(st.accepted_records, 10);
	close(fd);
	CHECK_EQ(ctl("reset"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	CHECK(get_stats(fd, &st) == 0);
	CHECK_EQ(st.attempted_records, 0);
	CHECK_EQ(st.unread_records, 0);
	close(fd);
	/* And it works again afterwards. */
	CHECK_EQ(ctl("write len=64 count=5 ctx=task"), 0);
	CHECK_EQ(ctl("flush"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	{
		char buf[4096];

		CHECK_EQ(read(fd, buf, sizeof(buf)), 320);
	}
	close(fd);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static int test_stats_text_file(void)
{
	char line[2048], first[32];
	FILE *f;
	int lines = 0;

	CHECK_EQ(ctl("open subbuf=4096 n=2"), 0);
	CHECK_EQ(ctl("write len=64 count=7 ctx=task"), 0);
	f = fopen(ROOT "/rfs.stats", "r");
	CHECK(f != NULL);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(strncmp(line, "cpu attempted_records", 21) == 0);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long att;

		CHECK(sscanf(line, "%31s %llu", first, &att) == 2);
		if (!strcmp(first, "total"))
			CHECK_EQ(att, 7ULL * ncpus);
		else
			CHECK_EQ(att, 7);
		lines++;
	}
	fclose(f);
	CHECK_EQ(lines, ncpus + 1);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "task_records_no_overwrite", test_task_records_no_overwrite },
	{ "all_contexts_concurrently", test_all_contexts_concurrently },
	{ "nmi_records_alone", test_nmi_records_alone },
	{ "all_contexts_small_buffer_drops",
	  test_all_contexts_small_buffer_drops },
	{ "one_byte_records", test_one_byte_records },
	{ "odd_size_and_rounding", test_odd_size_and_rounding },
	{ "whole_subbuf_records", test_whole_subbuf_records },
	{ "too_big_is_refused", test_too_big_is_refused },
	{ "headers_mark_each_subbuf", test_headers_mark_each_subbuf },
	{ "no_overwrite_full_buffer_drops",
	  test_no_overwrite_full_buffer_drops },
	{ "overwrite_keeps_newest", test_overwrite_keeps_newest },
	{ "overwrite_with_live_readers", test_overwrite_with_live_readers },
	{ "nesting_limit_drops", test_nesting_limit_drops },
	{ "read_poll_epoll_nonblock_eof", test_read_poll_epoll_nonblock_eof },
	{ "quiet_channel_bounded_latency",
	  test_quiet_channel_bounded_latency },
	{ "discard_then_quiet_latency", test_discard_then_quiet_latency },
	{ "failed_open_ends_readers", test_failed_open_ends_readers },
	{ "one_reader_per_buffer", test_one_reader_per_buffer },
	{ "unprivileged_open_refused", test_unprivileged_open_refused },
	{ "bad_ioctls", test_bad_ioctls },
	{ "ioctl_abi", test_ioctl_abi },
	{ "get_clocks", test_get_clocks },
	{ "reset", test_reset },
	{ "reset_storm", test_reset_storm },
	{ "stats_text_file", test_stats_text_file },
};

int main(int argc, char **argv)
{
	if (getenv("storm_records"))
		storm_records = atoi(getenv("storm_records"));
	return rfstest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			    argv);
}

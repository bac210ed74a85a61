// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of the consumer side of relayfs.ko: the zero-copy mmap
 * protocol (RELAYFS_IOC_CONSUME), per-sub-buffer metadata and losses
 * placed in time, overwrite-mode consumers, splice/sendfile, CPU hotplug
 * and bad input to all of it.  Drives tests/kmod/relayfs_testprod.ko.
 *
 *   rfs-read [SUBSTRING]    run the tests whose name contains SUBSTRING
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "ktap.h"
#include "lib/rfstest.h"

static struct run R;

static int test_mmap_consumer_all_contexts(void)
{
	int mapped0, unmapped0, mapped, unmapped;

	R = (struct run){ .open = "subbuf=8192 n=8 hdr=8", .hdr = 8,
			  .len = 96, .write = "count=2000 ctx=all",
			  .use_mmap = true };
	CHECK_EQ(read_maps(&mapped0, &unmapped0), 0);
	CHECK(run_channel(&R) == 0);
	/*
	 * One first-map call per buffer; the unmaps came after the close,
	 * when no callback may run any more (bad_mmap covers them).
	 */
	CHECK_EQ(read_maps(&mapped, &unmapped), 0);
	CHECK_EQ(mapped - mapped0, ncpus);
	CHECK_EQ(unmapped - unmapped0, 0);
	return 0;
}

static int test_mmap_prefilled_in_two_calls(void)
{
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct relayfs_consume c;
	struct reader r = { .cpu = 0, .len = 64, .subbuf = 4096 };
	uint8_t *map;
	unsigned int i;

	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=4096 n=16"), 0);
	/* 15 full sub-buffers of 64 records, on CPU 0 only. */
	r.fd = open_cpu(0, 0);
	CHECK(r.fd >= 0);
	CHECK_EQ(ctl("write len=64 count=960 ctx=task cpu=0"), 0);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	map = mmap(NULL, 16 * 4096, PROT_READ, MAP_SHARED, r.fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK_EQ(consume(r.fd, 0, RELAYFS_CONSUME_WAIT, e, MAX_ENTRIES, &c),
		 0);
	CHECK_EQ(c.n_entries, 15);
	CHECK_EQ(c.next, 0);
	CHECK_EQ(c.status, 0);
	for (i = 0; i < c.n_entries; i++) {
		CHECK_EQ(e[i].seq, i);
		CHECK_EQ(e[i].offset, i * 4096);
		CHECK_EQ(e[i].records, 64);
		CHECK_EQ(e[i].padding, 0);
		CHECK_EQ(e[i].drops, 0);
		CHECK(verify_entry(&r, &e[i], map + e[i].offset) == 0);
	}
	CHECK_EQ(consume(r.fd, 15, RELAYFS_CONSUME_WAIT, e, MAX_ENTRIES, &c),
		 0);
	CHECK_EQ(c.n_entries, 0);
	CHECK_EQ(c.valid_from, 0);
	CHECK_EQ(c.status, RELAYFS_CONSUME_EOF);
	r.subbufs = 15;
	CHECK(check_counts(&r, true) == 0);
	printf("# 15 sub-buffers drained with 2 system calls\n");
	munmap(map, 16 * 4096);
	close(r.fd);
	return 0;
}

static int test_overwrite_mmap_consumer_exact(void)
{
	R = (struct run){ .open = "subbuf=4096 n=4 overwrite=1 hdr=8",
			  .hdr = 8, .len = 48, .overwrite = true,
			  .use_mmap = true, .write = "count=4000 ctx=all" };
	CHECK(run_channel(&R) == 0);
	return 0;
}

static int test_read_subbuf_metadata(void)
{
	struct relayfs_subbuf sb;
	char buf[8192];
	int fd;

	CHECK_EQ(ctl("open subbuf=8192 n=4"), 0);
	fd = open_cpu(0, O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_GET_SUBBUF, &sb), ENODATA);
	CHECK_EQ(ctl("write len=100 count=30 ctx=task cpu=0"), 0);
	CHECK_EQ(ctl("flush"), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 3000);
	memset(&sb, 0xa5, sizeof(sb));
	CHECK(ioctl(fd, RELAYFS_IOC_GET_SUBBUF, &sb) == 0);
	CHECK_EQ(sb.seq, 0);
	CHECK_EQ(sb.offset, 0);
	CHECK_EQ(sb.records, 30);
	CHECK_EQ(sb.bytes, 3000);
	CHECK_EQ(sb.used, 3000);
	CHECK_EQ(sb.padding, 8192 - 3000);
	CHECK_EQ(sb.drops, 0);
	CHECK(sb.t_open > 0 && sb.t_open <= sb.t_close);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_GET_SUBBUF, (void *)8), EFAULT);
	CHECK_EQ(ctl("close"), 0);
	close(fd);
	return 0;
}

struct later_flush {
	int fd;
	unsigned int delay_us;
	int ret;
};

static void *later_flush_fn(void *arg)
{
	struct later_flush *lf = arg;

	usleep(lf->delay_us);
	lf->ret = ioctl(lf->fd, RELAYFS_IOC_FLUSH) ? -errno : 0;
	return NULL;
}

static unsigned long long produced(int fd)
{
	struct relayfs_buf_stats st;

	return get_stats(fd, &st) ? ~0ULL : st.subbufs_produced;
}

/*
 * RELAYFS_IOC_FLUSH on a channel whose flush timer would take a minute:
 * a partial sub-buffer becomes readable at once, by read() (a blocked
 * reader is woken) and by the mmap consumer; on an empty one it switches
 * nothing (no sub-buffer produced, no empty one to read); bad uses get
 * their errno; the counters are exact after.
 */
static int test_ioc_flush(void)
{
	struct reader r0 = { .cpu = 0, .len = 100, .subbuf = 8192 };
	struct reader r1 = { .cpu = 1, .len = 100, .subbuf = 8192 };
	struct relayfs_subbuf e[MAX_ENTRIES], sb;
	struct relayfs_buf_stats st;
	struct relayfs_consume c;
	struct later_flush lf;
	struct timespec a, b;
	double ms;
	char buf[8192];
	pthread_t th;
	uint8_t *map;
	int fd0, fd1, sfd, cpu;

	CHECK(ncpus >= 2);
	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=8192 n=4 flush_ms=60000"), 0);
	fd0 = open_cpu(0, O_NONBLOCK);
	fd1 = open_cpu(1, O_NONBLOCK);
	CHECK(fd0 >= 0 && fd1 >= 0);
	/* Empty: nothing switched. */
	CHECK_EQ(ioctl(fd0, RELAYFS_IOC_FLUSH), 0);
	CHECK_EQ(produced(fd0), 0);
	CHECK_ERRNO(read(fd0, buf, sizeof(buf)), EAGAIN);

	/* read(): 30 records wait in CPU 0's open sub-buffer. */
	CHECK_EQ(ctl("write len=100 count=30 ctx=task cpu=0"), 0);
	CHECK_ERRNO(read(fd0, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(produced(fd0), 0);
	CHECK_EQ(ioctl(fd0, RELAYFS_IOC_FLUSH), 0);
	CHECK_EQ(read(fd0, buf, sizeof(buf)), 3000);
	CHECK(verify_chunk(&r0, (uint8_t *)buf, 3000) == 0 ||
	      (printf("# %s\n", r0.err), 0));
	CHECK_EQ(r0.records, 30);
	CHECK(ioctl(fd0, RELAYFS_IOC_GET_SUBBUF, &sb) == 0);
	CHECK_EQ(sb.seq, 0);
	CHECK_EQ(sb.records, 30);
	CHECK_EQ(sb.padding, 8192 - 3000);
	/* Nothing since: a second flush closes nothing. */
	CHECK_EQ(ioctl(fd0, RELAYFS_IOC_FLUSH), 0);
	CHECK_EQ(produced(fd0), 1);
	CHECK_ERRNO(read(fd0, buf, sizeof(buf)), EAGAIN);

	/* A reader blocked in read() is woken by a flush from elsewhere. */
	CHECK_EQ(ctl("write len=100 count=10 ctx=task cpu=0"), 0);
	CHECK_EQ(fcntl(fd0, F_SETFL, 0), 0);
	lf = (struct later_flush){ .fd = fd0, .delay_us = 200000 };
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(pthread_create(&th, NULL, later_flush_fn, &lf) == 0);
	CHECK_EQ(read(fd0, buf, sizeof(buf)), 1000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(th, NULL);
	CHECK_EQ(lf.ret, 0);
	CHECK(verify_chunk(&r0, (uint8_t *)buf, 1000) == 0 ||
	      (printf("# %s\n", r0.err), 0));
	ms = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e6;
	printf("# blocked read woken %.1f ms after it began (flush at "
	       "200 ms)\n", ms);
	/* By the flush: not before it, and not by the 60 s timer. */
	CHECK(ms >= 190 && ms < 5000);

	/* mmap + RELAYFS_IOC_CONSUME on CPU 1, flushed from this CPU. */
	map = mmap(NULL, 4 * 8192, PROT_READ, MAP_SHARED, fd1, 0);
	CHECK(map != MAP_FAILED);
	CHECK_EQ(ctl("write len=100 count=20 ctx=hardirq cpu=1"), 0);
	CHECK_EQ(consume(fd1, 0, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 0);
	CHECK_EQ(ioctl(fd1, RELAYFS_IOC_FLUSH), 0);
	CHECK_EQ(consume(fd1, 0, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 1);
	CHECK_EQ(e[0].seq, 0);
	CHECK_EQ(e[0].records, 20);
	CHECK(verify_entry(&r1, &e[0], map + e[0].offset) == 0 ||
	      (printf("# %s\n", r1.err), 0));
	CHECK_EQ(consume(fd1, 1, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 0);
	CHECK_EQ(ioctl(fd1, RELAYFS_IOC_FLUSH), 0);
	CHECK_EQ(consume(fd1, 1, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 0);
	CHECK_EQ(produced(fd1), 1);

	/* Bad uses. */
	CHECK_ERRNO(ioctl(-1, RELAYFS_IOC_FLUSH), EBADF);
	sfd = open(ROOT "/rfs.stats", O_RDONLY);
	CHECK(sfd >= 0);
	CHECK_ERRNO(ioctl(sfd, RELAYFS_IOC_FLUSH), ENOTTY);
	close(sfd);
	/* Same number, another direction or size: not this ioctl. */
	CHECK_ERRNO(ioctl(fd0, _IOW(RELAYFS_IOC_MAGIC, 6, int), 0), ENOTTY);

	/* Exact counters, and flushes of a closed channel do nothing. */
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	CHECK_EQ(ioctl(fd0, RELAYFS_IOC_FLUSH), 0);
	for (cpu = 0; cpu < 2; cpu++) {
		CHECK(get_stats(cpu ? fd1 : fd0, &st) == 0);
		CHECK(check_equations(&st) == 0);
		CHECK_EQ(st.accepted_records, cpu ? 20 : 40);
		CHECK_EQ(st.consumed_records, cpu ? 20 : 40);
		CHECK_EQ(st.unread_records, 0);
		CHECK_EQ(st.subbufs_produced, cpu ? 1 : 2);
	}
	munmap(map, 4 * 8192);
	close(fd1);
	CHECK_ERRNO(ioctl(fd1, RELAYFS_IOC_FLUSH), EBADF);
	close(fd0);
	return 0;
}

/*
 * Flushes from another task in a loop while every context on every CPU
 * writes: the IPI lands on writers mid-record as an interrupt would, and
 * every record is still read exactly once, whole, counters exact.
 */
static int test_ioc_flush_while_writing(void)
{
	R = (struct run){ .open = "subbuf=8192 n=8 hdr=8", .hdr = 8,
			  .len = 64, .write = "count=3000 ctx=all",
			  .use_mmap = true, .flush_storm = true };
	CHECK(run_channel(&R) == 0);
	printf("# %ld flushes during the write\n", R.flushes);
	R.use_mmap = false;
	CHECK(run_channel(&R) == 0);
	printf("# %ld flushes during the write (read())\n", R.flushes);
	return 0;
}

static int test_losses_placed_in_time(void)
{
	unsigned long long w0, w1;
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct relayfs_consume c;
	struct reader r = { .cpu = 0, .len = 64, .subbuf = 4096 };
	long dropped;
	uint8_t *map;
	unsigned int i;

	/* The producer's window clock and CPU 0's buffer share a clock. */
	CHECK(pin_to_cpu0(true) == 0);
	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=4096 n=4 flush_ms=60000"), 0);
	r.fd = open_cpu(0, O_NONBLOCK);
	CHECK(r.fd >= 0);
	map = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, r.fd, 0);
	CHECK(map != MAP_FAILED);
	/* Before the window: half a sub-buffer, no loss. */
	CHECK_EQ(ctl("write len=64 count=32 ctx=task cpu=0"), 0);
	/* The window: nobody consumes, 4 x 64 records fit, the rest drop. */
	CHECK_EQ(ctl("write len=64 count=1000 ctx=task cpu=0"), 0);
	CHECK_EQ(read_window(&w0, &w1), 0);
	CHECK_EQ(read_results(), 0);
	dropped = res[0][RFS_CTX_TASK].nospc;
	CHECK_EQ(dropped, 1032 - 256);
	CHECK_EQ(consume(r.fd, 0, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 4);
	for (i = 0; i < 4; i++)
		CHECK(verify_entry(&r, &e[i], map + e[i].offset) == 0);
	/* After the window: consumed, then more records. */
	CHECK_EQ(consume(r.fd, 4, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(ctl("write len=64 count=10 ctx=task cpu=0"), 0);
	CHECK_EQ(ctl("flush"), 0);
	CHECK_EQ(consume(r.fd, 4, 0, e + 4, 1, &c), 0);
	CHECK_EQ(c.n_entries, 1);
	CHECK(verify_entry(&r, &e[4], map + e[4].offset) == 0);
	for (i = 0; i < 5; i++)
		printf("# sb %u: open %llu close %llu drops %llu\n", i,
		       (unsigned long long)e[i].t_open,
		       (unsigned long long)e[i].t_close,
		       (unsigned long long)e[i].drops);
	printf("# window %llu..%llu\n", w0, w1);
	/* Nothing lost before sub-buffer 3 closed, inside the window... */
	for (i = 0; i < 4; i++)
		CHECK_EQ(e[i].drops, 0);
	CHECK(e[3].t_close >= w0 && e[3].t_close <= w1);
	/* ...and all of it before sub-buffer 4 opened, after the window. */
	CHECK_EQ(e[4].drops, dropped);
	CHECK(e[4].t_open >= w1);
	CHECK(pin_to_cpu0(false) == 0);
	CHECK_EQ(ctl("close"), 0);
	munmap(map, 4 * 4096);
	close(r.fd);
	return 0;
}

/* Read a closed channel's buffer @fd to EOF with @how into @out. */
static ssize_t drain(int fd, int how, uint8_t *out, size_t max)
{
	int p[2], tmp = -1;
	size_t got = 0;
	ssize_t n;

	if (how == 1 && pipe(p))
		return -1;
	if (how == 2) {
		tmp = open("/tmp", O_TMPFILE | O_RDWR, 0600);
		if (tmp < 0)
			return -1;
	}
	for (;;) {
		if (how == 0)
			n = read(fd, out + got, max - got);
		else if (how == 1)
			n = splice(fd, NULL, p[1], NULL, 65536, 0);
		else
			n = sendfile(tmp, fd, NULL, 1 << 20);
		if (n <= 0)
			break;
		if (how == 1 && read(p[0], out + got, n) != n)
			return -1;
		got += n;
	}
	if (how == 1) {
		close(p[0]);
		close(p[1]);
	}
	if (how == 2) {
		if (n == 0 && pread(tmp, out, max, 0) != (ssize_t)got)
			return -1;
		close(tmp);
	}
	close(fd);
	return n < 0 ? -1 : (ssize_t)got;
}

static int test_splice_and_sendfile_match_read(void)
{
	static uint8_t data[3][65536];
	struct reader r = { .cpu = 0, .len = 100 };
	static const char * const name[] = { "read", "splice", "sendfile" };
	ssize_t got;
	int how, fd;

	for (how = 0; how < 3; how++) {
		CHECK_EQ(ctl("open subbuf=8192 n=8"), 0);
		fd = open_cpu(0, 0);
		CHECK(fd >= 0);
		CHECK_EQ(ctl("write len=100 count=500 ctx=task cpu=0"), 0);
		CHECK_EQ(ctl("close"), 0);
		got = drain(fd, how, data[how], sizeof(data[how]));
		printf("# %s: %zd bytes\n", name[how], got);
		CHECK_EQ(got, 50000);
	}
	CHECK(memcmp(data[0], data[1], 50000) == 0);
	CHECK(memcmp(data[0], data[2], 50000) == 0);
	CHECK(verify_chunk(&r, data[2], 50000) == 0);
	CHECK_EQ(r.records, 500);
	return 0;
}

static int test_cpu_offline_closes_last_subbuf(void)
{
	struct relayfs_subbuf sb;
	struct pollfd pfd;
	char buf[8192];
	int fd;

	CHECK(ncpus >= 2);
	CHECK_EQ(ctl("open subbuf=8192 n=4 flush_ms=60000"), 0);
	fd = open_cpu(1, O_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_EQ(ctl("write len=64 count=10 ctx=task cpu=1"), 0);
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);
	/* Offline: the last sub-buffer is closed and readable... */
	CHECK_EQ(set_cpu1(0), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 640);
	CHECK(ioctl(fd, RELAYFS_IOC_GET_SUBBUF, &sb) == 0);
	CHECK_EQ(sb.records, 10);
	/* ...and then the buffer is quiet, not at its end. */
	CHECK_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	/* Online again: it writes at once. */
	CHECK_EQ(set_cpu1(1), 0);
	CHECK_EQ(ctl("write len=64 count=5 ctx=task cpu=1"), 0);
	CHECK_EQ(ctl("flush"), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 320);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	return 0;
}

static int hotplug(bool use_mmap)
{
	long cycles;

	R = (struct run){ .open = "subbuf=4096 n=8 hdr=8", .hdr = 8,
			  .len = 64, .use_mmap = use_mmap };
	CHECK(hotplug_run(&R, "count=6000 ctx=all", &cycles) == 0);
	printf("# %ld offline/online cycles of cpu1 while writing\n", cycles);
	return 0;
}

static int test_cpu_hotplug_while_reading(void)
{
	return hotplug(false);
}

static int test_cpu_hotplug_while_mmap_consuming(void)
{
	return hotplug(true);
}

/* Not in core dumps ("dd"), never writable ("mw" absent): smaps. */
static int vm_flags_ok(const void *map)
{
	char line[256], start[32];
	bool ours = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	CHECK(f != NULL);
	snprintf(start, sizeof(start), "%lx-", (unsigned long)map);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && !strncmp(line, start, strlen(start)))
			ours = true;
		else if (ours && !strncmp(line, "VmFlags:", 8))
			break;
	}
	fclose(f);
	CHECK(ours);
	printf("# %s", line);
	CHECK(strstr(line, " dd") != NULL && strstr(line, " de") != NULL);
	CHECK(strstr(line, " mw") == NULL && strstr(line, " wr") == NULL);
	return 0;
}

static int test_bad_mmap(void)
{
	size_t size = 4 * 4096;
	int mapped0, unmapped0, mapped, unmapped, fd, st;
	uint8_t *map;
	pid_t pid;

	CHECK_EQ(ctl("open subbuf=4096 n=4"), 0);
	CHECK_EQ(read_maps(&mapped0, &unmapped0), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	CHECK_ERRNO(mmap(NULL, size - 4096, PROT_READ, MAP_SHARED, fd, 0),
		    EINVAL);
	CHECK_ERRNO(mmap(NULL, size + 4096, PROT_READ, MAP_SHARED, fd, 0),
		    EINVAL);
	CHECK_ERRNO(mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 4096),
		    EINVAL);
	CHECK_ERRNO(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0), EACCES);
	CHECK_ERRNO(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
			 0), EPERM);
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK_ERRNO(mprotect(map, size, PROT_READ | PROT_WRITE), EACCES);
	CHECK(munmap(map, size) == 0);

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK(vm_flags_ok(map) == 0);
	CHECK_ERRNO(mprotect(map, size, PROT_READ | PROT_WRITE), EACCES);
	CHECK_ERRNO(mremap(map, size, 2 * size, MREMAP_MAYMOVE), EFAULT);
	/* A fork and a split keep the buffer mapped... */
	pid = fork();
	if (pid == 0)
		_exit(map[0] != 0);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      WEXITSTATUS(st) == 0);
	CHECK(munmap(map + 4096, 4096) == 0);
	CHECK_EQ(read_maps(&mapped, &unmapped), 0);
	CHECK_EQ(mapped - mapped0, 2);	/* the private one, this one */
	CHECK_EQ(unmapped - unmapped0, 1);
	/* ...until the last piece goes. */
	CHECK(munmap(map, size) == 0);
	CHECK_EQ(read_maps(&mapped, &unmapped), 0);
	CHECK_EQ(unmapped - unmapped0, 2);
	CHECK_EQ(ctl("close"), 0);
	close(fd);
	return 0;
}

static int test_bad_acks(void)
{
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct reader r = { .cpu = 0, .len = 64, .subbuf = 4096 };
	struct relayfs_consume c;
	uint8_t *map, whole[4096];
	unsigned int i;
	int fd;

	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=4096 n=8"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	map = mmap(NULL, 8 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	CHECK_EQ(ctl("write len=64 count=256 ctx=task cpu=0"), 0);
	CHECK_EQ(ctl("flush"), 0);
	/* Four sub-buffers ready; malformed requests change nothing. */
	CHECK_ERRNO(consume(fd, 5, 0, e, MAX_ENTRIES, &c), EINVAL);
	CHECK_ERRNO(consume(fd, ~0ULL, 0, e, MAX_ENTRIES, &c), EINVAL);
	CHECK_ERRNO(consume(fd, 0, 1U << 7, e, MAX_ENTRIES, &c), EINVAL);
	c.version = 99;
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_CONSUME, &c), EINVAL);
	consume(fd, 0, 0, e, 0, &c);
	c.__reserved = 1;
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_CONSUME, &c), EINVAL);
	CHECK_ERRNO(consume(fd, 0, 0, (void *)8, MAX_ENTRIES, &c), EFAULT);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_CONSUME, (void *)8), EFAULT);
	CHECK_ERRNO(consume(fd, 0, 0, (void *)map, MAX_ENTRIES, &c), EFAULT);
	/* Ack two, then going back is refused. */
	CHECK_EQ(consume(fd, 0, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 4);
	for (i = 0; i < 2; i++)
		CHECK(verify_entry(&r, &e[i], map + e[i].offset) == 0);
	CHECK_EQ(consume(fd, 2, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.next, 2);
	CHECK_EQ(c.n_entries, 2);
	CHECK_ERRNO(consume(fd, 1, 0, e, MAX_ENTRIES, &c), EINVAL);
	CHECK_ERRNO(consume(fd, 5, 0, e, MAX_ENTRIES, &c), EINVAL);
	/* A read() in the middle of a sub-buffer owns the position. */
	CHECK_EQ(read(fd, whole, 10), 10);
	CHECK_ERRNO(consume(fd, 3, 0, e, MAX_ENTRIES, &c), EBUSY);
	CHECK_EQ(read(fd, whole + 10, sizeof(whole) - 10), 4086);
	CHECK(verify_chunk(&r, whole, sizeof(whole)) == 0);
	r.expect++;
	/* read() moved the position: the snapshot follows. */
	CHECK_EQ(consume(fd, 3, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.next, 3);
	CHECK_EQ(c.n_entries, 1);
	CHECK(verify_entry(&r, &e[0], map + e[0].offset) == 0);
	CHECK_EQ(consume(fd, 4, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 0);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	CHECK_EQ(consume(fd, 4, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.status, RELAYFS_CONSUME_EOF);
	r.fd = fd;
	r.subbufs = 4;
	CHECK(check_counts(&r, true) == 0);
	munmap(map, 8 * 4096);
	close(fd);
	return 0;
}

/*
 * A child that calls RELAYFS_IOC_CONSUME(@ack, WAIT) on @fd and exits with
 * the number of entries, or 100 + errno.
 */
static pid_t consume_child(int fd, uint64_t ack)
{
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct relayfs_consume c;
	pid_t pid = fork();

	if (pid)
		return pid;
	if (consume(fd, ack, RELAYFS_CONSUME_WAIT, e, MAX_ENTRIES, &c))
		_exit(100 + errno);
	_exit(c.n_entries);
}

/*
 * @pid's exit code within @secs seconds; or -1: it was still running and
 * SIGKILL ended it; -2: it ignored SIGKILL too (it spins in the kernel).
 */
static int child_exit(pid_t pid, unsigned int secs)
{
	unsigned int i;
	int st;

	for (i = 0; i < secs * 100; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
					       128 + WTERMSIG(st);
		usleep(10000);
	}
	printf("# child %d still running after %u s: SIGKILL\n", pid, secs);
	kill(pid, SIGKILL);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		usleep(10000);
	}
	printf("# child %d ignores SIGKILL\n", pid);
	return -2;
}

/* Wait until @pid sleeps (state S) for up to @secs seconds. */
static int child_sleeps(pid_t pid, unsigned int secs)
{
	char path[64], line[256], *p;
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < secs * 100; i++) {
		f = fopen(path, "r");
		if (!f)
			return -1;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		p = p ? strrchr(line, ')') : NULL;
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		usleep(10000);
	}
	printf("# child %d never slept: %s", pid, line);
	return -1;
}

/*
 * Overwrite mode, a quiet channel (never flushed by time): a read() that
 * owns part of a sub-buffer makes a waiting CONSUME fail with EBUSY at
 * once, whatever its ack; it used to spin in the kernel, deaf to SIGKILL.
 * Once the read() finished the sub-buffer, CONSUME sleeps until data
 * comes.
 */
static int test_consume_wait_after_partial_read(void)
{
	struct reader r = { .cpu = 0, .len = 64, .subbuf = 4096,
			    .overwrite = true };
	uint8_t b[4096];
	pid_t pid;
	int fd;

	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=4096 n=4 overwrite=1"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	r.fd = fd;
	/* Sub-buffer 0 complete (64 records), 1 open with one. */
	CHECK_EQ(ctl("write len=64 count=65 ctx=task cpu=0"), 0);
	CHECK_EQ(read_results(), 0);
	CHECK_EQ(read(fd, b, 1), 1);
	CHECK_EQ(child_exit(consume_child(fd, 0), 10), 100 + EBUSY);
	CHECK_EQ(child_exit(consume_child(fd, 1), 10), 100 + EBUSY);
	CHECK_EQ(read(fd, b + 1, sizeof(b) - 1), sizeof(b) - 1);
	CHECK(verify_chunk(&r, b, sizeof(b)) == 0);
	r.expect = 1;
	/* Nothing complete after sub-buffer 0: it sleeps, the flush wakes. */
	pid = consume_child(fd, 1);
	CHECK(child_sleeps(pid, 10) == 0);
	CHECK_EQ(ctl("flush"), 0);
	CHECK_EQ(child_exit(pid, 10), 1);
	/* A sleeping CONSUME dies of SIGKILL. */
	CHECK_EQ(read(fd, b, sizeof(b)), 64);
	CHECK(verify_chunk(&r, b, 64) == 0);
	r.expect = 2;
	pid = consume_child(fd, 2);
	CHECK(child_sleeps(pid, 10) == 0);
	kill(pid, SIGKILL);
	CHECK_EQ(child_exit(pid, 10), 128 + SIGKILL);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read(fd, b, sizeof(b)), 0);
	CHECK(check_counts(&r, true) == 0);
	close(fd);
	return 0;
}

/*
 * A reader that leaves in the middle of a sub-buffer: the next one (a new
 * open) starts with ack 0 at the next whole sub-buffer, gets only whole,
 * valid records, and the counters are exact (the sub-buffer the first
 * reader started counts as consumed, in both modes).
 */
static int second_reader(bool ov)
{
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct relayfs_consume c;
	struct reader r;
	uint8_t b[100];
	long ok;
	int fd;

	printf("# %s\n", ov ? "overwrite" : "no-overwrite");
	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=4096 n=4 hdr=8 overwrite=%d", ov), 0);
	/* 63 records per sub-buffer: 0 and 1 complete, 2 open. */
	CHECK_EQ(ctl("write len=64 count=130 ctx=task cpu=0"), 0);
	CHECK_EQ(read_results(), 0);
	ok = res[0][RFS_CTX_TASK].ok;
	CHECK_EQ(ok, 130);
	/* The first acks sub-buffer 0, reads part of 1 and leaves. */
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(consume(fd, 0, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 2);
	CHECK_EQ(consume(fd, 1, 0, e, 0, &c), 0);
	CHECK_EQ(read(fd, b, sizeof(b)), sizeof(b));
	close(fd);
	/* The writer goes on; in overwrite mode it laps the buffer. */
	CHECK_EQ(ctl("write len=64 count=%d ctx=task cpu=0", ov ? 400 : 100),
		 0);
	CHECK_EQ(read_results(), 0);
	ok += res[0][RFS_CTX_TASK].ok;
	res[0][RFS_CTX_TASK].ok = ok;
	CHECK(reader_open(&r, 0, 64, 8, ov) == 0);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(consume(r.fd, 0, 0, e, 0, &c), 0);
	printf("# the next reader starts at sub-buffer %llu\n",
	       (unsigned long long)c.next);
	if (ov)
		CHECK(c.next > 2);
	else
		CHECK_EQ(c.next, 2);
	/* Sub-buffers 0 and 1 (126 records) went to the first reader. */
	r.next_sb = c.next;
	r.next_seq[RFS_CTX_TASK] = 126;
	r.expect = 2;
	reader_fn(&r);
	if (r.err[0])
		printf("# %s\n", r.err);
	CHECK(!r.err[0]);
	CHECK(r.records > 0);
	r.records += 126;
	r.bytes += 126 * 64;
	r.subbufs += 2;
	CHECK(check_counts(&r, true) == 0);
	close(r.fd);
	return 0;
}

static int test_second_reader_after_partial_read(void)
{
	CHECK(second_reader(false) == 0);
	CHECK(second_reader(true) == 0);
	return 0;
}

/*
 * What a reader sees of a sub-buffer beyond the client's records is
 * zeros: a header no callback filled (or the part it left), and the
 * padding, even where an earlier lap had records.
 */
static int test_header_and_padding_zeroed(void)
{
	static const uint8_t zero[4096];
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct relayfs_consume c;
	struct reader r;
	unsigned int cb, i;
	uint8_t *map, *p;
	int fd;

	for (cb = 0; cb < 2; cb++) {
		printf("# hdr_cb=%u\n", cb);
		memset(&r, 0, sizeof(r));
		r.len = 100;
		r.subbuf = 4096;
		r.overwrite = true;
		r.hdr = cb ? 16 : 0;
		CHECK_EQ(ctl("open subbuf=4096 n=4 overwrite=1 hdr=16 "
			     "hdr_cb=%u", cb), 0);
		fd = open_cpu(0, O_NONBLOCK);
		CHECK(fd >= 0);
		map = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(map != MAP_FAILED);
		/*
		 * Laps of full sub-buffers (40 records), then short ones
		 * closed by a flush, their padding where records were.
		 */
		CHECK_EQ(ctl("write len=100 count=400 ctx=task cpu=0"), 0);
		for (i = 1; i <= 3; i++) {
			CHECK_EQ(ctl("write len=100 count=%u ctx=task cpu=0",
				     i), 0);
			CHECK_EQ(ctl("flush"), 0);
		}
		CHECK_EQ(consume(fd, 0, 0, e, MAX_ENTRIES, &c), 0);
		CHECK_EQ(c.n_entries, 4);
		r.next_seq[RFS_CTX_TASK] = 0;
		for (i = 0; i < c.n_entries; i++) {
			p = map + e[i].offset;
			printf("# sb %llu: %llu records, padding %u\n",
			       (unsigned long long)e[i].seq,
			       (unsigned long long)e[i].records,
			       e[i].padding);
			CHECK_EQ(e[i].seq, 9 + i);
			CHECK_EQ(e[i].used + e[i].padding, 4096);
			if (cb) {
				CHECK(memcmp(p, &e[i].seq, 8) == 0);
				CHECK(memcmp(p + 8, zero, 8) == 0);
			} else {
				CHECK(memcmp(p, zero, 16) == 0);
			}
			CHECK(memcmp(p + e[i].used, zero, e[i].padding) == 0);
			r.next_sb = e[i].seq;
			CHECK(verify_chunk(&r, cb ? p : p + 16,
					   cb ? e[i].used : e[i].used - 16)
			      == 0);
		}
		CHECK_EQ(r.records, 40 + 1 + 2 + 3);
		munmap(map, 4 * 4096);
		close(fd);
		CHECK_EQ(ctl("close"), 0);
	}
	return 0;
}

/*
 * The destination of a read() (or of CONSUME's entries) is a page whose
 * fault user space resolves (userfaultfd): the reader waits in the fault
 * with its buffer's read_mutex held.  Meanwhile the channel's .stats and
 * another CPU's file open, map and close: nothing global may wait for
 * that reader.  Then the fault is resolved and the data checked.
 */
struct uffd_op {
	int fd, how;		/* 0: read(), 1: CONSUME */
	uint8_t *dst;
	ssize_t ret;
	int err;
	struct relayfs_consume c;
};

static void *uffd_op_fn(void *arg)
{
	struct uffd_op *op = arg;

	if (op->how == 0)
		op->ret = read(op->fd, op->dst, 4096);
	else
		op->ret = consume(op->fd, 1, 0, (void *)op->dst, MAX_ENTRIES,
				  &op->c);
	op->err = errno;
	return NULL;
}

struct others {
	int done[2];		/* pipe: one byte when all is done */
	int err;
	char stats[4096];
};

static void *others_fn(void *arg)
{
	struct others *o = arg;
	char path[96];
	void *map;
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), ROOT "/rfs.stats");
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, o->stats, sizeof(o->stats) - 1);
		close(fd);
	}
	if (n <= 0)
		o->err = errno ? errno : EIO;
	else
		o->stats[n] = 0;
	if (ncpus > 1) {
		fd = open_cpu(1, 0);
		if (fd < 0) {
			o->err = errno;
		} else {
			map = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, fd,
				   0);
			if (map == MAP_FAILED)
				o->err = errno;
			else
				munmap(map, 4 * 4096);
			close(fd);
		}
	}
	if (write(o->done[1], "x", 1) != 1)
		o->err = errno;
	return NULL;
}

static int uffd_case(struct uffd_op *opp, int uffd)
{
	struct uffdio_zeropage zp = { .range = { .len = 4096 } };
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	static struct others o;
	struct uffd_op op = *opp;
	uint8_t *page = op.dst;
	int how = op.how;
	struct uffd_msg msg;
	pthread_t t_op, t_others;
	bool in_time;

	memset(&o, 0, sizeof(o));
	CHECK(pipe(o.done) == 0);
	CHECK(pthread_create(&t_op, NULL, uffd_op_fn, &op) == 0);
	/* The reader is in the fault once user space is told of it. */
	CHECK_EQ(poll(&pfd, 1, 10000), 1);
	CHECK_EQ(read(uffd, &msg, sizeof(msg)), sizeof(msg));
	CHECK_EQ(msg.event, UFFD_EVENT_PAGEFAULT);
	CHECK_EQ(msg.arg.pagefault.address & ~4095ULL, (uintptr_t)page);
	CHECK(pthread_create(&t_others, NULL, others_fn, &o) == 0);
	pfd.fd = o.done[0];
	in_time = poll(&pfd, 1, 10000) == 1;
	if (!in_time)
		printf("# %s: .stats/open/mmap blocked behind the fault\n",
		       how ? "CONSUME" : "read");
	/* Resolve the fault: the reader goes on, and so would they. */
	zp.range.start = (uintptr_t)page;
	CHECK(ioctl(uffd, UFFDIO_ZEROPAGE, &zp) == 0);
	pthread_join(t_op, NULL);
	pthread_join(t_others, NULL);
	close(o.done[0]);
	close(o.done[1]);
	CHECK(in_time);
	CHECK_EQ(o.err, 0);
	CHECK(strstr(o.stats, "\ntotal ") != NULL);
	errno = op.err;
	CHECK(op.ret == (how ? 0 : 4096));
	*opp = op;
	return 0;
}

/*
 * Without userfaultfd: read() one CPU's file, then .stats, then map and
 * unmap another CPU's file, as the test does around the fault.  A
 * kernel with lockdep learns every lock order involved.
 */
static int no_uffd_sequence(void)
{
	struct reader r = { .cpu = 0, .len = 64, .subbuf = 4096 };
	static struct others o;
	uint8_t b[4096];

	memset(&o, 0, sizeof(o));
	memset(res, 0, sizeof(res));
	CHECK(pipe(o.done) == 0);
	CHECK_EQ(ctl("open subbuf=4096 n=4"), 0);
	r.fd = open_cpu(0, 0);
	CHECK(r.fd >= 0);
	CHECK_EQ(ctl("write len=64 count=65 ctx=task cpu=0"), 0);
	CHECK_EQ(read_results(), 0);
	CHECK_EQ(read(r.fd, b, sizeof(b)), sizeof(b));
	CHECK(verify_chunk(&r, b, sizeof(b)) == 0);
	others_fn(&o);
	close(o.done[0]);
	close(o.done[1]);
	CHECK_EQ(o.err, 0);
	CHECK(strstr(o.stats, "\ntotal ") != NULL);
	CHECK_EQ(ctl("close"), 0);
	close(r.fd);
	return 0;
}

static int test_stats_open_while_reader_faults(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct reader r = { .cpu = 0, .len = 64, .subbuf = 4096 };
	struct relayfs_subbuf *e;
	struct uffd_op op;
	uint8_t *pages, b[4096];
	int uffd, fd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		printf("# SKIP: userfaultfd: %s\n", strerror(errno));
		/* The same calls without the fault: lockdep still sees them. */
		return no_uffd_sequence() ? -1 : KTAP_SKIP;
	}
	CHECK(ioctl(uffd, UFFDIO_API, &api) == 0);
	pages = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pages != MAP_FAILED);
	reg.range.start = (uintptr_t)pages;
	reg.range.len = 2 * 4096;
	CHECK(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0);
	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open subbuf=4096 n=4"), 0);
	fd = open_cpu(0, 0);
	CHECK(fd >= 0);
	r.fd = fd;
	/* Sub-buffer 0 full (64 records), closed by the 65th. */
	CHECK_EQ(ctl("write len=64 count=65 ctx=task cpu=0"), 0);
	CHECK_EQ(read_results(), 0);
	op = (struct uffd_op){ .fd = fd, .how = 0, .dst = pages };
	CHECK(uffd_case(&op, uffd) == 0);
	CHECK(verify_chunk(&r, pages, 4096) == 0);
	r.expect = 1;
	/* The CONSUME entries array: sub-buffer 1 (one record). */
	CHECK_EQ(ctl("flush"), 0);
	op = (struct uffd_op){ .fd = fd, .how = 1, .dst = pages + 4096 };
	CHECK(uffd_case(&op, uffd) == 0);
	CHECK_EQ(op.c.n_entries, 1);
	e = (struct relayfs_subbuf *)(pages + 4096);
	CHECK_EQ(e[0].seq, 1);
	CHECK_EQ(e[0].records, 1);
	CHECK_EQ(read(fd, b, sizeof(b)), 64);
	CHECK(verify_chunk(&r, b, 64) == 0);
	r.expect = 2;
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read(fd, b, sizeof(b)), 0);
	CHECK(check_counts(&r, true) == 0);
	close(fd);
	munmap(pages, 2 * 4096);
	close(uffd);
	return 0;
}

/*
 * Bytes a reader must never see: a discarded record's, whose space, given
 * back (a record before it, none after), becomes padding at the next
 * close; and those written before a reset into the sub-buffer it left
 * open, which the next lap pads over.  The padding reads as zeros.
 */
static int discarded_or_reset(bool reset)
{
	static const uint8_t zero[4096];
	struct relayfs_subbuf e[MAX_ENTRIES];
	struct relayfs_consume c;
	uint8_t *map;
	int fd;

	CHECK(pin_to_cpu0(true) == 0);
	CHECK_EQ(ctl("open subbuf=4096 n=4"), 0);
	if (reset) {
		/* 1000 bytes in the open sub-buffer 0, then a reset. */
		CHECK_EQ(ctl("write len=100 count=10 ctx=task cpu=0"), 0);
		CHECK_EQ(ctl("reset"), 0);
	}
	fd = open_cpu(0, O_NONBLOCK);
	CHECK(fd >= 0);
	map = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	/* One record, then (discard) 2000 bytes of 0x5a discarded. */
	CHECK_EQ(ctl("write len=100 count=1 ctx=task cpu=0"), 0);
	if (!reset)
		CHECK_EQ(ctl("discard len=2000"), 0);
	CHECK_EQ(ctl("flush"), 0);
	CHECK(pin_to_cpu0(false) == 0);
	CHECK_EQ(consume(fd, 0, 0, e, MAX_ENTRIES, &c), 0);
	CHECK_EQ(c.n_entries, 1);
	printf("# sb 0: %llu records, used %u, padding %u\n",
	       (unsigned long long)e[0].records, e[0].used, e[0].padding);
	CHECK_EQ(e[0].records, 1);
	CHECK_EQ(e[0].used, 100);
	CHECK(memcmp(map + e[0].offset + e[0].used, zero, e[0].padding) == 0);
	munmap(map, 4 * 4096);
	close(fd);
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

static int test_discarded_bytes_never_seen(void)
{
	return discarded_or_reset(false);
}

static int test_bytes_before_reset_never_seen(void)
{
	return discarded_or_reset(true);
}

static const struct ktap_case cases[] = {
	{ "ioc_flush", test_ioc_flush },
	{ "ioc_flush_while_writing", test_ioc_flush_while_writing },
	{ "mmap_consumer_all_contexts", test_mmap_consumer_all_contexts },
	{ "mmap_prefilled_in_two_calls", test_mmap_prefilled_in_two_calls },
	{ "overwrite_mmap_consumer_exact",
	  test_overwrite_mmap_consumer_exact },
	{ "read_subbuf_metadata", test_read_subbuf_metadata },
	{ "losses_placed_in_time", test_losses_placed_in_time },
	{ "splice_and_sendfile_match_read",
	  test_splice_and_sendfile_match_read },
	{ "bad_mmap", test_bad_mmap },
	{ "bad_acks", test_bad_acks },
	{ "cpu_offline_closes_last_subbuf",
	  test_cpu_offline_closes_last_subbuf },
	{ "cpu_hotplug_while_reading", test_cpu_hotplug_while_reading },
	{ "cpu_hotplug_while_mmap_consuming",
	  test_cpu_hotplug_while_mmap_consuming },
	{ "second_reader_after_partial_read",
	  test_second_reader_after_partial_read },
	{ "header_and_padding_zeroed", test_header_and_padding_zeroed },
	{ "discarded_bytes_never_seen", test_discarded_bytes_never_seen },
	{ "bytes_before_reset_never_seen",
	  test_bytes_before_reset_never_seen },
	{ "consume_wait_after_partial_read",
	  test_consume_wait_after_partial_read },
	{ "stats_open_while_reader_faults",
	  test_stats_open_while_reader_faults },
};

int main(int argc, char **argv)
{
	return rfstest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			    argv);
}

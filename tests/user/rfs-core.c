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
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/types.h>
#include <linux/relayfs.h>
#include "ktap.h"
#include "../kmod/rfs_record.h"

#define ROOT	"/sys/kernel/relayfs/rfstest"
#define MAXCPU	64

static int ncpus;

static int ctl(const char *fmt, ...)
{
	char cmd[128];
	va_list ap;
	int fd, n, ret = 0;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open(ROOT "/ctl", O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

struct stream_res {
	long ok, nospc, busy, nested, big, other;
	unsigned int seq;
};

static struct stream_res res[MAXCPU][RFS_NR_CTX];

static int read_results(void)
{
	FILE *f = fopen(ROOT "/ctl", "r");
	unsigned int cpu, seq;
	int ctx;
	long v[6];

	if (!f)
		return -errno;
	while (fscanf(f, "%u %d %ld %ld %ld %ld %ld %ld %u", &cpu, &ctx,
		      &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &seq) == 9) {
		struct stream_res *r = &res[cpu][ctx];

		r->ok = v[0]; r->nospc = v[1]; r->busy = v[2];
		r->nested = v[3]; r->big = v[4]; r->other = v[5];
		r->seq = seq;
	}
	fclose(f);
	return 0;
}

struct reader {
	int cpu, fd;
	unsigned int len, hdr, subbuf;
	bool overwrite;
	pthread_t th;
	long records, bytes, subbufs;
	uint32_t next_seq[RFS_NR_CTX];
	int64_t next_sb;
	char err[160];
};

static int verify_rec(struct reader *r, const uint8_t *p, unsigned int avail)
{
	const struct rfs_rec *h = (const void *)p;
	uint32_t i, seq;

	if (r->len < sizeof(*h)) {
		/* Pattern records: one task stream, fixed length. */
		seq = r->next_seq[RFS_CTX_TASK];
		for (i = 0; i < r->len; i++)
			if (p[i] != rfs_pattern(seq, i))
				return snprintf(r->err, sizeof(r->err),
					"cpu%d: short record %u byte %u bad",
					r->cpu, seq, i);
		r->next_seq[RFS_CTX_TASK]++;
		return 0;
	}
	if (avail < sizeof(*h) || h->magic != RFS_REC_MAGIC ||
	    h->len != r->len || h->cpu != r->cpu || h->ctx >= RFS_NR_CTX)
		return snprintf(r->err, sizeof(r->err),
				"cpu%d: bad record header at +%ld (magic %x "
				"len %u cpu %u)", r->cpu, r->bytes, h->magic,
				h->len, h->cpu);
	seq = h->seq;
	if (r->overwrite ? seq < r->next_seq[h->ctx] :
			   seq != r->next_seq[h->ctx])
		return snprintf(r->err, sizeof(r->err),
				"cpu%d ctx%u: seq %u, expected %u", r->cpu,
				h->ctx, seq, r->next_seq[h->ctx]);
	if (h->csum != rfs_csum(h, p + sizeof(*h), r->len - sizeof(*h)))
		return snprintf(r->err, sizeof(r->err),
				"cpu%d ctx%u seq %u: checksum", r->cpu, h->ctx,
				seq);
	r->next_seq[h->ctx] = seq + 1;
	return 0;
}

/* One read() is one sub-buffer: header, then whole records. */
static int verify_chunk(struct reader *r, const uint8_t *p, unsigned int n)
{
	unsigned int off = 0;

	if (r->hdr) {
		uint64_t sb;

		memcpy(&sb, p, sizeof(sb));
		if (r->overwrite ? (int64_t)sb < r->next_sb :
				   (int64_t)sb != r->next_sb)
			return snprintf(r->err, sizeof(r->err),
					"cpu%d: sub-buffer %llu, expected %lld",
					r->cpu, (unsigned long long)sb,
					(long long)r->next_sb);
		r->next_sb = sb + 1;
		off = r->hdr;
	}
	if ((n - off) % r->len)
		return snprintf(r->err, sizeof(r->err),
				"cpu%d: %u bytes is not whole records of %u",
				r->cpu, n - off, r->len);
	for (; off < n; off += r->len) {
		if (verify_rec(r, p + off, n - off))
			return -1;
		r->records++;
		r->bytes += r->len;
	}
	r->subbufs++;
	return 0;
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint8_t *buf = malloc(r->subbuf);
	ssize_t n;

	while (buf && (n = read(r->fd, buf, r->subbuf)) > 0)
		if (verify_chunk(r, buf, n))
			break;
	if (!buf)
		snprintf(r->err, sizeof(r->err), "out of memory");
	else if (n < 0 && !r->err[0])
		snprintf(r->err, sizeof(r->err), "read: %s", strerror(errno));
	free(buf);
	return NULL;
}

static int open_cpu(int cpu, int flags)
{
	char path[96];

	snprintf(path, sizeof(path), ROOT "/rfs%d", cpu);
	return open(path, O_RDONLY | flags);
}

static int get_stats(int fd, struct relayfs_buf_stats *st)
{
	memset(st, 0xa5, sizeof(*st));
	return ioctl(fd, RELAYFS_IOC_GET_STATS, st);
}

/* Both equations, exactly, and agreement with producer and reader. */
static int check_counts(struct reader *r, bool drained)
{
	struct relayfs_buf_stats st;
	long ok = 0, drop = 0, big = 0;
	int ctx;

	CHECK(get_stats(r->fd, &st) == 0);
	CHECK_EQ(st.version, RELAYFS_ABI_VERSION);
	CHECK_EQ(st.cpu, r->cpu);
	CHECK_EQ(st.attempted_records, st.accepted_records +
		 st.dropped_records + st.refused_records);
	CHECK_EQ(st.attempted_bytes, st.accepted_bytes + st.dropped_bytes +
		 st.refused_bytes);
	CHECK_EQ(st.accepted_records, st.consumed_records +
		 st.overwritten_records + st.unread_records);
	CHECK_EQ(st.accepted_bytes, st.consumed_bytes +
		 st.overwritten_bytes + st.unread_bytes);
	for (ctx = 0; ctx < RFS_NR_CTX; ctx++) {
		struct stream_res *s = &res[r->cpu][ctx];

		ok += s->ok;
		drop += s->nospc + s->busy + s->nested;
		big += s->big;
		CHECK_EQ(s->other, 0);
	}
	CHECK_EQ(st.accepted_records, ok);
	CHECK_EQ(st.accepted_bytes, ok * r->len);
	CHECK_EQ(st.dropped_records, drop);
	CHECK_EQ(st.refused_records, big);
	if (drained) {
		CHECK_EQ(st.unread_records, 0);
		CHECK_EQ(st.consumed_records, r->records);
		CHECK_EQ(st.consumed_bytes, r->bytes);
		CHECK_EQ(st.subbufs_consumed, r->subbufs);
	}
	if (!r->overwrite) {
		CHECK_EQ(st.overwritten_records, 0);
		CHECK_EQ(st.subbufs_overwritten, 0);
	}
	return 0;
}

struct run {
	const char *open;	/* ctl open arguments */
	const char *write;	/* ctl write arguments (without len=) */
	unsigned int len, hdr;
	bool overwrite, live;	/* readers run during the write */
	struct reader rd[MAXCPU];
};

/* open, start readers, write, close, drain, verify everything. */
static int run_channel(struct run *run)
{
	struct relayfs_buf_info info;
	int cpu, ret;

	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open %s", run->open), 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct reader *r = &run->rd[cpu];

		memset(r, 0, sizeof(*r));
		r->cpu = cpu;
		r->len = run->len;
		r->hdr = run->hdr;
		r->overwrite = run->overwrite;
		r->fd = open_cpu(cpu, 0);
		CHECK(r->fd >= 0);
		CHECK(ioctl(r->fd, RELAYFS_IOC_GET_INFO, &info) == 0);
		CHECK_EQ(info.version, RELAYFS_ABI_VERSION);
		CHECK_EQ(info.cpu, cpu);
		CHECK_EQ(info.header_size, run->hdr);
		CHECK_EQ(!!(info.flags & RELAYFS_BUF_OVERWRITE), run->overwrite);
		r->subbuf = info.subbuf_size;
		if (run->live)
			CHECK(pthread_create(&r->th, NULL, reader_fn, r) == 0);
	}
	ret = ctl("write len=%u %s", run->len, run->write);
	CHECK_EQ(ret, 0);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct reader *r = &run->rd[cpu];

		if (!run->live)
			CHECK(pthread_create(&r->th, NULL, reader_fn, r) == 0);
		pthread_join(r->th, NULL);
		if (r->err[0]) {
			printf("# %s\n", r->err);
			return -1;
		}
		ret = check_counts(r, true);
		close(r->fd);
		if (ret)
			return ret;
	}
	return 0;
}

static struct run R;

static int test_task_records_no_overwrite(void)
{
	R = (struct run){ .open = "subbuf=8192 n=4", .len = 64,
			  .write = "count=3000 ctx=task", .live = true };
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
			  .write = "count=1500 ctx=all", .live = true };
	if (run_channel(&R))
		return -1;
	/* Every context really wrote on every CPU, NMI included. */
	for (cpu = 0; cpu < ncpus; cpu++) {
		int ctx;

		for (ctx = 0; ctx < RFS_NR_CTX; ctx++)
			CHECK(res[cpu][ctx].ok > 0);
		nmi += res[cpu][RFS_CTX_NMI].ok;
	}
	printf("# NMI records accepted: %ld\n", nmi);
	return 0;
}

static int test_all_contexts_small_buffer_drops(void)
{
	/* Every context races into a buffer that fills: drops from task,
	 * softirq, hardirq and NMI are all counted exactly.
	 */
	R = (struct run){ .open = "subbuf=4096 n=2", .len = 48,
			  .write = "count=1500 ctx=all", .live = true };
	return run_channel(&R);
}

static int test_one_byte_records(void)
{
	R = (struct run){ .open = "subbuf=4096 n=2", .len = 1,
			  .write = "count=5000 ctx=task", .live = true };
	return run_channel(&R);
}

static int test_odd_size_and_rounding(void)
{
	R = (struct run){ .open = "subbuf=5000 n=3", .len = 17,
			  .write = "count=2000 ctx=task", .live = true };
	if (run_channel(&R))
		return -1;
	CHECK_EQ(R.rd[0].subbuf, 8192);	/* rounded up to a power of 2 */
	return 0;
}

static int test_whole_subbuf_records(void)
{
	R = (struct run){ .open = "subbuf=8192 n=2 hdr=8", .len = 8184,
			  .hdr = 8, .write = "count=40 ctx=task", .live = true };
	return run_channel(&R);
}

static int test_too_big_is_refused(void)
{
	int cpu;

	R = (struct run){ .open = "subbuf=4096 n=2", .len = 4097,
			  .write = "count=10 ctx=task", .live = true };
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
			  .hdr = 16, .write = "count=2000 ctx=task",
			  .live = true };
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
			  .write = "count=1000 ctx=task", .live = false };
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
			  .live = false };
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
			  .overwrite = true, .write = "count=3000 ctx=all",
			  .live = true };
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
	printf("# lone record readable after %.3f s (flush_ms=300)\n", dt);
	CHECK(dt < 10.0);	/* a bound with room for emulation */
	CHECK_EQ(ctl("close"), 0);
	close(fd);
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
	CHECK_EQ(sizeof(st), 168);
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
	{ "one_reader_per_buffer", test_one_reader_per_buffer },
	{ "unprivileged_open_refused", test_unprivileged_open_refused },
	{ "bad_ioctls", test_bad_ioctls },
	{ "ioctl_abi", test_ioctl_abi },
	{ "reset", test_reset },
	{ "stats_text_file", test_stats_text_file },
};

int main(int argc, char **argv)
{
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus > MAXCPU)
		ncpus = MAXCPU;
	return ktap_run(cases, sizeof(cases) / sizeof(cases[0]),
			argc > 1 ? argv[1] : NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Consumer benchmark (bench/vm/bench): how fast pre-filled relayfs
 * buffers drain to a tmpfs file, beside the same VM's plain
 * memory-to-tmpfs copy (the ceiling).  The buffers are filled by
 * tests/kmod/relayfs_testprod.ko and drained with librelay's reader,
 * the code relay-collect runs: through mmap (zero-copy) and through
 * read(), from one thread for all CPUs (relay-collect's design) and from
 * one thread per CPU.  Given the debugfs directory of bench/kmod's
 * relay_drain.ko, it also drains the kernel's relay, pre-filled with as
 * many records, with read() from one thread per CPU, as blktrace does,
 * and checks every byte it got.  Every method must drain exactly what
 * was written, RECORDS records of 4 KiB from every CPU (the buffers
 * hold them all): a shortfall is err=-EIO, never a rate.  Prints one
 * line per method:
 *
 *   consumer method=M mb=N seconds=S mbps=R err=E
 *
 *   relay-drain-bench [RECORDS [RELAY_DRAIN_DIR]]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "librelay.h"

#define CTL	"/sys/kernel/relayfs/rfstest/ctl"
#define MAXCPU	64
#define RECORD	4096

static int ncpus;
static unsigned int per_cpu_records = 6000;	/* ~24 MiB per CPU */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int ctl(const char *cmd)
{
	int fd = open(CTL, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The one line per method that bench/report.py reads. */
static void report(const char *method, uint64_t bytes, double seconds,
		   int err)
{
	printf("consumer method=%s mb=%.1f seconds=%.3f mbps=%.1f err=%d\n",
	       method, bytes / 1048576.0, seconds,
	       bytes / 1048576.0 / seconds, err);
}

struct drain {
	struct relay_reader *r;
	int out;
	uint64_t bytes;
	int err;
	/*
	 * Where one loop's time goes: its sub-buffers, and the seconds
	 * in relay_reader_next() (RELAYFS_IOC_CONSUME) and in write().
	 */
	uint64_t subbufs;
	double next_s, write_s;
	int done;		/* one loop: at the end of its buffer */
};

/* Write every sub-buffer of @d's buffer to its file, to the end. */
static void *drain_one(void *arg)
{
	struct drain *d = arg;
	struct relay_subbuf sb;
	int ret;

	while ((ret = relay_reader_next(d->r, &sb, 1)) == 1) {
		if (write(d->out, sb.data, sb.len) != (ssize_t)sb.len) {
			d->err = -EIO;
			return NULL;
		}
		d->bytes += sb.len;
	}
	d->err = ret;
	return NULL;
}

/* All CPUs from this thread, round robin, as relay-collect does. */
static void drain_loop(struct drain *d)
{
	struct relay_subbuf sb;
	int live = ncpus, i, ret;

	while (live) {
		for (i = 0; i < ncpus; i++) {
			double t0, t1;

			if (d[i].done)
				continue;
			t0 = now();
			ret = relay_reader_next(d[i].r, &sb, 0);
			t1 = now();
			d[i].next_s += t1 - t0;
			if (ret == 1) {
				if (write(d[i].out, sb.data, sb.len) !=
				    (ssize_t)sb.len)
					d[i].err = -EIO;
				d[i].write_s += now() - t1;
				d[i].bytes += sb.len;
				d[i].subbufs++;
			} else if (ret != -EAGAIN) {
				/*
				 * Drained; closed after the clock stops, as
				 * the threads' readers are: the unmap and
				 * the buffer's freeing are not draining.
				 */
				d[i].err = ret;
				d[i].done = 1;
				live--;
			}
		}
	}
}

/* Fill, then drain with @threads and @flags; report MB/s. */
static int run(const char *method, int threads, unsigned int flags)
{
	struct drain d[MAXCPU] = { 0 };
	pthread_t th[MAXCPU];
	char path[128], cmd[96];
	uint64_t total = 0;
	double t0, dt;
	int i, err = 0;

	snprintf(cmd, sizeof(cmd), "open subbuf=1048576 n=%u",
		 (per_cpu_records * RECORD >> 20) + 2);
	err = ctl(cmd);
	if (err)
		return err;
	for (i = 0; i < ncpus; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/relayfs/rfstest/rfs%d",
			 i);
		err = relay_reader_open(path, flags, &d[i].r);
		if (err)
			return err;
		snprintf(path, sizeof(path), "/tmp/drain.%d", i);
		d[i].out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	}
	snprintf(cmd, sizeof(cmd), "write len=%d count=%u ctx=task", RECORD,
		 per_cpu_records);
	err = ctl(cmd);
	if (!err)
		err = ctl("close");
	if (err)
		return err;
	t0 = now();
	if (threads) {
		for (i = 0; i < ncpus; i++)
			pthread_create(&th[i], NULL, drain_one, &d[i]);
		for (i = 0; i < ncpus; i++)
			pthread_join(th[i], NULL);
	} else {
		drain_loop(d);
	}
	dt = now() - t0;
	for (i = 0; i < ncpus; i++) {
		total += d[i].bytes;
		if (d[i].err)
			err = d[i].err;
		else if (d[i].bytes != (uint64_t)per_cpu_records * RECORD) {
			fprintf(stderr, "%s: cpu%d: %llu bytes of %llu\n",
				method, i, (unsigned long long)d[i].bytes,
				(unsigned long long)per_cpu_records * RECORD);
			err = -EIO;
		}
		relay_reader_close(d[i].r);
		close(d[i].out);
		snprintf(path, sizeof(path), "/tmp/drain.%d", i);
		unlink(path);
	}
	report(method, total, dt, err);
	if (!threads) {
		uint64_t subbufs = 0;
		double next_s = 0, write_s = 0;

		for (i = 0; i < ncpus; i++) {
			subbufs += d[i].subbufs;
			next_s += d[i].next_s;
			write_s += d[i].write_s;
		}
		printf("consumer profile method=%s subbufs=%llu next_s=%.4f write_s=%.4f loop_s=%.4f\n",
		       method, (unsigned long long)subbufs, next_s, write_s,
		       dt - next_s - write_s);
	}
	return err;
}

/* The kernel's relay through read(), one thread per CPU (blktrace). */
struct relay_drain {
	int in, out;
	uint64_t bytes;
	int err;
};

static void *relay_drain_one(void *arg)
{
	struct relay_drain *d = arg;
	size_t size = 1 << 20;
	char *buf = malloc(size);
	ssize_t n;

	if (!buf) {
		d->err = -ENOMEM;
		return NULL;
	}
	while ((n = read(d->in, buf, size)) > 0) {
		if (write(d->out, buf, n) != n) {
			d->err = -EIO;
			break;
		}
		d->bytes += n;
	}
	if (n < 0)
		d->err = -errno;
	free(buf);
	return NULL;
}

/* relay_drain.ko's records of CPU @cpu, every byte, from @path. */
static int relay_check(const char *path, int cpu)
{
	unsigned char rec[RECORD];
	unsigned int i;
	int fd = open(path, O_RDONLY), err = 0;
	size_t j;

	if (fd < 0)
		return -errno;
	for (i = 0; i < per_cpu_records && !err; i++) {
		if (read(fd, rec, RECORD) != RECORD) {
			err = -EIO;
			break;
		}
		for (j = 0; j < RECORD; j++)
			if (rec[j] != ((cpu + i) & 0xff))
				err = -EILSEQ;
	}
	if (!err && read(fd, rec, 1) != 0)
		err = -EFBIG;
	close(fd);
	return err;
}

static int relay_read_run(const char *dir)
{
	struct relay_drain d[MAXCPU] = { 0 };
	pthread_t th[MAXCPU];
	char path[256];
	uint64_t total = 0;
	double t0, dt;
	int i, e, err = 0;

	for (i = 0; i < ncpus; i++) {
		snprintf(path, sizeof(path), "%s/cpu%d", dir, i);
		d[i].in = open(path, O_RDONLY);
		snprintf(path, sizeof(path), "/tmp/relay.%d", i);
		d[i].out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (d[i].in < 0 || d[i].out < 0)
			return -errno;
	}
	t0 = now();
	for (i = 0; i < ncpus; i++)
		pthread_create(&th[i], NULL, relay_drain_one, &d[i]);
	for (i = 0; i < ncpus; i++)
		pthread_join(th[i], NULL);
	dt = now() - t0;
	for (i = 0; i < ncpus; i++) {
		total += d[i].bytes;
		close(d[i].in);
		close(d[i].out);
		snprintf(path, sizeof(path), "/tmp/relay.%d", i);
		e = d[i].err;
		if (!e && d[i].bytes != (uint64_t)per_cpu_records * RECORD)
			e = -EIO;
		if (!e)
			e = relay_check(path, i);
		if (e)
			err = e;
		unlink(path);
	}
	report("relay-read-thread-per-cpu", total, dt, err);
	return err;
}

/* The ceiling: the same bytes from memory to a tmpfs file. */
static int memcpy_ceiling(void)
{
	size_t chunk = 1 << 20, n = (size_t)ncpus * per_cpu_records * RECORD;
	char *buf = malloc(chunk);
	size_t done;
	double t0, dt;
	int fd;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0x5a, chunk);
	fd = open("/tmp/ceiling", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t0 = now();
	for (done = 0; done < n; done += chunk)
		if (write(fd, buf, chunk) != (ssize_t)chunk)
			return -EIO;
	dt = now() - t0;
	close(fd);
	unlink("/tmp/ceiling");
	free(buf);
	report("memcpy-to-tmpfs", n, dt, 0);
	return 0;
}

int main(int argc, char **argv)
{
	int err = 0;

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus > MAXCPU)
		ncpus = MAXCPU;
	if (argc > 1)
		per_cpu_records = strtoul(argv[1], NULL, 0);
	err |= memcpy_ceiling();
	err |= run("mmap-one-loop", 0, 0);
	err |= run("mmap-thread-per-cpu", 1, 0);
	err |= run("read-one-loop", 0, RELAY_READER_NO_MMAP);
	err |= run("read-thread-per-cpu", 1, RELAY_READER_NO_MMAP);
	if (argc > 2)
		err |= relay_read_run(argv[2]);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Offered-load benchmark (bench/vm/bench): the sample relay-app
 * (examples/sample, relay_sample.ko) writes RATE records per second per
 * CPU of LEN bytes from a pinned hrtimer (hardirq context, every
 * millisecond), leaving the rest of every CPU to the collector.  librelay's
 * collector, the code relay-collect runs, first collects for SECONDS with
 * tiny buffers (4 KiB x 2) and is expected to lose and advise sizes, then
 * collects again for SECONDS with the sizes it advised.  Prints
 *
 *   consumer load rate=R len=L seconds=S small_dropped=D advised=SIZExN
 *     attempted=A accepted=C dropped=D2 err=E     (one line)
 *
 * Exit status: 0, the advised run lost nothing; 3, it lost records (a
 * measurement: the goal missed, every loss counted); 1, a run failed,
 * the tiny buffers lost nothing (no advice), or the collector wrote out
 * a different number of records than the kernel accepted, or the
 * kernel's attempted records are not its accepted plus its dropped ones.
 * The advised run's file is read back through librelay's reader before
 * it goes: each CPU's frames as many bytes as the collector says it
 * wrote, whole records of LEN bytes from that CPU, checksums intact,
 * each stream's sequence numbers without a gap; written= is the records
 * found.  Each run's
 * files (on the VM's tmpfs, in memory) are removed once checked.
 *
 * With ZSTD_LEVEL the advised run is compressed (zstd=, stored= the
 * bytes on disk); the reader decompresses it for the check.
 *
 *   relay-load-bench RATE LEN SECONDS [ZSTD_LEVEL]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/types.h>
#include <relayfs/rfs_record.h>
#include "librelay.h"

#define PARAMS	"/sys/module/relay_sample/parameters/"

static int set_param(const char *name, const char *value)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		ret = -errno;
	close(fd);
	return ret;
}

/* A run's output directory: its files, then itself. */
static void remove_run(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* One collection of @secs with the given sizes into @dir. */
static int collect(const char *dir, size_t subbuf, size_t n, double secs,
		   int compress, struct relay_run **run)
{
	struct relay_app_opts o = {
		.size = sizeof(o), .app = "sample", .dir = dir,
		.subbuf_size = subbuf, .n_subbufs = n,
		.mode = RELAY_MODE_NO_OVERWRITE, .duration = secs,
		.out_fd = -1, .compress = compress,
	};

	return relay_app_run(&o, run);
}

/*
 * The run's file through librelay's reader, record by record; the
 * records in it, or -errno with the reason printed.  Per CPU, the bytes
 * read must be what the collector says it wrote.
 */
static long verify_files(const char *dir, const struct relay_run *run,
			 unsigned int len, int compress)
{
	static uint32_t next[4096][RFS_NR_CTX];
	static unsigned char started[4096][RFS_NR_CTX];
	static uint64_t bytes[4096];
	struct relay_stream *s;
	struct relay_frame f;
	char path[512];
	long n = 0;
	size_t off;
	unsigned int i;
	int ret;

	if (len < sizeof(struct rfs_rec))
		return -EINVAL;
	memset(started, 0, sizeof(started));
	memset(bytes, 0, sizeof(bytes));
	snprintf(path, sizeof(path), "%s/%s.relay%s", dir, run->base,
		 compress ? ".zst" : "");
	ret = relay_stream_open(path, &s);
	if (ret) {
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	while ((ret = relay_stream_next(s, &f)) > 0) {
		if (ret != 1)
			continue;
		if (f.cpu >= 4096 || f.len % len) {
			ret = -EIO;
			break;
		}
		bytes[f.cpu] += f.len;
		for (off = 0; off < f.len; off += len) {
			const unsigned char *rec = (const unsigned char *)
						   f.payload + off;
			struct rfs_rec h;

			memcpy(&h, rec, sizeof(h));
			if (h.magic != RFS_REC_MAGIC || h.len != len ||
			    h.cpu != f.cpu || h.ctx >= RFS_NR_CTX ||
			    (started[f.cpu][h.ctx] &&
			     h.seq != next[f.cpu][h.ctx]) ||
			    h.csum != rfs_csum(&h, rec + sizeof(h),
						len - sizeof(h))) {
				fprintf(stderr, "%s: cpu%u: bad record %ld\n",
					path, f.cpu, n);
				relay_stream_close(s);
				return -EIO;
			}
			started[f.cpu][h.ctx] = 1;
			next[f.cpu][h.ctx] = h.seq + 1;
			n++;
		}
	}
	if (ret)
		fprintf(stderr, "%s\n", relay_stream_error(s));
	relay_stream_close(s);
	for (i = 0; !ret && i < run->ncpus; i++) {
		if (bytes[run->cpu[i].cpu] != run->cpu[i].written_bytes) {
			fprintf(stderr,
				"%s: cpu%u: %llu bytes, the collector wrote %llu\n",
				path, run->cpu[i].cpu,
				(unsigned long long)bytes[run->cpu[i].cpu],
				(unsigned long long)run->cpu[i].written_bytes);
			ret = -EIO;
		}
	}
	return ret ? ret : n;
}

static void totals(const struct relay_run *run, uint64_t *attempted,
		   uint64_t *accepted, uint64_t *consumed)
{
	unsigned int i;

	*attempted = *accepted = *consumed = 0;
	for (i = 0; i < run->ncpus; i++) {
		*attempted += run->cpu[i].stats.attempted_records;
		*accepted += run->cpu[i].stats.accepted_records;
		*consumed += run->cpu[i].stats.consumed_records;
	}
}

int main(int argc, char **argv)
{
	struct relay_run *small = NULL, *adv = NULL;
	uint64_t attempted = 0, accepted = 0, consumed = 0, small_dropped = 0;
	uint64_t lost;
	long written = 0;
	size_t size = 0, n = 0;
	double secs;
	int err, compress;

	if (argc != 4 && argc != 5) {
		fprintf(stderr,
			"usage: relay-load-bench RATE LEN SECONDS [ZSTD_LEVEL]\n");
		return 2;
	}
	secs = atof(argv[3]);
	compress = argc == 5 ? atoi(argv[4]) : 0;
	err = set_param("rate", argv[1]);
	if (!err)
		err = set_param("len", argv[2]);
	if (!err)
		err = set_param("contexts", "hardirq");
	if (!err)
		err = collect("/tmp/load-small", 4096, 2, secs, 0, &small);
	remove_run("/tmp/load-small");
	if (!err) {
		small_dropped = relay_run_dropped(small);
		/* No loss with tiny buffers: the load is too light to say. */
		if (!relay_advise(small, &size, &n))
			err = -ENODATA;
	}
	if (!err)
		err = collect("/tmp/load", size, n, secs, compress, &adv);
	if (!err) {
		written = verify_files("/tmp/load", adv, atoi(argv[2]), compress);
		if (written < 0)
			err = written;
	}
	remove_run("/tmp/load");
	if (!err) {
		totals(adv, &attempted, &accepted, &consumed);
		/*
		 * Every record accepted read and in the files, every other
		 * counted; and records there were.
		 */
		if (!written || (uint64_t)written != accepted ||
		    consumed != accepted ||
		    attempted != accepted + relay_run_dropped(adv))
			err = -EIO;
	}
	lost = adv ? relay_run_dropped(adv) : 0;
	printf("consumer load rate=%s len=%s seconds=%s", argv[1], argv[2],
	       argv[3]);
	printf(" small_dropped=%llu advised=%zux%zu",
	       (unsigned long long)small_dropped, size, n);
	printf(" attempted=%llu accepted=%llu written=%ld",
	       (unsigned long long)attempted, (unsigned long long)accepted,
	       written);
	printf(" dropped=%llu zstd=%d stored=%llu err=%d\n",
	       (unsigned long long)lost, compress,
	       (unsigned long long)(adv ? adv->out.stored : 0), err);
	relay_run_free(small);
	relay_run_free(adv);
	return err ? 1 : lost ? 3 : 0;
}

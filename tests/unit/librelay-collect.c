// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the collector (the real lib/ objects) against the
 * fake relayfs of fake/relayfs.c: the defects of issue 16 found by
 * reading lib/, each proven here with the ioctls and files faked.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include "ktap.h"
#include "format.h"
#include "librelay.h"
#include "fake/relayfs.h"

static char dir[64];

static void opts_init(struct relay_app_opts *o, const char *app)
{
	memset(o, 0, sizeof(*o));
	o->size = sizeof(*o);
	o->app = app;
	o->root = FAKE_ROOT;
	o->dir = dir;
	o->out_fd = -1;
	o->duration = 0.2;
}

static void clean_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
	if (system(cmd))
		abort();
}

/*
 * Read every file @paths names, in order, through the librelay reader:
 * each CPU's frames in seq order from @first[cpu], byte for byte what
 * the fake writer wrote; counts them into @frames[cpu].  Returns the
 * reader's last answer (0: finished).
 */
static int read_back(const char *const *paths, unsigned int n,
		     const uint64_t *first, uint64_t *frames, int *headers)
{
	uint8_t want[8192];
	struct relay_stream *s;
	struct relay_frame f;
	uint64_t next[FAKE_MAXCPU];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < FAKE_MAXCPU; i++) {
		next[i] = first ? first[i] : 0;
		frames[i] = 0;
	}
	*headers = 0;
	for (i = 0; i < n; i++) {
		CHECK_EQ(relay_stream_open(paths[i], &s), 0);
		while ((ret = relay_stream_next(s, &f)) > 0) {
			if (ret == 2) {
				(*headers)++;
				CHECK_EQ(relay_stream_header(s)->ncpus,
					 fake.cpus);
				continue;
			}
			CHECK(f.cpu < fake.cpus);
			CHECK_EQ(f.seq, next[f.cpu]);
			CHECK_EQ(f.len, fake_subbuf_used(f.cpu, f.seq));
			CHECK_EQ(f.records, FAKE_RECORDS);
			fake_subbuf_fill(f.cpu, f.seq, want);
			CHECK(!memcmp(want, f.payload, f.len));
			next[f.cpu]++;
			frames[f.cpu]++;
		}
		if (ret)
			printf("# %s: %s\n", paths[i], relay_stream_error(s));
		relay_stream_close(s);
		if (ret)
			break;
	}
	return ret;
}

/* Run @o; every CPU must have all @total sub-buffers written out. */
static int run_all(struct relay_app_opts *o, unsigned int total)
{
	struct relay_run *run;
	struct relay_cpu_counters ctr;
	struct relay_stream *s;
	struct relay_frame f;
	uint64_t frames[FAKE_MAXCPU];
	char path[256];
	const char *p = path;
	unsigned int i;
	int err, headers;

	clean_dir();
	err = relay_app_run(o, &run);
	if (err)
		printf("# relay_app_run: %s\n", strerror(-err));
	CHECK_EQ(err, 0);
	CHECK_EQ(run->ncpus, fake.cpus);
	for (i = 0; i < fake.cpus; i++) {
		CHECK_EQ(run->cpu[i].subbufs, total);
		CHECK_EQ(run->cpu[i].written_subbufs, total);
		CHECK_EQ(run->cpu[i].written_records, total * FAKE_RECORDS);
	}
	CHECK_EQ(fake.stops, 1);
	/* Everything in the file, and the run's end with its counters. */
	snprintf(path, sizeof(path), "%.60s/%.100s.relay", dir, fake.name);
	CHECK_EQ(read_back(&p, 1, NULL, frames, &headers), 0);
	CHECK_EQ(headers, 1);
	for (i = 0; i < fake.cpus; i++)
		CHECK_EQ(frames[i], total);
	CHECK_EQ(relay_stream_open(path, &s), 0);
	while (relay_stream_next(s, &f) > 0)
		;
	for (i = 0; i < fake.cpus; i++) {
		CHECK_EQ(relay_stream_counters(s, i, &ctr), 0);
		CHECK_EQ(ctr.frames, total);
		CHECK_EQ(ctr.stats.consumed_records, total * FAKE_RECORDS);
	}
	CHECK(!(relay_stream_header(s)->flags & RELAY_HDR_ANCHOR));
	relay_stream_close(s);
	relay_run_free(run);
	return 0;
}

/*
 * Defect 1: an -EINTR from CONSUME (the kernel takes read_mutex
 * interruptibly) aborted the whole run.  Repeating the call with the
 * same ack is safe (docs/abi.md): the run goes on and loses nothing.
 */
static int test_eintr_consume_retried(void)
{
	struct relay_app_opts o;

	fake_reset("app", 2, 10);
	fake.buf[1].consume_err = EINTR;
	fake.buf[1].consume_err_at = 3;
	opts_init(&o, "app");
	return run_all(&o, 10);
}

/* Defect 1, read() fallback: EINTR from read() and from GET_SUBBUF. */
static int test_eintr_read_fallback(void)
{
	struct relay_app_opts o;

	fake_reset("app", 2, 10);
	fake.buf[0].read_err = EINTR;
	fake.buf[0].read_err_at = 2;
	/* After a read() that succeeded: that sub-buffer must not be lost. */
	fake.buf[1].getsub_err = EINTR;
	fake.buf[1].getsub_err_at = 4;
	opts_init(&o, "app");
	o.reader_flags = RELAY_READER_NO_MMAP;
	return run_all(&o, 10);
}

/*
 * Defect 2: an open error at CPU k made the cleanup close fd 0 once for
 * every CPU after k (their data_fd zero-filled).
 */
static int test_open_error_closes_only_its_own(void)
{
	struct relay_app_opts o;
	struct relay_run *run = NULL;

	fake_reset("app", 4, 4);
	fake.buf[1].open_err = EBUSY;
	opts_init(&o, "app");
	clean_dir();
	CHECK_EQ(relay_app_run(&o, &run), -EBUSY);
	CHECK_EQ(fake.fd0_closes, 0);
	return 0;
}

/*
 * A run of two apps shares one epoll descriptor: freeing it closed that
 * descriptor once for each app (the second close of a number that may
 * be another file's by then).  Here the second app does not exist.
 */
static int test_several_apps_close_epoll_once(void)
{
	static const char *const apps[] = { "app", "gone" };
	struct relay_app_opts o;
	struct relay_run *run = NULL;

	fake_reset("app", 2, 2);
	opts_init(&o, "app");
	o.apps = apps;
	o.napps = 2;
	clean_dir();
	CHECK_EQ(relay_run_create(&o, &run), 0);
	CHECK_EQ(relay_run_collect(run), -ENOENT);
	relay_run_free(run);
	CHECK_EQ(fake.ebadf_closes, 0);
	return 0;
}

/* The size of every file in dir; the largest. */
static off_t largest_output(void)
{
	char path[512];
	struct dirent *d;
	struct stat st;
	off_t max = 0;
	DIR *dp = opendir(dir);

	while (dp && (d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (d->d_name[0] != '.' && !stat(path, &st) && st.st_size > max)
			max = st.st_size;
	}
	if (dp)
		closedir(dp);
	return max;
}

/*
 * Defect 3: output errors were unchecked where stdio buffered them (the
 * indexes, flushed by an unchecked fclose after the run "succeeded").
 * Every file size limit that cuts some output must fail the run: a run
 * that returns 0 left no file at the limit.
 */
static int test_every_output_error_reported(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	struct rlimit old, lim;
	unsigned int cut, failed = 0;
	int err;

	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	for (cut = 37; cut < 40000; cut += 997) {
		fake_reset("app", 2, 12);
		opts_init(&o, "app");
		clean_dir();
		lim = old;
		lim.rlim_cur = cut;
		CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
		run = NULL;
		err = relay_app_run(&o, &run);
		CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
		if (err) {
			failed++;
			CHECK(err == -EFBIG || (printf("# limit %u: %s\n", cut,
						       strerror(-err)), 0));
			continue;
		}
		relay_run_free(run);
		if (largest_output() >= (off_t)cut)
			printf("# limit %u: the run succeeded, a file was "
			       "cut\n", cut);
		CHECK(largest_output() < (off_t)cut);
	}
	/* The limits did cut the output. */
	CHECK(failed > 0);
	return 0;
}

/*
 * The same for a full disk: each file the collector writes, in turn,
 * goes to /dev/full (ENOSPC on every write).  The run fails with ENOSPC,
 * or it put that file elsewhere (replaced the link by a rename).
 */
static int test_full_disk_reported(void)
{
	char names[32][128], path[256];
	struct relay_app_opts o;
	struct relay_run *run;
	struct dirent *d;
	struct stat st;
	unsigned int n = 0, i;
	DIR *dp;
	int err;

	fake_reset("app", 2, 6);
	opts_init(&o, "app");
	clean_dir();
	CHECK_EQ(relay_app_run(&o, &run), 0);
	relay_run_free(run);
	dp = opendir(dir);
	CHECK(dp != NULL);
	while ((d = readdir(dp)) && n < 32)
		if (d->d_name[0] != '.')
			snprintf(names[n++], sizeof(names[0]), "%.100s", d->d_name);
	closedir(dp);
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		fake_reset("app", 2, 6);
		clean_dir();
		snprintf(path, sizeof(path), "%.60s/%.100s", dir, names[i]);
		CHECK(symlink("/dev/full", path) == 0);
		run = NULL;
		err = relay_app_run(&o, &run);
		if (!err)
			relay_run_free(run);
		if (err != -ENOSPC && (lstat(path, &st) || !S_ISREG(st.st_mode)))
			printf("# %s on a full disk: %s\n", names[i],
			       err ? strerror(-err) : "success");
		CHECK(err == -ENOSPC ||
		      (!err && !lstat(path, &st) && S_ISREG(st.st_mode)));
	}
	return 0;
}

/*
 * Defect 4: in overwrite mode, when the ack failed, the next call handed
 * out the snapshot's copies without the valid_from check: sub-buffers
 * the writer overwrote meanwhile (torn data).
 */
static int test_overwrite_failed_ack_resets(void)
{
	struct relay_reader *r;
	struct relay_subbuf sb;
	char path[256];
	int ret;

	fake_reset("app", 1, 8);
	fake.overwrite = true;
	fake.running = true;
	/* The first call snapshots; the second (the ack) fails, and the
	 * writer laps sub-buffers 0 and 1 meanwhile.
	 */
	fake.buf[0].consume_err = EIO;
	fake.buf[0].consume_err_at = 2;
	fake.buf[0].lap_on_err = 2;
	snprintf(path, sizeof(path), FAKE_ROOT "/app/app0");
	CHECK_EQ(relay_reader_open(path, 0, &r), 0);
	CHECK(relay_reader_mapped(r));
	CHECK_EQ(relay_reader_next(r, &sb, 0), -EIO);
	/* The failed ack moved nothing: the position is where it was. */
	CHECK_EQ(fake.buf[0].pos, 0);
	ret = relay_reader_next(r, &sb, 0);
	if (ret == 1)
		printf("# handed out seq %llu\n",
		       (unsigned long long)sb.meta.seq);
	CHECK_EQ(ret, 1);
	/*
	 * The first one not overwritten: 2 and 3 were valid, and an ack of
	 * the failed snapshot (4) would have skipped them unread.
	 */
	CHECK_EQ(sb.meta.seq, 2);
	relay_reader_close(r);
	return 0;
}

/*
 * Defect 7: an app name of 64 characters or more (the kernel allows
 * them) was cut by a %63s parse: every per-CPU open failed ENOENT, read
 * as "no such CPU", and the run succeeded empty.
 */
static int test_long_app_name(void)
{
	char name[80];
	struct relay_app_opts o;

	memset(name, 'a', 70);
	name[70] = '\0';
	fake_reset(name, 2, 6);
	opts_init(&o, name);
	return run_all(&o, 6);
}

/* ... and a run without a single buffer is an error, not a success. */
static int test_no_cpu_is_an_error(void)
{
	struct relay_app_opts o;
	struct relay_run *run = NULL;
	unsigned int i;
	int err;

	fake_reset("app", 2, 6);
	for (i = 0; i < 2; i++)
		fake.buf[i].missing = true;
	opts_init(&o, "app");
	clean_dir();
	err = relay_app_run(&o, &run);
	if (!err)
		relay_run_free(run);
	CHECK_EQ(err, -ENODEV);
	return 0;
}


/* The parts of a rotated run in @dir, in order. */
static unsigned int list_parts(const char *suffix, char paths[][256],
			       unsigned int max, unsigned int *first_index)
{
	unsigned int n = 0, i, gap = 0;
	char p[256];

	*first_index = 0;
	for (i = 0; i < 1000 && n < max && gap < 50; i++) {
		snprintf(p, sizeof(p), "%.60s/app.%06u%s", dir, i, suffix);
		if (access(p, F_OK)) {
			gap += n > 0 ? 50 : 1;
			continue;
		}
		if (!n)
			*first_index = i;
		strcpy(paths[n++], p);
	}
	return n;
}

/*
 * Rotation by size keeps at most max_files, deletes (and counts) the
 * oldest, and the files left are whole runs' parts: each with the run
 * header, the frames after the deleted ones continuing in seq order.
 */
static int test_rotate_size_max_files(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	char paths[64][256];
	const char *pp[64];
	uint64_t frames[FAKE_MAXCPU], first[FAKE_MAXCPU], kept = 0;
	unsigned int n, i, first_index;
	int headers;

	fake_reset("app", 2, 40);
	opts_init(&o, "app");
	o.rotate_size = 8192;
	o.max_files = 3;
	clean_dir();
	CHECK_EQ(relay_app_run(&o, &run), 0);
	n = list_parts(".relay", paths, 64, &first_index);
	printf("# %llu files written, %llu deleted (%llu frames)\n",
	       (unsigned long long)run->out.files,
	       (unsigned long long)run->out.files_deleted,
	       (unsigned long long)run->out.frames_deleted);
	CHECK_EQ(n, 3);
	CHECK(run->out.files_deleted > 0);
	CHECK_EQ(run->out.files, n + run->out.files_deleted);
	CHECK_EQ(first_index, run->out.files_deleted);
	CHECK_EQ(run->out.frames, 80);
	CHECK(run->out.records_deleted == run->out.frames_deleted *
	      FAKE_RECORDS);
	for (i = 0; i < n; i++) {
		struct stat st;

		pp[i] = paths[i];
		CHECK(stat(paths[i], &st) == 0);
		CHECK(st.st_size <= 8192);
	}
	/* Where each CPU's frames start in the first file kept. */
	for (i = 0; i < FAKE_MAXCPU; i++)
		first[i] = 0;
	{
		struct relay_stream *s;
		struct relay_frame f;
		int ret;

		CHECK_EQ(relay_stream_open(paths[0], &s), 0);
		while ((ret = relay_stream_next(s, &f)) > 0)
			if (ret == 1 && !first[f.cpu] && f.seq)
				first[f.cpu] = f.seq;
		CHECK_EQ(relay_stream_header(s)->file_index, first_index);
		CHECK(relay_stream_trailer(s)->flags & RELAY_TRAILER_CONTINUED);
		relay_stream_close(s);
	}
	CHECK_EQ(read_back(pp, n, first, frames, &headers), 0);
	CHECK_EQ(headers, 3);
	for (i = 0; i < 2; i++)
		kept += frames[i];
	CHECK_EQ(kept + run->out.frames_deleted, 80);
	relay_run_free(run);
	return 0;
}

/*
 * Rotation by time: a paced writer (a sub-buffer every 20 ms), a new
 * file every 100 ms.  Without a size limit, any second file is the
 * clock's; on an idle host there are about six.
 */
static int test_rotate_time(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	char paths[64][256];
	const char *pp[64];
	uint64_t frames[FAKE_MAXCPU];
	unsigned int n, i, first_index;
	int headers;

	fake_reset("app", 2, 30);
	fake.pace_ms = 20;
	opts_init(&o, "app");
	o.duration = 0.8;
	o.rotate_time = 0.1;
	clean_dir();
	CHECK_EQ(relay_app_run(&o, &run), 0);
	n = list_parts(".relay", paths, 64, &first_index);
	printf("# %u files\n", n);
	CHECK(n >= 2);
	CHECK_EQ(first_index, 0);
	CHECK_EQ(run->out.files, n);
	for (i = 0; i < n; i++)
		pp[i] = paths[i];
	CHECK_EQ(read_back(pp, n, NULL, frames, &headers), 0);
	CHECK_EQ(headers, n);
	for (i = 0; i < 2; i++)
		CHECK_EQ(frames[i], 30);
	relay_run_free(run);
	return 0;
}

/*
 * Compressed: the files read back exactly, and zstd -dc of them gives
 * exactly the sub-buffers' bytes, in the order of their frames.
 */
/*
 * The zstd frames in run file @path, raw: each must carry its content
 * checksum (docs/format.md), its frame header descriptor's bit 2.
 * Returns the frames seen, or -1.
 */
static int zstd_frames_with_checksum(const char *path)
{
	static uint8_t b[1 << 20];
	size_t n, k = 0;
	int frames = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	n = fread(b, 1, sizeof(b), f);
	fclose(f);
	while (k + 8 <= n && relay_get32(b + k) == RELAY_BLOCK_MAGIC) {
		size_t end = k + 8 + relay_get32(b + k + 4);

		if (relay_get16(b + k + 14) == RELAY_BLOCK_FRAME) {
			uint8_t *z = b + end;

			end += relay_get64(b + k + 84);
			if (end > n || relay_get32(z) != 0xFD2FB528U ||
			    !(z[4] & 4))
				return -1;
			frames++;
		}
		k = end;
	}
	return k == n ? frames : -1;
}

static int test_zstd_rotated_and_zstd_dc(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	struct relay_stream *s;
	struct relay_frame f;
	char paths[64][256], cmd[4096], out[300], want_path[300];
	const char *pp[64];
	uint64_t frames[FAKE_MAXCPU];
	unsigned int n, i, first_index;
	int headers, ret;
	FILE *want;

	fake_reset("app", 2, 24);
	opts_init(&o, "app");
	o.compress = 3;
	o.rotate_size = 4096;
	clean_dir();
	CHECK_EQ(relay_app_run(&o, &run), 0);
	CHECK(run->out.stored < run->out.bytes);
	n = list_parts(".relay.zst", paths, 64, &first_index);
	CHECK(n >= 2);
	for (i = 0; i < n; i++)
		pp[i] = paths[i];
	CHECK_EQ(read_back(pp, n, NULL, frames, &headers), 0);
	CHECK_EQ(frames[0] + frames[1], 48);
	/* Every payload with zstd's content checksum. */
	for (ret = 0, i = 0; i < n; i++) {
		int z = zstd_frames_with_checksum(paths[i]);

		if (z < 0)
			printf("# %s: a zstd frame without its checksum\n",
			       paths[i]);
		CHECK(z >= 0);
		ret += z;
	}
	CHECK_EQ(ret, 48);
	/* What zstd -dc must give: the payloads in frame order. */
	snprintf(want_path, sizeof(want_path), "%.60s/want", dir);
	want = fopen(want_path, "w");
	CHECK(want != NULL);
	for (i = 0; i < n; i++) {
		CHECK_EQ(relay_stream_open(paths[i], &s), 0);
		while ((ret = relay_stream_next(s, &f)) > 0) {
			if (ret != 1)
				continue;
			CHECK(f.flags & RELAY_FRAME_ZSTD);
			CHECK(fwrite(f.payload, 1, f.len, want) == f.len);
		}
		CHECK_EQ(ret, 0);
		relay_stream_close(s);
	}
	CHECK(fclose(want) == 0);
	snprintf(out, sizeof(out), "%.60s/dc", dir);
	snprintf(cmd, sizeof(cmd), "zstd -q -dc");
	for (i = 0; i < n; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s",
			 paths[i]);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		 " > %s && cmp %s %s", out, out, want_path);
	CHECK_EQ(system(cmd), 0);
	unlink(out);
	unlink(want_path);
	relay_run_free(run);
	return 0;
}

/* The frames to a descriptor (relay-collect -c): one stream. */
static int test_stdout_stream(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	uint64_t frames[FAKE_MAXCPU];
	char path[256];
	const char *p = path;
	int headers, fd;

	fake_reset("app", 3, 9);
	fake.clocks = true;
	opts_init(&o, "app");
	snprintf(path, sizeof(path), "%.60s/stream", dir);
	clean_dir();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	o.out_fd = fd;
	CHECK_EQ(relay_app_run(&o, &run), 0);
	close(fd);
	CHECK(run->anchored);
	CHECK_EQ(read_back(&p, 1, NULL, frames, &headers), 0);
	CHECK_EQ(frames[0] + frames[1] + frames[2], 27);
	/* No files beside the stream. */
	snprintf(path, sizeof(path), "%.60s/app.relay", dir);
	CHECK(access(path, F_OK) != 0);
	relay_run_free(run);
	return 0;
}

struct seen {
	int begins, ends;
	uint64_t frames, records;
	uint32_t end_flags;
	unsigned int ncounters;
};

static int user_begin(void *ctx, const struct relay_run_header *h)
{
	struct seen *s = ctx;

	s->begins++;
	return strcmp(h->app, "app") ? -EINVAL : 0;
}

static int user_frame(void *ctx, const struct relay_frame *f)
{
	struct seen *s = ctx;
	uint8_t want[8192];

	fake_subbuf_fill(f->cpu, f->seq, want);
	if (f->len != fake_subbuf_used(f->cpu, f->seq) ||
	    memcmp(want, f->payload, f->len))
		return -EBADMSG;
	s->frames++;
	s->records += f->records;
	return 0;
}

static int user_end(void *ctx, const struct relay_cpu_counters *c,
		    unsigned int n, uint32_t flags)
{
	struct seen *s = ctx;

	(void)c;
	s->ends++;
	s->ncounters = n;
	s->end_flags = flags;
	return 0;
}

static void *stopper(void *arg)
{
	usleep(100000);
	relay_run_stop(arg);
	return NULL;
}

/*
 * A sink of the program's own gets every frame; relay_run_stop() from
 * another thread ends a run that has no duration.
 */
static int test_user_sink_and_stop_from_thread(void)
{
	static const struct relay_sink_ops ops = {
		.size = sizeof(ops), .begin = user_begin, .frame = user_frame,
		.end = user_end,
	};
	struct seen seen = { 0 };
	struct relay_app_opts o;
	struct relay_sink *sink;
	struct relay_run *run;
	pthread_t th;

	fake_reset("app", 2, 8);
	opts_init(&o, "app");
	o.duration = 0;
	CHECK_EQ(relay_sink_new(&ops, &seen, &sink), 0);
	o.sink = sink;
	CHECK_EQ(relay_run_create(&o, &run), 0);
	CHECK(pthread_create(&th, NULL, stopper, run) == 0);
	CHECK_EQ(relay_run_collect(run), 0);
	pthread_join(th, NULL);
	CHECK_EQ(seen.begins, 1);
	CHECK_EQ(seen.ends, 1);
	CHECK_EQ(seen.frames, 16);
	CHECK_EQ(seen.records, 16 * FAKE_RECORDS);
	CHECK_EQ(seen.ncounters, 2);
	CHECK_EQ(seen.end_flags, 0);
	CHECK_EQ(run->out.frames, 16);
	relay_run_free(run);
	relay_sink_free(sink);
	return 0;
}

/* A second Ctrl-C: stop without draining; the rest stays unread. */
static int test_abort_does_not_drain(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	volatile sig_atomic_t ab = 1;

	fake_reset("app", 1, 100);
	fake.pace_ms = 5;
	opts_init(&o, "app");
	o.abort = &ab;
	clean_dir();
	CHECK_EQ(relay_app_run(&o, &run), 0);
	CHECK(run->aborted);
	CHECK_EQ(fake.stops, 1);
	CHECK(run->cpu[0].subbufs < 100);
	CHECK(run->cpu[0].stats.unread_records > 0);
	relay_run_free(run);
	return 0;
}

/*
 * A write error in the middle of a run (a file size limit): the run
 * ends with the error naming the file, the app is switched off, and
 * everything written reads back; what was taken but not written is
 * exactly the difference the run reports.
 */
static int test_write_error_mid_run(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	struct rlimit old, lim;
	uint64_t frames[FAKE_MAXCPU];
	char path[256];
	const char *p = path;
	int err, headers;

	signal(SIGXFSZ, SIG_IGN);
	fake_reset("app", 2, 40);
	opts_init(&o, "app");
	clean_dir();
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = 20000;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CHECK_EQ(relay_run_create(&o, &run), 0);
	err = relay_run_collect(run);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	printf("# %s\n", run->error_msg);
	CHECK_EQ(err, -EFBIG);
	CHECK_EQ(run->error, -EFBIG);
	snprintf(path, sizeof(path), "%.60s/app.relay", dir);
	CHECK(strstr(run->error_msg, path) != NULL);
	CHECK_EQ(fake.stops, 1);
	/* Everything written reads back, up to the last whole frame. */
	CHECK_EQ(read_back(&p, 1, NULL, frames, &headers), -ENODATA);
	CHECK_EQ(frames[0], run->cpu[0].written_subbufs);
	CHECK_EQ(frames[1], run->cpu[1].written_subbufs);
	CHECK(run->cpu[0].written_subbufs + run->cpu[1].written_subbufs <
	      run->cpu[0].subbufs + run->cpu[1].subbufs);
	CHECK(run->cpu[0].written_subbufs + run->cpu[1].written_subbufs > 0);
	/*
	 * The file was cut back to its last whole frame: its size is where
	 * the reader stopped, and there is no trailer (docs/format.md: an
	 * output error leaves none, ERROR or not).
	 */
	{
		struct relay_stream *s;
		struct relay_frame f;
		struct stat st;

		CHECK_EQ(relay_stream_open(path, &s), 0);
		while (relay_stream_next(s, &f) > 0)
			;
		CHECK(stat(path, &st) == 0);
		if ((uint64_t)st.st_size != relay_stream_offset(s))
			printf("# %lld bytes, the last whole frame ends at "
			       "%llu\n", (long long)st.st_size,
			       (unsigned long long)relay_stream_offset(s));
		CHECK_EQ((uint64_t)st.st_size, relay_stream_offset(s));
		CHECK(relay_stream_trailer(s) == NULL);
		relay_stream_close(s);
	}
	relay_run_free(run);
	return 0;
}

/*
 * A run that ends on an error not of its output (a buffer that cannot
 * be read): the output is whole and its trailer says ERROR, with the
 * counters of every CPU before it.
 */
static int test_read_error_trailer_flag(void)
{
	struct relay_app_opts o;
	struct relay_run *run;
	struct relay_stream *s;
	struct relay_frame f;
	struct relay_cpu_counters c;
	char path[256];
	int err, ret;

	fake_reset("app", 2, 12);
	fake.buf[1].consume_err = EIO;
	fake.buf[1].consume_err_at = 3;
	fake.buf[1].consume_err_times = 100;
	opts_init(&o, "app");
	clean_dir();
	CHECK_EQ(relay_run_create(&o, &run), 0);
	err = relay_run_collect(run);
	CHECK_EQ(err, -EIO);
	snprintf(path, sizeof(path), "%.60s/app.relay", dir);
	CHECK_EQ(relay_stream_open(path, &s), 0);
	while ((ret = relay_stream_next(s, &f)) > 0)
		;
	CHECK_EQ(ret, 0);
	CHECK(relay_stream_trailer(s) != NULL);
	CHECK_EQ(relay_stream_trailer(s)->flags, RELAY_TRAILER_ERROR);
	CHECK_EQ(relay_stream_counters(s, 0, &c), 0);
	CHECK_EQ(c.frames, run->cpu[0].subbufs);
	CHECK_EQ(relay_stream_counters(s, 1, &c), 0);
	CHECK_EQ(c.frames, run->cpu[1].subbufs);
	relay_stream_close(s);
	relay_run_free(run);
	return 0;
}

static volatile sig_atomic_t stall_stop, stall_abort;

/* As relay-collect's: the flags are read by the zstd thread too. */
static void stall_signal(int sig)
{
	int e = errno;

	(void)sig;
	if (__atomic_load_n(&stall_stop, __ATOMIC_RELAXED))
		__atomic_store_n(&stall_abort, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stall_stop, 1, __ATOMIC_RELAXED);
	errno = e;
}

/*
 * The child of test_stalled_output_abort: a run to a pipe nobody reads,
 * Ctrl-C twice (SIGALRM here, as relay-collect's handler does it).
 * Exits 0 if the run ended, aborted, and says what it did not write.
 */
static int stall_child(int compress)
{
	struct sigaction sa = { .sa_handler = stall_signal };
	struct itimerval it = { { 0, 300000 }, { 0, 300000 } };
	struct relay_app_opts o;
	struct relay_run *run;
	int p[2], err;

	if (pipe(p) || fcntl(p[1], F_SETPIPE_SZ, 4096) < 0)
		return 10;
	fake_reset("app", 1, 3000);
	opts_init(&o, "app");
	o.duration = 0;
	o.out_fd = p[1];
	o.stop = &stall_stop;
	o.abort = &stall_abort;
	o.compress = compress;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	if (relay_run_create(&o, &run))
		return 11;
	err = relay_run_collect(run);
	printf("# %s: %d signals' worth: returned %s (%s), %llu of %llu "
	       "sub-buffers written\n", compress ? "zstd" : "plain",
	       stall_abort ? 2 : 1, strerror(-err), run->error_msg,
	       (unsigned long long)run->cpu[0].written_subbufs,
	       (unsigned long long)run->cpu[0].subbufs);
	if (err != -ECANCELED || !run->aborted)
		return 12;
	if (!strstr(run->error_msg, "aborted"))
		return 13;
	/* What was lost is counted: taken, not written. */
	if (run->cpu[0].written_subbufs >= run->cpu[0].subbufs)
		return 14;
	relay_run_free(run);
	return 0;
}

/*
 * A stalled -c reader (a pipe nobody reads): the second Ctrl-C (abort)
 * must end the run within seconds, plain and with the zstd thread
 * blocked in its write, and the run says what it did not write.
 */
static int test_stalled_output_abort(void)
{
	int compress, st, i;
	pid_t pid;

	for (compress = 0; compress <= 3; compress += 3) {
		fflush(stdout);
		pid = fork();
		CHECK(pid >= 0);
		if (!pid) {
			st = stall_child(compress);
			fflush(stdout);
			_exit(st);
		}
		/* 0.6 s to the abort, a second for the output: 6 s is ample */
		for (i = 0; i < 60 && waitpid(pid, &st, WNOHANG) == 0; i++)
			usleep(100000);
		if (i == 60) {
			printf("# %s: still running after 6 s\n",
			       compress ? "zstd" : "plain");
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), 0);
	}
	return 0;
}

/* The control protocol as public calls: start, stop, no such app. */
static int test_app_start_stop(void)
{
	int fd;

	fake_reset("app", 2, 4);
	fd = relay_app_start(FAKE_ROOT, "app", 8192, 4,
			     RELAY_MODE_OVERWRITE);
	CHECK(fd >= 0);
	CHECK(fake.running && fake.overwrite);
	CHECK_EQ(relay_app_stop(fd), 0);
	CHECK(fake.closed && !fake.running);
	CHECK_EQ(fake.stops, 1);
	close(fd);
	CHECK_EQ(relay_app_start(FAKE_ROOT, "nosuch", 0, 0,
				 RELAY_MODE_DEFAULT), -ENOENT);
	CHECK_EQ(relay_app_start(FAKE_ROOT, "a/b", 0, 0, RELAY_MODE_DEFAULT),
		 -EINVAL);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "several_apps_close_epoll_once",
	  test_several_apps_close_epoll_once },
	{ "eintr_consume_retried", test_eintr_consume_retried },
	{ "eintr_read_fallback", test_eintr_read_fallback },
	{ "open_error_closes_only_its_own",
	  test_open_error_closes_only_its_own },
	{ "every_output_error_reported", test_every_output_error_reported },
	{ "full_disk_reported", test_full_disk_reported },
	{ "overwrite_failed_ack_resets", test_overwrite_failed_ack_resets },
	{ "long_app_name", test_long_app_name },
	{ "no_cpu_is_an_error", test_no_cpu_is_an_error },
	{ "rotate_size_max_files", test_rotate_size_max_files },
	{ "rotate_time", test_rotate_time },
	{ "zstd_rotated_and_zstd_dc", test_zstd_rotated_and_zstd_dc },
	{ "stdout_stream", test_stdout_stream },
	{ "user_sink_and_stop_from_thread",
	  test_user_sink_and_stop_from_thread },
	{ "abort_does_not_drain", test_abort_does_not_drain },
	{ "write_error_mid_run", test_write_error_mid_run },
	{ "read_error_trailer_flag", test_read_error_trailer_flag },
	{ "app_start_stop", test_app_start_stop },
	{ "stalled_output_abort", test_stalled_output_abort },
};

int main(int argc, char **argv)
{
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/librelay-collect.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	ret = ktap_run(cases, sizeof(cases) / sizeof(cases[0]), argv + 1,
		       argc > 1 ? argc - 1 : 0);
	clean_dir();
	rmdir(dir);
	return ret;
}

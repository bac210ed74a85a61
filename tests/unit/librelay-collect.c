// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the collector (the real lib/ objects) against the
 * fake relayfs of fake-relayfs.c: the defects of issue 16 found by
 * reading lib/, each proven here with the ioctls and files faked.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "ktap.h"
#include "librelay.h"
#include "fake-relayfs.h"

static char dir[64];

static void opts_init(struct relay_app_opts *o, const char *app)
{
	memset(o, 0, sizeof(*o));
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

/* Run @o; every CPU must have all @total sub-buffers written out. */
static int run_all(struct relay_app_opts *o, unsigned int total)
{
	struct relay_run *run;
	unsigned int i;
	int err;

	clean_dir();
	err = relay_app_run(o, &run);
	if (err)
		printf("# relay_app_run: %s\n", strerror(-err));
	CHECK_EQ(err, 0);
	CHECK_EQ(run->ncpus, fake.cpus);
	for (i = 0; i < fake.cpus; i++)
		CHECK_EQ(run->cpu[i].subbufs, total);
	CHECK_EQ(fake.stops, 1);
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
	ret = relay_reader_next(r, &sb, 0);
	if (ret == 1)
		printf("# handed out seq %llu\n",
		       (unsigned long long)sb.meta.seq);
	CHECK_EQ(ret, 1);
	CHECK(sb.meta.seq >= 2);
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

static const struct ktap_case cases[] = {
	{ "eintr_consume_retried", test_eintr_consume_retried },
	{ "eintr_read_fallback", test_eintr_read_fallback },
	{ "open_error_closes_only_its_own",
	  test_open_error_closes_only_its_own },
	{ "every_output_error_reported", test_every_output_error_reported },
	{ "full_disk_reported", test_full_disk_reported },
	{ "overwrite_failed_ack_resets", test_overwrite_failed_ack_resets },
	{ "long_app_name", test_long_app_name },
	{ "no_cpu_is_an_error", test_no_cpu_is_an_error },
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

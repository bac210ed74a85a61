// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of relay-app, librelay and relay-collect, end to end: the
 * sample relay-app (examples/sample) writes self-checking records, the
 * real relay-collect collects them, and every record in its output, its
 * indexes and its counters are checked exactly against the producer.
 *
 *   rfs-app [SUBSTRING]    run the tests whose name contains SUBSTRING
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "ktap.h"
#include "lib/rfstest.h"

#define APP	"/sys/kernel/relayfs/sample"
#define PARAMS	"/sys/module/relay_sample/parameters"


static int test_collect_all_contexts(void)
{
	char *argv[] = { "relay-collect", "-p", "-d", "/tmp/all", "-t", "3",
			 "sample", NULL };

	CHECK(sample_producer(1000, 64, "task,softirq,hardirq") == 0);
	CHECK_EQ(collect(argv, "/tmp/all"), 0);
	/* The progress lines and the summary, for people. */
	show("/tmp/all.err");
	show("/tmp/all.out");
	CHECK(file_has("/tmp/all.err", "s | cpu0 "));
	CHECK(file_has("/tmp/all.out", "relay-collect: sample: "));
	CHECK(sample_check_run("/tmp/all", 64, false, true) == 0);
	return 0;
}

static int test_collect_overwrite(void)
{
	char *argv[] = { "relay-collect", "-q", "-o", "-s", "4k", "-n", "4",
			 "-d", "/tmp/ow", "-t", "3", "sample", NULL };

	CHECK(sample_producer(20000, 48, "task,hardirq") == 0);
	CHECK_EQ(collect(argv, "/tmp/ow"), 0);
	CHECK(sample_check_run("/tmp/ow", 48, true, true) == 0);
	return 0;
}

static int test_collect_read_fallback(void)
{
	char *argv[] = { "relay-collect", "--no-mmap", "-d", "/tmp/rd",
			 "-t", "2", "sample", NULL };

	CHECK(sample_producer(1000, 100, "task,softirq") == 0);
	CHECK_EQ(collect(argv, "/tmp/rd"), 0);
	CHECK(file_has("/tmp/rd.out", "no-overwrite, read"));
	CHECK(sample_check_run("/tmp/rd", 100, false, true) == 0);
	return 0;
}

/* Wait until the sample runs and has written on every CPU. */
static int wait_writing(void)
{
	int i;

	for (i = 0; i < 1000 && !app_running("sample"); i++)
		usleep(10000);
	CHECK(app_running("sample"));
	return sample_wait_records(10);
}

/*
 * Wait until the collector of @argv has opened every CPU's buffer: it
 * creates its data files (-d DIR, or the current directory) right after.
 * Before that, the producer's records say nothing about the collector.
 */
static int wait_collecting(char *const argv[])
{
	const char *dir = ".";
	char path[256];
	int i, cpu, t;

	for (i = 1; argv[i]; i++)
		if (!strcmp(argv[i], "-d") && argv[i + 1])
			dir = argv[i + 1];
	for (cpu = 0; cpu < ncpus; cpu++) {
		snprintf(path, sizeof(path), "%s/sample.%d", dir, cpu);
		for (t = 0; t < 1000 && access(path, F_OK); t++)
			usleep(10000);
		CHECK(access(path, F_OK) == 0);
	}
	return 0;
}

/* Start a collector and wait for records; -1 (and none left) if none. */
static pid_t collect_writing(char *const argv[], const char *log)
{
	pid_t pid = collect_start(argv, log);

	if (!wait_writing() && !wait_collecting(argv))
		return pid;
	kill(pid, SIGKILL);
	collect_wait(pid);
	return -1;
}

/*
 * Stop the collector for a second mid-run (the pause is the load, not a
 * wait): the buffers must absorb it.
 */
static int run_with_pause(char *const argv[], const char *log)
{
	pid_t pid = collect_writing(argv, log);

	if (pid < 0)
		return -1;
	kill(pid, SIGSTOP);
	usleep(1000000);
	kill(pid, SIGCONT);
	return collect_wait(pid);
}

static int test_small_buffers_lose_then_advice_holds(void)
{
	char *small[] = { "relay-collect", "-s", "4k", "-n", "2", "-d",
			  "/tmp/small", "-t", "3", "sample", NULL };
	char *advised[] = { "relay-collect", "-s", NULL, "-n", NULL, "-d",
			    "/tmp/advised", "-t", "3", "sample", NULL };
	char line[256], size[32], n[32];
	struct run_stats st[MAXCPU];
	size_t subbuf;
	bool found = false;
	FILE *f;
	int cpu;

	CHECK(sample_producer(1000, 64, "task") == 0);
	CHECK_EQ(run_with_pause(small, "/tmp/small"), 0);
	show("/tmp/small.out");
	CHECK(sample_check_run("/tmp/small", 64, false, true) == 0);
	CHECK(read_run_stats("/tmp/small", "sample", st, &subbuf) == 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		CHECK(st[cpu].drop > 0);
	CHECK(file_has("/tmp/small.out", "lost"));
	f = fopen("/tmp/small.out", "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "data was lost: the buffers are too small for "
			   "this load; try -s %31s -n %31s", size, n) == 2)
			found = true;
	fclose(f);
	CHECK(found);
	advised[2] = size;
	advised[4] = n;
	printf("# advised: -s %s -n %s\n", size, n);
	CHECK_EQ(run_with_pause(advised, "/tmp/advised"), 0);
	show("/tmp/advised.out");
	CHECK(sample_check_run("/tmp/advised", 64, false, true) == 0);
	CHECK(read_run_stats("/tmp/advised", "sample", st, &subbuf) == 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		CHECK_EQ(st[cpu].drop, 0);
	return 0;
}

static int test_sigkill_tears_down(void)
{
	char *first[] = { "relay-collect", "-q", "-d", "/tmp/k1", "-t", "60",
			  "sample", NULL };
	char *second[] = { "relay-collect", "-q", "-s", "8k", "-n", "4",
			   "-d", "/tmp/k2", "-t", "1", "sample", NULL };
	size_t subbuf;
	struct run_stats st[MAXCPU];
	pid_t pid;

	CHECK(sample_producer(1000, 64, "task") == 0);
	pid = collect_writing(first, "/tmp/k1");
	CHECK(pid > 0);
	kill(pid, SIGKILL);
	CHECK_EQ(collect_wait(pid), 128 + SIGKILL);
	/* Its exit stopped the run and released every buffer. */
	CHECK(!app_running("sample"));
	CHECK_EQ(app_control_value("sample", "held"), 0);
	CHECK_EQ(collect(second, "/tmp/k2"), 0);
	CHECK(read_run_stats("/tmp/k2", "sample", st, &subbuf) == 0);
	CHECK_EQ(subbuf, 8192);
	CHECK(sample_check_run("/tmp/k2", 64, false, true) == 0);
	return 0;
}

static int test_second_collector_is_busy(void)
{
	char *first[] = { "relay-collect", "-q", "-d", "/tmp/b1", "-t", "60",
			  "sample", NULL };
	char *second[] = { "relay-collect", "-q", "-d", "/tmp/b2", "-t", "1",
			   "sample", NULL };
	pid_t pid;

	CHECK(sample_producer(500, 64, "task") == 0);
	pid = collect_writing(first, "/tmp/b1");
	CHECK(pid > 0);
	CHECK_EQ(collect(second, "/tmp/b2"), 1);
	CHECK(file_has("/tmp/b2.err", "busy"));
	/* Ctrl-C: a clean stop with every byte on disk. */
	kill(pid, SIGINT);
	CHECK_EQ(collect_wait(pid), 0);
	CHECK(sample_check_run("/tmp/b1", 64, false, true) == 0);
	return 0;
}

/* Each bad command fails with EINVAL and changes nothing. */
static int bad_command(int fd, const char *cmd, long runs)
{
	CHECK_ERRNO(write(fd, cmd, strlen(cmd)), EINVAL);
	CHECK(!app_running("sample"));
	CHECK_EQ(app_control_value("sample", "runs"), runs);
	return 0;
}

static int start_without_cap_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	const char *cmd = "start subbuf_size=4096 n_subbufs=4";
	int fd;

	if (syscall(SYS_capget, &h, d))
		return 10;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		return 11;
	fd = open(APP "/control", O_WRONLY);
	if (fd < 0)
		return 12;
	errno = 0;
	if (write(fd, cmd, strlen(cmd)) != -1 || errno != EPERM)
		return 13;
	return 0;
}

static int test_control_protocol_errors(void)
{
	char longline[300];
	long runs = app_control_value("sample", "runs");
	pid_t pid;
	int fd, fd2, st;

	CHECK(runs >= 0);
	fd = open(APP "/control", O_RDWR);
	CHECK(fd >= 0);
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	CHECK(bad_command(fd, "garbage", runs) == 0);
	CHECK(bad_command(fd, "start", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=0 n_subbufs=4", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4096 n_subbufs=0", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=99999999999999999999999 "
			  "n_subbufs=4", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=1073741824 n_subbufs=4",
			  runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4096", runs) == 0);
	CHECK(bad_command(fd, "start n_subbufs=4", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4096 n_subbufs=4 "
			  "mode=sideways", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4096 n_subbufs=4 x=1",
			  runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4k n_subbufs=4", runs) == 0);
	CHECK(bad_command(fd, "stop now", runs) == 0);
	CHECK(bad_command(fd, longline, runs) == 0);
	/* One collector: a second writer is refused, readers are not. */
	CHECK_ERRNO(open(APP "/control", O_WRONLY), EBUSY);
	fd2 = open(APP "/control", O_RDONLY);
	CHECK(fd2 >= 0);
	close(fd2);
	/* A good start works, and a second start is busy. */
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4\n", 35) == 35);
	CHECK(app_running("sample"));
	CHECK_EQ(app_control_value("sample", "subbuf_size"), 4096);
	CHECK_ERRNO(write(fd, "start subbuf_size=4096 n_subbufs=4", 34), EBUSY);
	CHECK(write(fd, "stop", 4) == 4);
	CHECK(!app_running("sample"));
	close(fd);
	/* Without CAP_SYS_ADMIN, start is refused. */
	pid = fork();
	if (pid == 0)
		_exit(start_without_cap_sys_admin());
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(!app_running("sample"));
	return 0;
}

static int test_usage_errors_exit_2(void)
{
	char *bad[][6] = {
		{ "relay-collect", NULL },
		{ "relay-collect", "-s", "abc", "sample", NULL },
		{ "relay-collect", "-n", "0", "sample", NULL },
		{ "relay-collect", "-t", "-1", "sample", NULL },
		{ "relay-collect", "--bogus", "sample", NULL },
		{ "relay-collect", "sample", "extra", NULL },
	};
	char *help[] = { "relay-collect", "--help", NULL };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(collect(bad[i], "/tmp/usage"), 2);
		CHECK(file_has("/tmp/usage.err", "usage: relay-collect"));
	}
	CHECK_EQ(collect(help, "/tmp/usage"), 0);
	CHECK(file_has("/tmp/usage.out", "--subbuf-size"));
	return 0;
}

static int test_no_such_app_exit_1(void)
{
	char *argv[] = { "relay-collect", "-q", "nosuchapp", NULL };

	CHECK_EQ(collect(argv, "/tmp/noapp"), 1);
	CHECK(file_has("/tmp/noapp.err", "no such relay-app"));
	return 0;
}

static int test_producer_unloaded_while_collecting(void)
{
	char *argv[] = { "relay-collect", "-q", "-d", "/tmp/gone", "-t", "60",
			 "sample", NULL };
	pid_t pid;

	CHECK(sample_producer(1000, 64, "task,hardirq") == 0);
	pid = collect_writing(argv, "/tmp/gone");
	CHECK(pid > 0);
	CHECK_EQ(system("rmmod relay_sample"), 0);
	/* The collector ends by itself, with the data so far. */
	CHECK_EQ(collect_wait(pid), 0);
	CHECK(sample_check_run("/tmp/gone", 64, false, false) == 0);
	CHECK_EQ(system("insmod /lib/relayfs/relay_sample.ko"), 0);
	return 0;
}

/* librelay and relay-collect under memcheck: no error, no leak. */
static int valgrind_run(const char *dir, const char *log, const char *opt,
			unsigned int len, bool overwrite)
{
	char *argv[] = { "valgrind", "-q", "--leak-check=full",
			 "--show-leak-kinds=all", "--errors-for-leak-kinds=all",
			 "--error-exitcode=99", "relay-collect-dyn", "-q",
			 (char *)opt, "-d", (char *)dir, "-t", "2", "sample",
			 NULL };
	pid_t pid = fork();
	char path[128];
	int fd;

	if (pid == 0) {
		snprintf(path, sizeof(path), "%s.err", log);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		execvp("valgrind", argv);
		_exit(127);
	}
	fd = collect_wait(pid);
	snprintf(path, sizeof(path), "%s.err", log);
	show(path);
	CHECK_EQ(fd, 0);
	CHECK(sample_check_run(dir, len, overwrite, true) == 0);
	return 0;
}

static int test_valgrind_clean(void)
{
	CHECK(sample_producer(2000, 64, "task,hardirq") == 0);
	CHECK(valgrind_run("/tmp/vg1", "/tmp/vg1", "-O", 64, false) == 0);
	CHECK(sample_producer(20000, 64, "task") == 0);
	CHECK(valgrind_run("/tmp/vg2", "/tmp/vg2", "-o", 64, true) == 0);
	CHECK(sample_producer(1000, 64, "task") == 0);
	CHECK(valgrind_run("/tmp/vg3", "/tmp/vg3", "--no-mmap", 64,
			   false) == 0);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "collect_all_contexts", test_collect_all_contexts },
	{ "collect_overwrite", test_collect_overwrite },
	{ "collect_read_fallback", test_collect_read_fallback },
	{ "small_buffers_lose_then_advice_holds",
	  test_small_buffers_lose_then_advice_holds },
	{ "sigkill_tears_down", test_sigkill_tears_down },
	{ "second_collector_is_busy", test_second_collector_is_busy },
	{ "control_protocol_errors", test_control_protocol_errors },
	{ "usage_errors_exit_2", test_usage_errors_exit_2 },
	{ "no_such_app_exit_1", test_no_such_app_exit_1 },
	{ "valgrind_clean", test_valgrind_clean },
	{ "producer_unloaded_while_collecting",
	  test_producer_unloaded_while_collecting },
};

int main(int argc, char **argv)
{
	return rfstest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			    argv);
}

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
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "ktap.h"
#include "lib/rfstest.h"
#include "lib/run.h"

#define APP	"/sys/kernel/relayfs/sample"
#define PARAMS	"/sys/module/relay_sample/parameters"


static int test_collect_all_contexts(void)
{
	char *argv[] = { "relay-collect", "-p", "-o", "/tmp/all", "-t", "3s",
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
	char *argv[] = { "relay-collect", "-q", "-w", "-s", "4k", "-n", "4",
			 "-o", "/tmp/ow", "-t", "3", "sample", NULL };

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
 * creates its output file (-o/-d DIR, or the current directory) right
 * after.  Before that, the producer's records say nothing about the
 * collector.
 */
static int wait_collecting(char *const argv[])
{
	const char *dir = ".";
	char paths[4][256];
	int i, t;

	for (i = 1; argv[i]; i++)
		if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "-o")) &&
		    argv[i + 1])
			dir = argv[i + 1];
	for (t = 0; t < 1000 && !run_files(dir, "sample", paths, 4); t++)
		usleep(10000);
	CHECK(run_files(dir, "sample", paths, 4) > 0);
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
	/* Some sub-buffers of the app's default size done and written. */
	usleep(1500000);
	kill(pid, SIGKILL);
	CHECK_EQ(collect_wait(pid), 128 + SIGKILL);
	/* What it wrote reads back up to its last frame, unfinished. */
	CHECK(sample_check_unfinished("/tmp/k1", 64, false, true) == 0);
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

/*
 * Starting takes CAP_SYS_ADMIN or the collect_gid= group, as the file was
 * opened (kernel/app.c): root's uid without the capability, owner of the
 * file, opens it but may not start (the mode alone would let it).
 */
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
	if (app_running("sample"))
		return 14;
	return 0;
}

static int test_control_protocol_errors(void)
{
	char longline[300];
	long runs = app_control_value("sample", "runs"), mem;
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
	CHECK(bad_command(fd, "start subbuf_size=4096 n_subbufs=4 flush_ms=0",
			  runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4096 n_subbufs=4 "
			  "flush_ms=60001", runs) == 0);
	CHECK(bad_command(fd, "start subbuf_size=4096 n_subbufs=4 "
			  "flush_ms=10 flush_ms=20", runs) == 0);
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
	CHECK_EQ(app_control_value("sample", "flush_ms"), 1000);
	/* Its buffers' pages, one buffer per possible CPU, and a little
	 * more for their metadata (under a page per buffer here).
	 */
	mem = app_control_value("sample", "memory");
	CHECK(mem >= (long)ncpus * 4 * 4096);
	CHECK(mem < (long)ncpus * 5 * 4096);
	CHECK_ERRNO(write(fd, "start subbuf_size=4096 n_subbufs=4", 34), EBUSY);
	CHECK(write(fd, "stop", 4) == 4);
	CHECK(!app_running("sample"));
	CHECK_EQ(app_control_value("sample", "flush_ms"), 0);
	/* The bounds themselves are taken. */
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4 flush_ms=60000",
		    49) == 49);
	CHECK_EQ(app_control_value("sample", "flush_ms"), 60000);
	CHECK(write(fd, "stop", 4) == 4);
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4 flush_ms=1",
		    45) == 45);
	CHECK_EQ(app_control_value("sample", "flush_ms"), 1);
	CHECK(write(fd, "stop", 4) == 4);
	close(fd);
	/* Without CAP_SYS_ADMIN (and no group), start is refused. */
	pid = fork();
	if (pid == 0)
		_exit(start_without_cap_sys_admin());
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(!app_running("sample"));
	return 0;
}

/*
 * Collecting without root (kernel/app.c, relayfs(7)): the mount option
 * collect_gid= gives every relay-app's control file (0660) and its
 * channel's files to a group: each CPU's 0400 of the run's starter,
 * .stats 0440.  USER and USER2 are unprivileged uids, GROUP the
 * collecting group.
 */
#define USER	4000
#define GROUP	4242
#define RAW	RELAYFS "/rfstest"

static const gid_t member_groups[] = { GROUP };
static const struct identity member = {
	.uid = USER, .gid = USER, .groups = member_groups, .n_groups = 1,
};
static const struct identity outsider = { .uid = USER, .gid = USER };
#define USER2	4001
static const struct identity member2 = {
	.uid = USER2, .gid = USER2, .groups = member_groups, .n_groups = 1,
};

static int remount(const char *opts)
{
	CHECK(mount("relayfs", RELAYFS, "relayfs", MS_REMOUNT, opts) == 0);
	return 0;
}

/* @path is mode @mode, of @uid and group @gid. */
static int owned_by(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	if ((st.st_mode & 07777) != mode || st.st_uid != uid ||
	    st.st_gid != gid)
		printf("# %s: %o %u:%u\n", path, st.st_mode & 07777,
		       st.st_uid, st.st_gid);
	CHECK_EQ(st.st_mode & 07777, mode);
	CHECK_EQ(st.st_uid, uid);
	CHECK_EQ(st.st_gid, gid);
	return 0;
}

/* @path is mode @mode, root's, of group @gid. */
static int owned(const char *path, mode_t mode, gid_t gid)
{
	return owned_by(path, mode, 0, gid);
}

/*
 * The sample's channel files of this run started by @uid: each CPU's
 * @mode, .stats @stats_mode, of group @gid.
 */
static int channel_owned(mode_t mode, mode_t stats_mode, uid_t uid,
			 gid_t gid)
{
	char path[128];
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++) {
		snprintf(path, sizeof(path), APP "/sample%d", cpu);
		CHECK(owned_by(path, mode, uid, gid) == 0);
	}
	CHECK(owned_by(APP "/sample.stats", stats_mode, uid, gid) == 0);
	return 0;
}

/* Run @fn in a child as @id; its result. */
static int as(const struct identity *id, int (*fn)(void))
{
	pid_t pid = fork();
	int st, err;

	if (pid == 0) {
		err = become(id->uid, id->gid, id->groups, id->n_groups);
		if (err) {
			printf("# become: %s\n", strerror(-err));
			fflush(stdout);
			_exit(126);
		}
		_exit(fn() ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* A raw channel of the channel API: the test producer's. */
static int raw_channel(bool open)
{
	if (!open) {
		CHECK_EQ(ctl("close"), 0);
		CHECK_EQ(unload_module("relayfs_testprod"), 0);
		return 0;
	}
	CHECK_EQ(load_module("relayfs_testprod", ""), 0);
	CHECK_EQ(ctl("open subbuf=4096 n=4"), 0);
	return 0;
}

static int test_collect_gid_gives_app_files(void)
{
	char line[512];
	bool shown = false;
	FILE *f;
	int fd;

	CHECK(owned(APP "/control", 0600, 0) == 0);
	CHECK(remount("mode=0755,collect_gid=4242") == 0);
	/* An app registered before the option gets it at once. */
	CHECK(owned(APP "/control", 0660, GROUP) == 0);
	f = fopen("/proc/mounts", "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " " RELAYFS " relayfs ") &&
		    strstr(line, ",collect_gid=4242"))
			shown = true;
	fclose(f);
	CHECK(shown);
	/* A run's files are the group's from its start. */
	fd = open(APP "/control", O_RDWR);
	CHECK(fd >= 0);
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4", 34) == 34);
	CHECK(channel_owned(0400, 0440, 0, GROUP) == 0);
	/* The app's other files, a raw channel: not the group's. */
	CHECK(owned(APP "/producer", 0400, 0) == 0);
	CHECK(raw_channel(true) == 0);
	CHECK(owned(RAW "/rfs0", 0400, 0) == 0);
	CHECK(owned(RAW "/rfs.stats", 0400, 0) == 0);
	CHECK(owned(RAW "/ctl", 0600, 0) == 0);
	CHECK(raw_channel(false) == 0);
	/* A remount changes the running channel too, both ways. */
	CHECK(remount("collect_gid=0") == 0);
	CHECK(owned(APP "/control", 0600, 0) == 0);
	CHECK(channel_owned(0400, 0400, 0, 0) == 0);
	CHECK(remount("collect_gid=4242") == 0);
	CHECK(channel_owned(0400, 0440, 0, GROUP) == 0);
	CHECK(write(fd, "stop", 4) == 4);
	close(fd);
	/* Malformed: refused, nothing changed. */
	CHECK_ERRNO(mount("relayfs", RELAYFS, "relayfs", MS_REMOUNT,
			  "collect_gid=staff"), EINVAL);
	CHECK(owned(APP "/control", 0660, GROUP) == 0);
	CHECK(remount("mode=0700,collect_gid=0") == 0);
	return 0;
}

static int test_member_collects(void)
{
	char *argv[] = { "relay-collect", "-q", "-o", "/tmp/member", "-t",
			 "3", "sample", NULL };
	struct stat st;

	CHECK(remount("mode=0755,collect_gid=4242") == 0);
	CHECK(sample_producer(1000, 64, "task,hardirq") == 0);
	CHECK_EQ(collect_as(&member, argv, "/tmp/member"), 0);
	show("/tmp/member.err");
	/* It ran as USER: its output is USER's. */
	CHECK(stat("/tmp/member", &st) == 0);
	CHECK_EQ(st.st_uid, USER);
	CHECK(sample_check_run("/tmp/member", 64, false, true) == 0);
	/* By read() too. */
	argv[3] = "/tmp/member-rd";
	argv[1] = "--no-mmap";
	CHECK_EQ(collect_as(&member, argv, "/tmp/member-rd"), 0);
	CHECK(sample_check_run("/tmp/member-rd", 64, false, true) == 0);
	CHECK(remount("mode=0700,collect_gid=0") == 0);
	return 0;
}

/* What a member must not do, while its own run is on. */
static int member_refused(void)
{
	const char *big = "start subbuf_size=268435456 n_subbufs=4";
	int fd, rd;

	fd = open(APP "/control", O_RDWR);
	CHECK(fd >= 0);
	/* The memory cap holds for a member as for root. */
	CHECK_ERRNO(write(fd, big, strlen(big)), ENOMEM);
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4", 34) == 34);
	/* Its channel: read, never written, modes not the member's. */
	rd = open(APP "/sample0", O_RDONLY);
	CHECK(rd >= 0);
	close(rd);
	CHECK_ERRNO(open(APP "/sample0", O_WRONLY), EACCES);
	CHECK_ERRNO(open(APP "/sample0", O_RDWR), EACCES);
	CHECK_ERRNO(open(APP "/sample.stats", O_WRONLY), EACCES);
	CHECK_ERRNO(chmod(APP "/sample0", 0444), EPERM);
	CHECK_ERRNO(chmod(APP "/control", 0666), EPERM);
	CHECK_ERRNO(chown(APP "/control", USER, -1), EPERM);
	/* The app's other files, another module's raw channel. */
	CHECK_ERRNO(open(APP "/producer", O_RDONLY), EACCES);
	CHECK_ERRNO(open(RAW "/rfs0", O_RDONLY), EACCES);
	CHECK_ERRNO(open(RAW "/rfs.stats", O_RDONLY), EACCES);
	CHECK_ERRNO(open(RAW "/ctl", O_RDWR), EACCES);
	/* Module parameters: the cap, the producer's. */
	CHECK_ERRNO(open("/sys/module/relayfs/parameters/mem_limit",
			 O_WRONLY), EACCES);
	CHECK_ERRNO(open(PARAMS "/rate", O_WRONLY), EACCES);
	/* The tree and its options. */
	CHECK_ERRNO(mkdir(RELAYFS "/x", 0755), EACCES);
	CHECK_ERRNO(mount("relayfs", RELAYFS, "relayfs", MS_REMOUNT,
			  "collect_gid=4000"), EPERM);
	CHECK_ERRNO(umount(RELAYFS), EPERM);
	CHECK(write(fd, "stop", 4) == 4);
	close(fd);
	return 0;
}

/* What someone outside the group gets: EACCES on every app file. */
static int outsider_refused(void)
{
	CHECK_ERRNO(open(APP "/control", O_RDWR), EACCES);
	CHECK_ERRNO(open(APP "/control", O_WRONLY), EACCES);
	CHECK_ERRNO(open(APP "/control", O_RDONLY), EACCES);
	CHECK_ERRNO(open(APP "/sample0", O_RDONLY), EACCES);
	CHECK_ERRNO(open(APP "/sample.stats", O_RDONLY), EACCES);
	return 0;
}

/*
 * A member's open control file after the group was taken away: its next
 * start is refused (the right is checked at each start, not only at
 * open), while the open file still stops.  Handshake: @open_done when
 * control is open, then @group_gone once the parent has remounted.
 */
static int member_loses_the_group(int open_done, int group_gone)
{
	const char *cmd = "start subbuf_size=4096 n_subbufs=4";
	int fd = open(APP "/control", O_WRONLY);
	char c = 0;

	if (fd < 0 || write(open_done, &c, 1) != 1 ||
	    read(group_gone, &c, 1) != 1)
		return 20;
	errno = 0;
	if (write(fd, cmd, strlen(cmd)) != -1 || errno != EPERM)
		return 21;
	if (write(fd, "stop", 4) != 4)
		return 22;
	return 0;
}

static int test_member_refused_the_rest(void)
{
	int open_done[2], group_gone[2], st;
	pid_t pid;
	char c;

	CHECK(remount("mode=0755,collect_gid=4242") == 0);
	CHECK(raw_channel(true) == 0);
	CHECK_EQ(as(&member, member_refused), 0);
	CHECK(!app_running("sample"));
	CHECK(raw_channel(false) == 0);
	/* The group taken away from a member holding control open. */
	CHECK(pipe(open_done) == 0 && pipe(group_gone) == 0);
	pid = fork();
	if (pid == 0) {
		if (become(member.uid, member.gid, member.groups,
			   member.n_groups))
			_exit(126);
		_exit(member_loses_the_group(open_done[1], group_gone[0]));
	}
	CHECK(pid > 0);
	CHECK(read(open_done[0], &c, 1) == 1);
	CHECK(remount("collect_gid=0") == 0);
	CHECK(write(group_gone[1], &c, 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(!app_running("sample"));
	close(open_done[0]);
	close(open_done[1]);
	close(group_gone[0]);
	close(group_gone[1]);
	CHECK(remount("mode=0700,collect_gid=0") == 0);
	return 0;
}

/* @id is refused every file of a run that root started. */
static int refused_during_run(const struct identity *id)
{
	int fd = open(APP "/control", O_RDWR);

	CHECK(fd >= 0);
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4", 34) == 34);
	CHECK_EQ(as(id, outsider_refused), 0);
	CHECK(write(fd, "stop", 4) == 4);
	close(fd);
	return 0;
}

/* RELAYFS_IOC_TRIGGER through @fd: 0 or -1 with errno. */
static int user_trigger(int fd)
{
	struct relayfs_trigger_req req = { .version = RELAYFS_ABI_VERSION };

	snprintf(req.reason, sizeof(req.reason), "rfs-app uid %u",
		 (unsigned int)getuid());
	return ioctl(fd, RELAYFS_IOC_TRIGGER, &req);
}

/*
 * Another member and a run it did not start: the counters, not the data
 * (reading consumes it; an open file would hold the buffers and refuse
 * the next start), and no trigger (it would flood the run's ring and
 * make its collector write snapshots).
 */
static int others_run_refused(void)
{
	int fd;

	CHECK_ERRNO(open(APP "/sample0", O_RDONLY), EACCES);
	fd = open(APP "/sample.stats", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	fd = open(APP "/control", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_ERRNO(user_trigger(fd), EPERM);
	close(fd);
	return 0;
}

/* A member's run, on until @stop_it: @started when it is. */
static int member_runs(int started, int stop_it)
{
	const char *cmd = "start subbuf_size=4096 n_subbufs=4";
	int fd = open(APP "/control", O_WRONLY);
	char c = 0;

	int ro;

	if (fd < 0 || write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		return 30;
	/* Its starter may trigger its run, through any open of control. */
	ro = open(APP "/control", O_RDONLY);
	if (ro < 0 || user_trigger(ro) || user_trigger(fd))
		return 33;
	close(ro);
	if (write(started, &c, 1) != 1 || read(stop_it, &c, 1) != 1)
		return 31;
	if (write(fd, "stop", 4) != 4)
		return 32;
	return 0;
}

static int test_run_files_are_the_starters(void)
{
	int started[2], stop_it[2], fd, st;
	pid_t pid;
	char c = 0;

	CHECK(remount("mode=0755,collect_gid=4242") == 0);
	/* Root's run. */
	fd = open(APP "/control", O_RDWR);
	CHECK(fd >= 0);
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4", 34) == 34);
	CHECK(channel_owned(0400, 0440, 0, GROUP) == 0);
	CHECK_EQ(as(&member2, others_run_refused), 0);
	CHECK(write(fd, "stop", 4) == 4);
	close(fd);
	/* A member's run: its files are that member's. */
	CHECK(pipe(started) == 0 && pipe(stop_it) == 0);
	pid = fork();
	if (pid == 0) {
		if (become(member.uid, member.gid, member.groups,
			   member.n_groups))
			_exit(126);
		_exit(member_runs(started[1], stop_it[0]));
	}
	CHECK(pid > 0);
	CHECK(read(started[0], &c, 1) == 1);
	CHECK(channel_owned(0400, 0440, USER, GROUP) == 0);
	CHECK_EQ(as(&member2, others_run_refused), 0);
	/* CAP_SYS_ADMIN may trigger anyone's run. */
	fd = open(APP "/control", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(user_trigger(fd), 0);
	close(fd);
	CHECK(write(stop_it[1], &c, 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(!app_running("sample"));
	close(started[0]);
	close(started[1]);
	close(stop_it[0]);
	close(stop_it[1]);
	CHECK(remount("mode=0700,collect_gid=0") == 0);
	return 0;
}

/*
 * USER with CAP_SYS_ADMIN (a service's User= with the capability) and
 * CAP_DAC_OVERRIDE (to open root's control): starts a run, as that file's
 * mode and the capability allow, on until @stop_it.
 */
static int capable_user_runs(int started, int stop_it)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) || setgid(USER) ||
	    setuid(USER))
		return 20;
	if (syscall(SYS_capget, &h, d))
		return 21;
	d[0].effective = (1U << CAP_DAC_OVERRIDE) | (1U << CAP_SYS_ADMIN);
	d[1].effective = 0;
	if (syscall(SYS_capset, &h, d))
		return 22;
	return member_runs(started, stop_it);
}

/*
 * Without collect_gid= a run's files are root's whoever started it: a
 * uid with CAP_SYS_ADMIN must not hand them to every process of its uid.
 */
static int test_capable_users_run_is_roots(void)
{
	int started[2], stop_it[2], st;
	pid_t pid;
	char c = 0;

	CHECK(remount("mode=0755,collect_gid=0") == 0);
	CHECK(pipe(started) == 0 && pipe(stop_it) == 0);
	pid = fork();
	if (pid == 0)
		_exit(capable_user_runs(started[1], stop_it[0]));
	CHECK(pid > 0);
	close(started[1]);
	CHECK(read(started[0], &c, 1) == 1);
	CHECK(channel_owned(0400, 0400, 0, 0) == 0);
	CHECK(owned(APP "/control", 0600, 0) == 0);
	CHECK(write(stop_it[1], &c, 1) == 1);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(!app_running("sample"));
	close(started[0]);
	close(stop_it[0]);
	close(stop_it[1]);
	CHECK(remount("mode=0700,collect_gid=0") == 0);
	return 0;
}

static int test_outsider_refused(void)
{
	char *argv[] = { "relay-collect", "-q", "-o", "/tmp/outsider", "-t",
			 "1", "sample", NULL };

	CHECK(remount("mode=0755,collect_gid=4242") == 0);
	CHECK(refused_during_run(&outsider) == 0);
	CHECK_EQ(collect_as(&outsider, argv, "/tmp/outsider"), 1);
	show("/tmp/outsider.err");
	CHECK(file_has("/tmp/outsider.err", "Permission denied"));
	CHECK(file_has("/tmp/outsider.err", "collect_gid"));
	/* Without the option the group gives nothing either. */
	CHECK(remount("collect_gid=0") == 0);
	CHECK(refused_during_run(&member) == 0);
	CHECK(remount("mode=0700") == 0);
	return 0;
}

static int test_usage_errors_exit_2(void)
{
	char *bad[][8] = {
		{ "relay-collect", NULL },
		{ "relay-collect", "-s", "abc", "sample", NULL },
		{ "relay-collect", "-s", " -4096", "sample", NULL },
		{ "relay-collect", "-n", "0", "sample", NULL },
		{ "relay-collect", "-t", "-1", "sample", NULL },
		{ "relay-collect", "-t", "5x", "sample", NULL },
		{ "relay-collect", "--bogus", "sample", NULL },
		{ "relay-collect", "sample", "sample", NULL },
		/* conflicts are refused, not settled by the last one */
		{ "relay-collect", "-w", "-O", "sample", NULL },
		{ "relay-collect", "-c", "-o", "/tmp/x", "sample", NULL },
		{ "relay-collect", "-c", "--rotate-size", "1M", "sample", NULL },
		{ "relay-collect", "--max-files", "3", "sample", NULL },
		{ "relay-collect", "-o", "/tmp/a", "-d", "/tmp/b", "sample",
		  NULL },
		{ "relay-collect", "--compress=lz4", "sample", NULL },
		{ "relay-collect", "-q", "--json", "sample", NULL },
		/* --trigger takes --root only */
		{ "relay-collect", "--trigger", "-z", "sample", NULL },
		{ "relay-collect", "--trigger", "--sink", "nats://127.0.0.1:1",
		  "sample", NULL },
		{ "relay-collect", "--trigger", "--latency", "1s", "sample",
		  NULL },
		{ "relay-collect", "-q", "--trigger", "sample", NULL },
		/* given twice: refused, not the last one taken */
		{ "relay-collect", "-s", "4k", "-s", "8k", "sample", NULL },
		{ "relay-collect", "-n", "2", "-n", "4", "sample", NULL },
		{ "relay-collect", "-t", "1", "-t", "2", "sample", NULL },
		{ "relay-collect", "-z", "-zzstd:5", "sample", NULL },
		{ "relay-collect", "-w", "-w", "sample", NULL },
		{ "relay-collect", "--rotate-size", "1M", "--rotate-size",
		  "2M", "sample", NULL },
	};
	char *help[] = { "relay-collect", "--help", NULL };
	char *version[] = { "relay-collect", "--version", NULL };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(collect(bad[i], "/tmp/usage"), 2);
		/* One line and a hint, not the whole help. */
		CHECK(file_has("/tmp/usage.err", "relay-collect: "));
		CHECK(file_has("/tmp/usage.err", "Try 'relay-collect --help'"));
		CHECK(!file_has("/tmp/usage.err", "usage:"));
	}
	CHECK_EQ(collect(bad[sizeof(bad) / sizeof(bad[0]) - 3], "/tmp/usage"),
		 2);
	CHECK(file_has("/tmp/usage.err", "-z/--compress given twice"));
	CHECK_EQ(collect(help, "/tmp/usage"), 0);
	CHECK(file_has("/tmp/usage.out", "-zzstd:5"));
	CHECK(file_has("/tmp/usage.out", "--subbuf-size"));
	CHECK(file_has("/tmp/usage.out", "--rotate-size"));
	CHECK_EQ(collect(version, "/tmp/usage"), 0);
	CHECK(file_has("/tmp/usage.out", "relay-collect (relayfs) "));
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
	CHECK(valgrind_run("/tmp/vg2", "/tmp/vg2", "-w", 64, true) == 0);
	CHECK(sample_producer(1000, 64, "task") == 0);
	CHECK(valgrind_run("/tmp/vg3", "/tmp/vg3", "--no-mmap", 64,
			   false) == 0);
	/* The zstd stage and its thread. */
	CHECK(sample_producer(2000, 64, "task,hardirq") == 0);
	CHECK(valgrind_run("/tmp/vg4", "/tmp/vg4", "-z", 64, false) == 0);
	return 0;
}


/* Write @n bytes at @p to @path. */
static int put_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	CHECK(fwrite(p, 1, n, f) == n);
	CHECK(fclose(f) == 0);
	return 0;
}

/*
 * zstd -dc of the run's files, in order, must give exactly the payloads
 * the librelay reader got from them (which were checked record by
 * record): the standard decoder, the skippable frames skipped.
 */
static int zstd_dc_equals(const char *dir, const struct run_data *rd)
{
	char paths[64][256], cmd[8192], want[128];
	unsigned int n = run_files(dir, "sample", paths, 64), i;

	CHECK(n > 0);
	snprintf(want, sizeof(want), "%s.want", dir);
	CHECK(put_file(want, rd->all, rd->all_len) == 0);
	snprintf(cmd, sizeof(cmd), "zstd -q -dc");
	for (i = 0; i < n; i++) {
		CHECK(strlen(cmd) + strlen(paths[i]) + 2 < sizeof(cmd) - 512);
		strcat(cmd, " ");
		strcat(cmd, paths[i]);
	}
	snprintf(cmd + strlen(cmd), 512, " > %.100s.dc && cmp %.100s.dc %.100s",
		 dir, dir, want);
	printf("# %s\n", cmd);
	CHECK_EQ(system(cmd), 0);
	printf("# zstd -dc of %u files: %zu bytes, equal\n", n, rd->all_len);
	return 0;
}

/*
 * A run rotated by size and by time, compressed: every record of the
 * sample app exactly (both equations, the producer's counts), every part
 * a standalone file, and zstd -dc of the parts equal to the payloads.
 */
static int test_rotated_compressed_exact(void)
{
	char *size[] = { "relay-collect", "-q", "-o", "/tmp/rz", "-s", "8k",
			 "-n", "8", "--compress=zstd:3", "--rotate-size",
			 "16k", "-t", "4s", "sample", NULL };
	char *time[] = { "relay-collect", "-q", "-o", "/tmp/rt", "-s", "4k",
			 "-n", "8", "-z", "--rotate-time", "700ms", "-t", "4s",
			 "sample", NULL };
	char paths[64][256];
	struct run_data rd;
	unsigned int n;

	CHECK(sample_producer(2000, 64, "task,softirq,hardirq") == 0);
	CHECK_EQ(collect(size, "/tmp/rz"), 0);
	n = run_files("/tmp/rz", "sample", paths, 64);
	printf("# by size: %u files, first %s\n", n, paths[0]);
	CHECK(n >= 3);
	CHECK(strstr(paths[0], "/sample.000000.relay.zst") != NULL);
	run_read("/tmp/rz", "sample", &rd);
	CHECK_EQ(rd.headers, n);	/* each part starts with the header */
	CHECK(rd.hdr.flags & RELAY_HDR_COMPRESSED);
	CHECK(sample_check_data("/tmp/rz", &rd, 64, false, true) == 0);
	CHECK(zstd_dc_equals("/tmp/rz", &rd) == 0);
	run_free(&rd);

	CHECK(sample_producer(300, 64, "task,hardirq") == 0);
	CHECK_EQ(collect(time, "/tmp/rt"), 0);
	n = run_files("/tmp/rt", "sample", paths, 64);
	printf("# by time: %u files\n", n);
	CHECK(n >= 3);
	run_read("/tmp/rt", "sample", &rd);
	CHECK_EQ(rd.headers, n);
	CHECK(sample_check_data("/tmp/rt", &rd, 64, false, true) == 0);
	CHECK(zstd_dc_equals("/tmp/rt", &rd) == 0);
	run_free(&rd);
	return 0;
}

/* --max-files: the newest N kept, the deleted ones counted. */
static int test_max_files(void)
{
	char *argv[] = { "relay-collect", "-o", "/tmp/mf", "-s", "4k", "-n",
			 "8", "--rotate-size", "8k", "--max-files", "3",
			 "-t", "3", "--json", "sample", NULL };
	char paths[64][256];
	struct run_data rd;
	unsigned int n;

	CHECK(sample_producer(2000, 64, "task") == 0);
	CHECK_EQ(collect(argv, "/tmp/mf"), 0);
	show("/tmp/mf.out");
	n = run_files("/tmp/mf", "sample", paths, 64);
	CHECK_EQ(n, 3);
	CHECK(strstr(paths[0], "/sample.000000.relay") == NULL);
	CHECK(file_has("/tmp/mf.out", "\"files_deleted\":"));
	CHECK(!file_has("/tmp/mf.out", "\"files_deleted\":0,"));
	/* The parts left read as a run that lost its beginning. */
	run_read("/tmp/mf", "sample", &rd);
	CHECK_EQ(rd.end, 0);
	CHECK_EQ(rd.headers, 3);
	CHECK(rd.frames > 0);
	run_free(&rd);
	return 0;
}

/* -c: the same frames on standard output, one stream. */
static int test_stdout_stream(void)
{
	char *argv[] = { "relay-collect", "-c", "-t", "2", "sample", NULL };
	char *paths[] = { "/tmp/cs.out" };
	struct run_data rd;

	CHECK(sample_producer(1000, 64, "task,hardirq") == 0);
	CHECK_EQ(collect(argv, "/tmp/cs"), 0);
	show("/tmp/cs.err");
	CHECK(file_has("/tmp/cs.err", "relay-collect: sample: "));
	CHECK_EQ(run_read_files(paths, 1, &rd), 0);
	CHECK(sample_check_data(NULL, &rd, 64, false, true) == 0);
	run_free(&rd);
	return 0;
}

/* A number in the --json summary: "key":N after @after. */
static long long json_value(const char *path, const char *after,
			    const char *key)
{
	static char buf[65536];
	char k[64];
	const char *p;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, after);
	snprintf(k, sizeof(k), "\"%s\":", key);
	p = p ? strstr(p, k) : NULL;
	return p ? atoll(p + strlen(k)) : -1;
}

/*
 * A full disk (a small tmpfs): the run ends with a summary that says
 * what was lost, a non-zero status, the app switched off, and every
 * frame written reads back (the file cut at its last whole frame).
 */
static int test_disk_full(void)
{
	char *argv[] = { "relay-collect", "-o", "/tmp/full", "-s", "16k",
			 "-n", "8", "-t", "60", "--json", "sample", NULL };
	struct run_data rd;
	long long written;
	unsigned long long records = 0;
	int cpu, ret;
	size_t i;

	mkdir("/tmp/full", 0755);
	CHECK_EQ(system("mount -t tmpfs -o size=256k full /tmp/full"), 0);
	CHECK(sample_producer(5000, 64, "task,hardirq") == 0);
	ret = collect_wait_timeout(collect_start(argv, "/tmp/fullrun"), 60);
	show("/tmp/fullrun.err");
	show("/tmp/fullrun.out");
	CHECK_EQ(ret, 1);
	CHECK(file_has("/tmp/fullrun.err",
		       "/tmp/full/sample.relay: No space left on device"));
	CHECK(file_has("/tmp/fullrun.out", "\"error\":\"/tmp/full/sample."
		       "relay: No space left on device\""));
	CHECK(!app_running("sample"));
	written = json_value("/tmp/fullrun.out", "\"total\":",
			     "written_records");
	CHECK(written > 0);
	CHECK(json_value("/tmp/fullrun.out", "\"total\":", "not_written") +
	      json_value("/tmp/fullrun.out", "\"total\":", "unread") > 0);
	/* Nothing written lost: the file holds exactly those records. */
	CHECK(sample_check_unfinished("/tmp/full", 64, false, true) == 0);
	CHECK_EQ(run_read("/tmp/full", "sample", &rd), -ENODATA);
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < rd.cpu[cpu].nf; i++)
			records += rd.cpu[cpu].f[i].records;
	run_free(&rd);
	CHECK_EQ(records, written);
	CHECK_EQ(system("umount /tmp/full"), 0);
	return 0;
}

/* Defect 9: a summary that cannot be written fails the run. */
static int test_summary_to_full_stdout(void)
{
	char *argv[] = { "sh", "-c", "relay-collect -o /tmp/sf -t 1 sample "
			 ">/dev/full 2>/tmp/sf.err", NULL };
	int st;
	pid_t pid;

	CHECK(sample_producer(500, 64, "task") == 0);
	pid = fork();
	if (pid == 0) {
		execvp("sh", argv);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
	show("/tmp/sf.err");
	CHECK_EQ(WEXITSTATUS(st), 1);
	CHECK(file_has("/tmp/sf.err", "writing the summary"));
	/* The run itself is whole. */
	CHECK(sample_check_run("/tmp/sf", 64, false, true) == 0);
	return 0;
}

/* SIGHUP ends a run as Ctrl-C does: drained, whole, exit 0. */
static int test_sighup_ends_cleanly(void)
{
	char *argv[] = { "relay-collect", "-q", "-o", "/tmp/hup", "sample",
			 NULL };
	pid_t pid;

	CHECK(sample_producer(1000, 64, "task,softirq") == 0);
	pid = collect_writing(argv, "/tmp/hup");
	CHECK(pid > 0);
	kill(pid, SIGHUP);
	CHECK_EQ(collect_wait(pid), 0);
	CHECK(sample_check_run("/tmp/hup", 64, false, true) == 0);
	return 0;
}

/*
 * --list, and relayfs mounted by the tool when it is not; --json and
 * --fail-on-loss.
 */
static int test_list_mount_json(void)
{
	char *list[] = { "relay-collect", "--list", NULL };
	char *notmounted[] = { "relay-collect", "-r", "/tmp/notrelayfs", "-t",
			       "1", "sample", NULL };
	char *notmounted_list[] = { "relay-collect", "-r", "/tmp/notrelayfs",
				    "--list", NULL };
	char *lossy[] = { "relay-collect", "-s", "4k", "-n", "2", "-o",
			  "/tmp/fl", "--fail-on-loss", "sample", NULL };
	pid_t pid;

	CHECK_EQ(system("umount " RELAYFS), 0);
	CHECK_EQ(collect(list, "/tmp/list"), 0);
	show("/tmp/list.out");
	CHECK(file_has("/tmp/list.out", "sample "));
	CHECK(file_has("/tmp/list.out", "idle"));
	/* It mounted relayfs to list them. */
	CHECK(access(RELAYFS "/sample/control", F_OK) == 0);
	/* Never over another directory given with -r. */
	CHECK_EQ(system("mkdir -p /tmp/notrelayfs"), 0);
	CHECK_EQ(collect(notmounted, "/tmp/nm"), 1);
	CHECK(file_has("/tmp/nm.err", "relayfs is not mounted at "
		       "/tmp/notrelayfs"));
	CHECK(access("/tmp/notrelayfs/sample", F_OK) != 0);
	CHECK_EQ(collect(notmounted_list, "/tmp/nm"), 1);
	CHECK(access("/tmp/notrelayfs/sample", F_OK) != 0);
	/* A run that loses records: exit 3 with --fail-on-loss. */
	CHECK(sample_producer(1000, 64, "task") == 0);
	pid = collect_writing(lossy, "/tmp/fl");
	CHECK(pid > 0);
	kill(pid, SIGSTOP);
	usleep(1000000);
	kill(pid, SIGCONT);
	kill(pid, SIGINT);
	CHECK_EQ(collect_wait(pid), 3);
	CHECK(file_has("/tmp/fl.out", "data was lost"));
	CHECK(sample_check_run("/tmp/fl", 64, false, true) == 0);
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
	{ "collect_gid_gives_app_files", test_collect_gid_gives_app_files },
	{ "capable_users_run_is_roots", test_capable_users_run_is_roots },
	{ "member_collects", test_member_collects },
	{ "member_refused_the_rest", test_member_refused_the_rest },
	{ "outsider_refused", test_outsider_refused },
	{ "run_files_are_the_starters", test_run_files_are_the_starters },
	{ "usage_errors_exit_2", test_usage_errors_exit_2 },
	{ "no_such_app_exit_1", test_no_such_app_exit_1 },
	{ "rotated_compressed_exact", test_rotated_compressed_exact },
	{ "max_files", test_max_files },
	{ "stdout_stream", test_stdout_stream },
	{ "disk_full", test_disk_full },
	{ "summary_to_full_stdout", test_summary_to_full_stdout },
	{ "sighup_ends_cleanly", test_sighup_ends_cleanly },
	{ "list_mount_json", test_list_mount_json },
	{ "valgrind_clean", test_valgrind_clean },
	{ "producer_unloaded_while_collecting",
	  test_producer_unloaded_while_collecting },
};

int main(int argc, char **argv)
{
	return rfstest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			    argv);
}

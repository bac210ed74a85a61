// SPDX-License-Identifier: GPL-2.0
/*
 * In-VM tests of the flight recorder: relay-app triggers (kernel/trigger.c,
 * the control file's poll and ioctls) and relay-collect --snapshot
 * (lib/snapshot.c), with the sample app (its "trigger" file fires
 * relayfs_app_trigger() from a work item, an IPI or a real NMI, and
 * writes numbered records on demand) and klog.
 *
 *   rfs-snapshot [SUBSTRING]    run the tests whose name contains it
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "ktap.h"
#include "lib/rfstest.h"
#include "lib/run.h"

#define APP	RELAYFS "/sample"
#define TRIGGER	APP "/trigger"
#define CONTROL	APP "/control"
#define PARAMS	"/sys/module/relay_sample/parameters"
#define LEN	64

/* The directory of snapshot @n under @parent ("snapshot-<time>-<n>"). */
static int snap_path(const char *parent, unsigned int n, char *path,
		     size_t size)
{
	char tail[32];
	struct dirent *d;
	DIR *dir = opendir(parent);
	int found = 0;

	if (!dir)
		return 0;
	snprintf(tail, sizeof(tail), "-%u", n);
	while ((d = readdir(dir))) {
		size_t l = strlen(d->d_name), t = strlen(tail);

		if (!strncmp(d->d_name, "snapshot-", 9) && l > t &&
		    !strcmp(d->d_name + l - t, tail)) {
			snprintf(path, size, "%s/%s", parent, d->d_name);
			found++;
		}
	}
	closedir(dir);
	return found;
}

static unsigned int snap_count(const char *parent)
{
	struct dirent *d;
	DIR *dir = opendir(parent);
	unsigned int n = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, "snapshot-", 9);
	closedir(dir);
	return n;
}

/* Wait (10 s at most) until @parent holds @n snapshots. */
static int wait_snapshots(const char *parent, unsigned int n)
{
	int i;

	for (i = 0; i < 1000 && snap_count(parent) < n; i++)
		usleep(10000);
	return snap_count(parent) >= n ? 0 : -1;
}

static int wait_running(const char *app)
{
	int i;

	for (i = 0; i < 1000 && !app_running(app); i++)
		usleep(10000);
	return app_running(app) ? 0 : -1;
}

/*
 * Wait until the collector has opened every buffer and its control file
 * is being polled: its .stats file is written at its first tick.
 */
static int wait_collecting(const char *dir, const char *base)
{
	char path[256];
	int i;

	snprintf(path, sizeof(path), "%s/%s.stats", dir, base);
	for (i = 0; i < 1000 && access(path, F_OK); i++)
		usleep(10000);
	return access(path, F_OK) ? -1 : 0;
}

/* A command to the sample's trigger file: 0 or -errno. */
static int fire(const char *cmd)
{
	int fd = open(TRIGGER, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
		err = -errno;
	close(fd);
	return err;
}

/*
 * Start the snapshot collector of @argv (its output directory @dir, the
 * sample at @rate records a second per CPU, 0: none), and wait until it
 * collects.  Its pid, or -1.
 */
static pid_t snap_start(char *const argv[], const char *dir,
			const char *app, unsigned int rate)
{
	pid_t pid;

	if (!strcmp(app, "sample") && sample_producer(rate, LEN, "task"))
		return -1;
	pid = collect_start(argv, dir);
	if (pid <= 0)
		return -1;
	if (wait_running(app) || wait_collecting(dir, app)) {
		kill(pid, SIGKILL);
		collect_wait(pid);
		return -1;
	}
	return pid;
}

/* The sample's records, no generator writing (rate 0). */
static int sample_quiet(void)
{
	CHECK(sample_producer(0, LEN, "task") == 0);
	return 0;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 1 ? 2 : 1;
}

/*
 * Every record of CPU @cpu in @rd: the sample's, of @ctx, numbered from
 * @first on without a gap; their count in *@n.
 */
static int check_records(const struct run_data *rd, unsigned int cpu,
			 unsigned int ctx, long first, long *n)
{
	const struct run_cpu *c = &rd->cpu[cpu];
	long seq = first;
	size_t off;

	for (off = 0; off + LEN <= c->len; off += LEN) {
		struct rfs_rec r;

		memcpy(&r, c->data + off, sizeof(r));
		CHECK_EQ(r.magic, RFS_REC_MAGIC);
		CHECK_EQ(r.cpu, cpu);
		CHECK_EQ(r.ctx, ctx);
		CHECK_EQ(r.len, LEN);
		if (first >= 0)
			CHECK_EQ(r.seq, seq);
		seq = r.seq + 1;
		CHECK_EQ(r.csum, rfs_csum(&r, c->data + off + sizeof(r),
					  LEN - sizeof(r)));
	}
	CHECK_EQ(off, c->len);
	*n = c->len / LEN;
	return 0;
}

/* Both SPEC equations, exactly, on the counters a snapshot ends with. */
static int check_ctr(const struct relay_cpu_counters *k)
{
	const struct relayfs_buf_stats *s = &k->stats;

	CHECK_EQ(s->attempted_records, s->accepted_records +
		 s->dropped_records + s->refused_records);
	CHECK_EQ(s->accepted_records, s->consumed_records +
		 s->overwritten_records + s->unread_records);
	return 0;
}

/*
 * The producer writes numbered records on CPU 1 (0 on one CPU), stops,
 * fires the trigger from an NMI there: the snapshot holds exactly the
 * last complete sub-buffers, record by record; the ones before them are
 * counted overwritten, the ones after unread.
 */
static int test_nmi_snapshot_exact(void)
{
	char *argv[] = { "relay-collect", "-q", "--snapshot", "-s", "4k",
			 "-n", "4", "--max-snapshots", "1", "-o",
			 "/tmp/snap-nmi", "sample", NULL };
	unsigned int cpu = online_cpus() - 1, i;
	const unsigned long written = 1000;
	const struct relay_trigger *t;
	const struct relayfs_buf_stats *s;
	struct run_data rd;
	char path[512], cmd[64];
	long n;
	pid_t pid;

	pid = snap_start(argv, "/tmp/snap-nmi", "sample", 0);
	CHECK(pid > 0);
	snprintf(cmd, sizeof(cmd), "write %u %lu", cpu, written);
	CHECK_EQ(fire(cmd), 0);
	snprintf(cmd, sizeof(cmd), "nmi %u disk-error", cpu);
	CHECK_EQ(fire(cmd), 0);
	CHECK_EQ(collect_wait_timeout(pid, 60), 0);
	CHECK_EQ(snap_path("/tmp/snap-nmi", 1, path, sizeof(path)), 1);
	CHECK_EQ(snap_count("/tmp/snap-nmi"), 1);
	memset(&rd, 0, sizeof(rd));
	CHECK_EQ(run_read(path, "sample", &rd), 0);
	/* The trigger, as the NMI handler fired it. */
	CHECK(rd.hdr.flags & RELAY_HDR_SNAPSHOT);
	t = &rd.hdr.trigger;
	CHECK_EQ(t->kind, RELAY_TRIGGER_KERNEL);
	CHECK_EQ(t->context, RELAYFS_TRIGGER_NMI);
	CHECK_EQ(t->cpu, cpu);
	CHECK_EQ(t->flags, 0);
	CHECK_EQ(t->seq, 1);
	CHECK_EQ(t->missed, 0);
	CHECK(t->kernel_seq >= 1);
	CHECK(!strcmp(t->reason, "disk-error"));
	CHECK(rd.cpu[cpu].have_ctr);
	s = &rd.cpu[cpu].ctr.stats;
	CHECK(check_ctr(&rd.cpu[cpu].ctr) == 0);
	CHECK_EQ(s->accepted_records, written);
	CHECK_EQ(s->dropped_records, 0);
	/* 64 records a sub-buffer: 15 complete, 3 of them kept. */
	CHECK_EQ(rd.cpu[cpu].nf, 3);
	CHECK_EQ(s->consumed_records, 3 * 4096 / LEN);
	CHECK_EQ(s->overwritten_records, 12 * 4096 / LEN);
	CHECK_EQ(s->unread_records, written % (4096 / LEN));
	/* Record by record: the ones after the overwritten, in order. */
	CHECK(check_records(&rd, cpu, RFS_CTX_HARDIRQ,
			    s->overwritten_records, &n) == 0);
	CHECK_EQ(n, s->consumed_records);
	CHECK_EQ(rd.cpu[cpu].ctr.frames, 3);
	/*
	 * The trigger came after the last complete sub-buffer closed (the
	 * same reading is possible: local_clock() may hold still between
	 * ticks where sched_clock is not stable, as under emulation).
	 */
	printf("# trigger at %llu, last sub-buffer closed at %llu\n",
	       (unsigned long long)t->time_ns,
	       (unsigned long long)rd.cpu[cpu].f[2].t_close);
	CHECK(t->time_ns >= rd.cpu[cpu].f[2].t_close);
	for (i = 0; i < (unsigned int)online_cpus(); i++)
		if (i != cpu)
			CHECK_EQ(rd.cpu[i].len, 0);
	run_free(&rd);
	return 0;
}

struct kind {
	const char *fire;	/* to the trigger file; NULL: other */
	uint32_t kind, context, flags;
	const char *reason;
};

/* A snapshot from each kind of trigger, in order. */
static int test_each_trigger_kind(void)
{
	char *argv[] = { "relay-collect", "--snapshot", "-s", "4k",
			 "-n", "4", "--max-snapshots", "5", "-o",
			 "/tmp/snap-kinds", "sample", NULL };
	char *trig[] = { "relay-collect", "--trigger", "sample", "t-control",
			 NULL };
	static const struct kind k[] = {
		{ "task 0 t-task", RELAY_TRIGGER_KERNEL, RELAYFS_TRIGGER_TASK,
		  0, "t-task" },
		{ "irq 0 t-irq", RELAY_TRIGGER_KERNEL,
		  RELAYFS_TRIGGER_HARDIRQ, 0, "t-irq" },
		{ NULL, RELAY_TRIGGER_CONTROL, RELAYFS_TRIGGER_TASK,
		  RELAYFS_TRIGGER_USER, "t-control" },
		{ NULL, RELAY_TRIGGER_SIGNAL, 0, 0, "SIGUSR1" },
		{ "nmi 0 t-nmi", RELAY_TRIGGER_KERNEL, RELAYFS_TRIGGER_NMI,
		  0, "t-nmi" },
	};
	struct run_data rd;
	char path[512];
	unsigned int i, c;
	pid_t pid;

	pid = snap_start(argv, "/tmp/snap-kinds", "sample", 2000);
	CHECK(pid > 0);
	for (i = 0; i < 5; i++) {
		usleep(300000);		/* sub-buffers complete meanwhile */
		if (k[i].fire)
			CHECK_EQ(fire(k[i].fire), 0);
		else if (k[i].kind == RELAY_TRIGGER_CONTROL)
			CHECK_EQ(collect(trig, "/tmp/snap-trig"), 0);
		else
			CHECK(kill(pid, SIGUSR1) == 0);
		CHECK(wait_snapshots("/tmp/snap-kinds", i + 1) == 0);
	}
	CHECK_EQ(collect_wait_timeout(pid, 60), 0);
	show("/tmp/snap-kinds.out");
	CHECK(file_has("/tmp/snap-kinds.out",
		       "snapshots: 5 written, 5 triggers, 0 coalesced"));
	for (i = 0; i < 5; i++) {
		long n, total = 0;

		CHECK_EQ(snap_path("/tmp/snap-kinds", i + 1, path,
				   sizeof(path)), 1);
		memset(&rd, 0, sizeof(rd));
		CHECK_EQ(run_read(path, "sample", &rd), 0);
		printf("# %s: %s\n", path, rd.hdr.trigger.reason);
		CHECK(rd.hdr.flags & RELAY_HDR_SNAPSHOT);
		CHECK_EQ(rd.hdr.trigger.kind, k[i].kind);
		CHECK_EQ(rd.hdr.trigger.seq, i + 1);
		CHECK(!strcmp(rd.hdr.trigger.reason, k[i].reason));
		if (k[i].kind != RELAY_TRIGGER_SIGNAL) {
			CHECK_EQ(rd.hdr.trigger.context, k[i].context);
			CHECK_EQ(rd.hdr.trigger.flags, k[i].flags);
		}
		if (k[i].kind == RELAY_TRIGGER_KERNEL)
			CHECK_EQ(rd.hdr.trigger.cpu, 0);
		for (c = 0; c < (unsigned int)online_cpus(); c++) {
			CHECK(rd.cpu[c].have_ctr);
			CHECK(check_ctr(&rd.cpu[c].ctr) == 0);
			CHECK(check_records(&rd, c, RFS_CTX_TASK, -1, &n) ==
			      0);
			total += n;
		}
		CHECK(total > 0);
		run_free(&rd);
	}
	return 0;
}

/* --snapshot-interval: triggers inside it are coalesced, and counted. */
static int test_interval_and_max(void)
{
	char *argv[] = { "relay-collect", "--snapshot", "-s", "4k", "-n", "4",
			 "--snapshot-interval", "2s", "--max-snapshots", "2",
			 "-o", "/tmp/snap-iv", "sample", NULL };
	struct run_data rd;
	char path[512];
	int i;
	pid_t pid;

	pid = snap_start(argv, "/tmp/snap-iv", "sample", 2000);
	CHECK(pid > 0);
	for (i = 0; i < 5; i++)
		CHECK_EQ(fire("task 0 burst"), 0);
	CHECK(wait_snapshots("/tmp/snap-iv", 1) == 0);
	sleep(3);
	CHECK_EQ(snap_count("/tmp/snap-iv"), 1);
	CHECK_EQ(fire("task 0 after"), 0);
	CHECK_EQ(collect_wait_timeout(pid, 60), 0);
	show("/tmp/snap-iv.out");
	CHECK(file_has("/tmp/snap-iv.out",
		       "snapshots: 2 written, 6 triggers, 4 coalesced"));
	CHECK_EQ(snap_count("/tmp/snap-iv"), 2);
	CHECK_EQ(snap_path("/tmp/snap-iv", 2, path, sizeof(path)), 1);
	memset(&rd, 0, sizeof(rd));
	CHECK_EQ(run_read(path, "sample", &rd), 0);
	CHECK(!strcmp(rd.hdr.trigger.reason, "after"));
	CHECK_EQ(rd.hdr.trigger.missed, 4);
	run_free(&rd);
	/* After the last snapshot, the app is stopped: no trigger runs. */
	CHECK_EQ(fire("task 0 x"), -ENOTCONN);
	return 0;
}

/* A child polls @fd for @events; 0 if it saw them within 10 s. */
static pid_t poller(int fd, short events)
{
	pid_t pid = fork();

	if (!pid) {
		struct pollfd p = { .fd = fd, .events = POLLPRI };
		int n = poll(&p, 1, 10000);

		_exit(n == 1 && (p.revents & events) ? 0 : 1);
	}
	return pid;
}

static int child_ok(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static int trigger_ioctl(int fd, const char *reason, uint32_t version)
{
	struct relayfs_trigger_req req = { .version = version };

	snprintf(req.reason, sizeof(req.reason), "%s", reason);
	return ioctl(fd, RELAYFS_IOC_TRIGGER, &req);
}

/*
 * The kernel side by hand: poll, the ring, its overrun, bad arguments,
 * no run, wakeups on a trigger and on stop.
 */
static int test_control_poll_and_ring(void)
{
	struct relayfs_trigger t;
	struct relayfs_trigger_req bad;
	struct pollfd p;
	int fd, ro, i;
	pid_t pid;
	char cmd[128];

	/* No run: every way of firing says ENOTCONN. */
	CHECK_EQ(fire("task 0 x"), -ENOTCONN);
	CHECK_EQ(fire("irq 0 x"), -ENOTCONN);
	CHECK_EQ(fire("nmi 0 x"), -ENOTCONN);
	ro = open(CONTROL, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_ERRNO(trigger_ioctl(ro, "x", RELAYFS_ABI_VERSION), ENOTCONN);
	p = (struct pollfd){ .fd = ro, .events = POLLPRI };
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLHUP);

	CHECK(sample_quiet() == 0);
	fd = open(CONTROL, O_RDWR);
	CHECK(fd >= 0);
	CHECK(write(fd, "start subbuf_size=4096 n_subbufs=4", 34) == 34);
	p = (struct pollfd){ .fd = fd, .events = POLLPRI | POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), EAGAIN);
	/* Bad arguments change nothing. */
	memset(cmd, 'a', sizeof(cmd));
	memcpy(cmd, "snapshot ", 9);
	CHECK_ERRNO(write(fd, cmd, 9 + 64), EINVAL);
	CHECK_ERRNO(write(fd, "snapshot a\tb", 12), EINVAL);
	CHECK_ERRNO(trigger_ioctl(ro, "x", 0), EINVAL);
	memset(&bad, 'b', sizeof(bad));
	bad.version = RELAYFS_ABI_VERSION;
	bad.__reserved = 0;
	CHECK_ERRNO(ioctl(ro, RELAYFS_IOC_TRIGGER, &bad), EINVAL);
	CHECK_ERRNO(write(fd, "snapshotx", 9), EINVAL);
	CHECK_ERRNO(write(fd, "snapshot a\177b", 12), EINVAL);
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* One from the collector, one from another open. */
	CHECK(write(fd, "snapshot hello world", 20) == 20);
	CHECK_EQ(trigger_ioctl(ro, "from-ro", RELAYFS_ABI_VERSION), 0);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLPRI);
	/* Only the collector takes them. */
	CHECK_ERRNO(ioctl(ro, RELAYFS_IOC_TRIGGER_NEXT, &t), EPERM);
	CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
	CHECK_EQ(t.version, RELAYFS_ABI_VERSION);
	CHECK_EQ(t.context, RELAYFS_TRIGGER_TASK);
	CHECK_EQ(t.flags, RELAYFS_TRIGGER_USER);
	CHECK_EQ(t.missed, 0);
	CHECK(t.time_ns > 0);
	CHECK(!strcmp(t.reason, "hello world"));
	CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
	CHECK(!strcmp(t.reason, "from-ro"));
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), EAGAIN);
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* 20 into a ring of 16: the oldest 4 counted in the next taken. */
	for (i = 0; i < 20; i++) {
		snprintf(cmd, sizeof(cmd), "snapshot n%d", i);
		CHECK(write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd));
	}
	for (i = 4; i < 20; i++) {
		char want[16];

		CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
		snprintf(want, sizeof(want), "n%d", i);
		CHECK(!strcmp(t.reason, want));
		CHECK_EQ(t.missed, i == 4 ? 4 : 0);
	}
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), EAGAIN);
	/* UTF-8 in a reason, as the ioctl takes it. */
	CHECK(write(fd, "snapshot caf\303\251", 14) == 14);
	CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
	CHECK(!strcmp(t.reason, "caf\303\251"));
	/*
	 * A short reason in a slot a long one had: nothing of the old one
	 * after its NUL (it may be another member's run's).
	 */
	memset(cmd, 'L', sizeof(cmd));
	memcpy(cmd, "snapshot ", 9);
	for (i = 0; i < 16; i++) {
		CHECK(write(fd, cmd, 9 + 63) == 9 + 63);
		CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
		CHECK_EQ(strlen(t.reason), 63);
	}
	for (i = 0; i < 16; i++) {
		size_t n;

		snprintf(cmd, sizeof(cmd), "snapshot s%d", i);
		CHECK(write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd));
		CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
		CHECK(!strcmp(t.reason, cmd + 9));
		for (n = strlen(t.reason); n < sizeof(t.reason); n++)
			CHECK_EQ(t.reason[n], 0);
	}
	/* One taken but not delivered (EFAULT) is the next one's missed. */
	CHECK(write(fd, "snapshot lost", 13) == 13);
	CHECK(write(fd, "snapshot kept", 13) == 13);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, (void *)8), EFAULT);
	CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
	CHECK(!strcmp(t.reason, "kept"));
	CHECK_EQ(t.missed, 1);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), EAGAIN);
	/* A poller sleeping is woken by a kernel trigger (irq_work). */
	pid = poller(fd, POLLPRI);
	CHECK(pid > 0);
	usleep(300000);
	CHECK_EQ(fire("irq 0 wake"), 0);
	CHECK(child_ok(pid) == 0);
	CHECK_EQ(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), 0);
	CHECK_EQ(t.context, RELAYFS_TRIGGER_HARDIRQ);
	CHECK(!strcmp(t.reason, "wake"));
	/* ... and by the stop. */
	pid = poller(fd, POLLHUP);
	CHECK(pid > 0);
	usleep(300000);
	CHECK(write(fd, "stop", 4) == 4);
	CHECK(child_ok(pid) == 0);
	CHECK_ERRNO(ioctl(fd, RELAYFS_IOC_TRIGGER_NEXT, &t), ENOTCONN);
	CHECK_ERRNO(write(fd, "snapshot late", 13), ENOTCONN);
	close(fd);
	close(ro);
	return 0;
}

/* relay-collect --trigger without a run, and its usage errors. */
static int test_trigger_cli_errors(void)
{
	char *none[] = { "relay-collect", "--trigger", "sample", "x", NULL };
	char *noapp[] = { "relay-collect", "--trigger", "nosuch", NULL };
	char *long_r[] = { "relay-collect", "--trigger", "sample",
			   "0123456789012345678901234567890123456789"
			   "012345678901234567890123", NULL };
	char *no_snap[] = { "relay-collect", "--max-snapshots", "2",
			    "sample", NULL };
	char *bad_re[] = { "relay-collect", "--snapshot", "--trigger-match",
			   "a(", "sample", NULL };
	char *stdout_snap[] = { "relay-collect", "--snapshot", "-c",
				"sample", NULL };

	CHECK_EQ(collect(none, "/tmp/trig-none"), 1);
	CHECK(file_has("/tmp/trig-none.err", "no collector runs it"));
	CHECK_EQ(collect(noapp, "/tmp/trig-noapp"), 1);
	CHECK_EQ(collect(long_r, "/tmp/trig-long"), 2);
	CHECK_EQ(collect(no_snap, "/tmp/trig-nosnap"), 2);
	CHECK_EQ(collect(bad_re, "/tmp/trig-badre"), 2);
	CHECK_EQ(collect(stdout_snap, "/tmp/trig-stdout"), 2);
	return 0;
}

/* --trigger-match on klog: the matching line's time, in place. */
static int test_match_klog(void)
{
	/*
	 * 16 sub-buffers of 4 KiB: the 500-odd lines (about 35 KiB a CPU)
	 * never wrap the buffer, however late the collector reads (the
	 * debug kernel once let the "boom" sub-buffer be overwritten
	 * before it was read with 4 of them).
	 */
	char *argv[] = { "relay-collect", "-q", "--snapshot", "-s", "4k",
			 "-n", "16", "--trigger-match", "tag=bo+m ctx=task",
			 "--max-snapshots", "1", "-o", "/tmp/snap-klog",
			 "klog", NULL };
	char merge_cmd[700], path[512], line[1024], mark[1024] = "";
	struct run_data rd;
	FILE *f;
	int marker = 0, after = 0;
	pid_t pid;

	CHECK(load_module("klog", "") == 0);
	CHECK(load_module("klog_demo", "") == 0);
	pid = snap_start(argv, "/tmp/snap-klog", "klog", 0);
	CHECK(pid > 0);
	CHECK(write_file("/sys/module/klog_demo/parameters/tag", "calm") ==
	      0);
	CHECK(write_file("/sys/module/klog_demo/parameters/lines", "20") ==
	      0);
	CHECK(write_file("/sys/module/klog_demo/parameters/go", "1") == 0);
	CHECK(write_file("/sys/module/klog_demo/parameters/tag", "boom") ==
	      0);
	CHECK(write_file("/sys/module/klog_demo/parameters/lines", "1") ==
	      0);
	CHECK(write_file("/sys/module/klog_demo/parameters/go", "1") == 0);
	/* More, so that the sub-buffers holding "boom" complete. */
	CHECK(write_file("/sys/module/klog_demo/parameters/tag", "calm") ==
	      0);
	CHECK(write_file("/sys/module/klog_demo/parameters/lines", "100") ==
	      0);
	CHECK(write_file("/sys/module/klog_demo/parameters/go", "1") == 0);
	CHECK_EQ(collect_wait_timeout(pid, 60), 0);
	CHECK_EQ(snap_path("/tmp/snap-klog", 1, path, sizeof(path)), 1);
	memset(&rd, 0, sizeof(rd));
	CHECK_EQ(run_read(path, "klog", &rd), 0);
	CHECK_EQ(rd.hdr.trigger.kind, RELAY_TRIGGER_MATCH);
	printf("# trigger: %s\n", rd.hdr.trigger.reason);
	CHECK(strstr(rd.hdr.trigger.reason, "tag=boom ctx=task"));
	run_free(&rd);
	/* relay-merge: the trigger line, then the line that matched. */
	snprintf(merge_cmd, sizeof(merge_cmd),
		 "relay-merge %s > /tmp/snap-klog.merged", path);
	CHECK_EQ(system(merge_cmd), 0);
	f = fopen("/tmp/snap-klog.merged", "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "=== trigger ") &&
		    strstr(line, "(match, cpu ")) {
			printf("# %s", line);
			snprintf(mark, sizeof(mark), "%s", line);
			marker++;
		} else if (marker == 1 && !after) {
			char *end = strchr(mark, ']');

			after = 1;
			printf("# %s", line);
			/* The matching line, at the trigger's time. */
			CHECK(strstr(line, "tag=boom ctx=task"));
			CHECK(end);
			CHECK(!strncmp(line, mark, end - mark + 1));
		}
	}
	fclose(f);
	CHECK_EQ(marker, 1);
	CHECK_EQ(after, 1);
	CHECK(unload_module("klog_demo") == 0);
	CHECK(unload_module("klog") == 0);
	return 0;
}

/*
 * A snapshot run under memcheck, the match path and its windows too: no
 * error, no leak.
 */
static int test_valgrind_clean(void)
{
	char *argv[] = { "valgrind", "-q", "--leak-check=full",
			 "--show-leak-kinds=all", "--errors-for-leak-kinds=all",
			 "--error-exitcode=99", "relay-collect-dyn", "-q",
			 "--snapshot", "-s", "4k", "-n", "4", "--trigger-match",
			 "^never$", "--max-snapshots", "2", "-o", "/tmp/vg-snap",
			 "sample", NULL };
	int i, err;
	pid_t pid;

	CHECK(sample_producer(2000, LEN, "task") == 0);
	pid = fork();
	if (!pid) {
		int fd = open("/tmp/vg-snap.err", O_WRONLY | O_CREAT | O_TRUNC,
			      0644);

		dup2(fd, 2);
		execvp("valgrind", argv);
		_exit(127);
	}
	CHECK(pid > 0);
	/* Slow to start under emulation: a minute at most. */
	for (i = 0; i < 6000 && access("/tmp/vg-snap/sample.stats", F_OK);
	     i++)
		usleep(10000);
	if (access("/tmp/vg-snap/sample.stats", F_OK))
		show("/tmp/vg-snap.err");
	CHECK_EQ(access("/tmp/vg-snap/sample.stats", F_OK), 0);
	CHECK_EQ(fire("task 0 vg1"), 0);
	CHECK(wait_snapshots("/tmp/vg-snap", 1) == 0);
	CHECK(kill(pid, SIGUSR1) == 0);
	err = collect_wait_timeout(pid, 120);
	show("/tmp/vg-snap.err");
	CHECK_EQ(err, 0);
	CHECK_EQ(snap_count("/tmp/vg-snap"), 2);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "control_poll_and_ring", test_control_poll_and_ring },
	{ "trigger_cli_errors", test_trigger_cli_errors },
	{ "nmi_snapshot_exact", test_nmi_snapshot_exact },
	{ "each_trigger_kind", test_each_trigger_kind },
	{ "interval_and_max", test_interval_and_max },
	{ "match_klog", test_match_klog },
	{ "valgrind_clean", test_valgrind_clean },
};

int main(int argc, char **argv)
{
	return rfstest_main(cases, sizeof(cases) / sizeof(cases[0]), argc,
			    argv);
}

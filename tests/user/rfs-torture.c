// SPDX-License-Identifier: GPL-2.0
/*
 * Torture, bounded in time and checked exactly.  Each case loops until
 * its share of the time is up, changing sizes and modes between runs,
 * and verifies every record and both counter equations of every run:
 *
 *   hotplug_storm    the test producer writes from task, softirq, hardirq
 *                    and NMI context on every CPU while cpu1 goes offline
 *                    and online in a loop, read() or mmap readers live;
 *   dying_storm      NMI records aimed at cpu1, each switching a sub-buffer,
 *                    while it goes offline and online in a loop; and on
 *                    every offline, records written on the dying CPU after
 *                    its last irq_work ran (testprod "dying", as an NMI
 *                    there would); each offline must finish (watchdog),
 *                    every record verified;
 *   reset_storm      relayfs_reset() in a loop under writers of every
 *                    context on every CPU, relayfs-inject.ko widening the
 *                    window between a record's nesting check and the
 *                    rest of its path; both equations exact after each
 *                    storm, every slot still switching;
 *   inject_storm     relayfs-inject.ko: every N-th pass of a writer
 *                    through a window of the write path (tail read,
 *                    reserved, copied, counted, closing, closed, opening)
 *                    writes a record of its own from inside it, or a
 *                    burst that fills sub-buffers, as an interrupt
 *                    landing there would, on every CPU and from every
 *                    context;
 *   collector_storm  relay-collect runs of the sample relay-app, each
 *                    ended by SIGINT (output verified), by SIGKILL
 *                    (teardown verified, then the next run starts at
 *                    once) or by SIGSTOP/SIGCONT then SIGINT (losses
 *                    counted exactly);
 *   wakeup_race      a reader arming its wait (poll, read(), CONSUME)
 *                    just as a writer on another CPU switches, is
 *                    always woken (no flush timer to rescue it);
 *   reload_storm     relayfs.ko, the sample app and the test producer
 *                    loaded, a collector running and a reader holding a
 *                    mapped channel file; the app's module unloaded under
 *                    the collector, the producer and relayfs.ko refused
 *                    while the reader pins them, then all unloaded; again.
 *
 * Every case starts and ends with none of our modules loaded.
 *
 *   rfs-torture SECONDS [SUBSTRING]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <relayfs/relayfs_inject.h>
#include "ktap.h"
#include "lib/rfstest.h"

static unsigned int secs_per_case;
static unsigned int rng = 1;
static long total_runs, total_records;

static unsigned int pick(unsigned int n)
{
	rng = rng * 1103515245 + 12345;
	return (rng >> 16) % n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A failed case leaves things behind: nothing of it may fail the next.
 * Kill a collector it left, close its channel, unmount, unload.
 */
static pid_t collector = -1;

static void cleanup(void)
{
	static const char *const mods[] = { "relay_sample",
		"relayfs_testprod", "relayfs" };
	unsigned int i;

	if (collector > 0) {
		kill(collector, SIGKILL);
		collect_wait(collector);
		collector = -1;
	}
	if (ncpus > 1)
		set_cpu1(1);
	if (module_refs("relayfs_testprod") >= 0)
		ctl("close");
	umount(RELAYFS);
	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		unload_module(mods[i]);
}

static int load_mount(const char *mod, const char *params)
{
	cleanup();
	CHECK(load_module("relayfs", "") == 0);
	CHECK(load_module(mod, params) == 0);
	CHECK(mount("relayfs", RELAYFS, "relayfs", 0, NULL) == 0);
	return 0;
}

static int unload_all(const char *mod)
{
	CHECK(umount(RELAYFS) == 0);
	CHECK(unload_module(mod) == 0);
	CHECK(unload_module("relayfs") == 0);
	return 0;
}

static int hotplug_storm(void)
{
	static const char *const opens[] = { "subbuf=4096 n=2",
		"subbuf=4096 n=8 hdr=8", "subbuf=8192 n=4 overwrite=1",
		"subbuf=16384 n=4 hdr=8 overwrite=1", "subbuf=4096 n=4" };
	static const unsigned int lens[] = { 16, 64, 200, 1000 };
	static struct run run;
	double end = now() + secs_per_case;
	long runs = 0, cycles, all_cycles = 0, records = 0;
	int cpu, i;

	CHECK(ncpus >= 2);
	CHECK(load_mount("relayfs_testprod", "") == 0);
	while (now() < end) {
		i = pick(5);
		run = (struct run){ .open = opens[i],
				    .hdr = strstr(opens[i], "hdr=8") ? 8 : 0,
				    .overwrite = strstr(opens[i], "overwrite"),
				    .len = lens[pick(4)],
				    .use_mmap = pick(2) };
		if (hotplug_run(&run, "count=1500 ctx=all", &cycles)) {
			printf("# run %ld: open %s len %u %s\n", runs,
			       run.open, run.len,
			       run.use_mmap ? "mmap" : "read");
			return -1;
		}
		for (cpu = 0; cpu < ncpus; cpu++)
			records += run.rd[cpu].records;
		all_cycles += cycles;
		runs++;
	}
	printf("# hotplug_storm: %ld runs, %ld records verified, %ld "
	       "offline/online cycles\n", runs, records, all_cycles);
	total_runs += runs;
	total_records += records;
	return unload_all("relayfs_testprod");
}

/* Hotplug of cpu1 in a loop, watched: a step that never ends fails. */
static volatile int hp_run;
static volatile long hp_steps;

static volatile int hp_failed;	/* a hotplug step failed */

static void *hp_loop(void *arg)
{
	long *cycles = arg;

	while (hp_run) {
		if (set_cpu1(0)) {
			hp_failed = 1;
			break;
		}
		hp_steps++;
		if (set_cpu1(1)) {
			hp_failed = 1;
			break;
		}
		hp_steps++;
		(*cycles)++;
		usleep(10000);
	}
	return NULL;
}

/*
 * A hotplug step that hangs (the kernel spins with the hotplug lock
 * held) cannot be undone from here: say so, dump the blocked tasks, and
 * end the program; the suite's time limit ends the VM.
 */
static void *hp_watchdog(void *arg)
{
	long last = -1;
	int still = 0;

	(void)arg;
	while (hp_run) {
		sleep(1);
		if (hp_steps != last) {
			last = hp_steps;
			still = 0;
		} else if (++still == 120) {
			printf("# cpu1 hotplug: no step for 120 s, hung\n");
			printf("not ok - dying_storm: cpu1 hotplug hung\n");
			fflush(stdout);
			write_file("/proc/sysrq-trigger", "w");
			_exit(1);
		}
	}
	return NULL;
}

static int dying_storm(void)
{
	static const char *const opens[] = { "subbuf=4096 n=4",
		"subbuf=4096 n=8 hdr=8", "subbuf=4096 n=4 overwrite=1" };
	static struct run run;
	double end = now() + secs_per_case;
	long runs = 0, cycles, all_cycles = 0, records = 0, hits, written;
	pthread_t hp, wd;
	int cpu, i;

	CHECK(ncpus >= 2);
	CHECK(load_mount("relayfs_testprod", "") == 0);
	/* Records of 3000 bytes in 4 KiB sub-buffers: each one switches. */
	CHECK_EQ(ctl("dying burst=3 len=3000"), 0);
	/* Until an offline happened during a write, for at most 60 s more. */
	while (now() < end || runs < 2 ||
	       (!all_cycles && now() < end + 60)) {
		i = pick(3);
		run = (struct run){ .open = opens[i],
				    .hdr = strstr(opens[i], "hdr=8") ? 8 : 0,
				    .overwrite = strstr(opens[i], "overwrite"),
				    .len = 3000, .use_mmap = pick(2) };
		memset(res, 0, sizeof(res));
		CHECK_EQ(ctl("open %s", run.open), 0);
		for (cpu = 0; cpu < ncpus; cpu++)
			CHECK(start_reader(&run, cpu) == 0);
		cycles = 0;
		hp_run = 1;
		CHECK(pthread_create(&hp, NULL, hp_loop, &cycles) == 0);
		CHECK(pthread_create(&wd, NULL, hp_watchdog, NULL) == 0);
		CHECK_EQ(ctl("write len=3000 count=300 ctx=nmi cpu=1"), 0);
		hp_run = 0;
		pthread_join(hp, NULL);
		pthread_join(wd, NULL);
		/*
		 * A run's write may end before its first offline (the race
		 * kernel's hotplug is slow): the storm as a whole must cycle,
		 * and the dying hook must have written (below).
		 */
		CHECK(!hp_failed);
		CHECK_EQ(set_cpu1(1), 0);
		CHECK_EQ(ctl("close"), 0);
		CHECK_EQ(read_results(), 0);
		if (finish_readers(&run)) {
			printf("# run %ld: open %s %s\n", runs, run.open,
			       run.use_mmap ? "mmap" : "read");
			return -1;
		}
		for (cpu = 0; cpu < ncpus; cpu++)
			records += run.rd[cpu].records;
		all_cycles += cycles;
		runs++;
	}
	CHECK(read_ctl_pair("dying", &hits, &written) == 0);
	printf("# dying_storm: %ld runs, %ld records verified, %ld "
	       "offline/online cycles, %ld records written on a dying cpu1 "
	       "in %ld offlines\n", runs, records, all_cycles, written,
	       hits);
	CHECK(all_cycles > 0);
	CHECK(hits > 0);
	CHECK(written > 0);
	CHECK_EQ(ctl("dying off"), 0);
	total_runs += runs;
	total_records += records;
	return unload_all("relayfs_testprod");
}

static int reset_storm_case(void)
{
	static const char *const opens[] = { "subbuf=4096 n=4",
		"subbuf=4096 n=4 hdr=8", "subbuf=4096 n=2 overwrite=1",
		"subbuf=4096 n=8 hdr=8 overwrite=1" };
	static const unsigned int n[] = { 4, 4, 2, 8 };
	double end = now() + secs_per_case;
	long runs = 0, resets, all_resets = 0;
	char setup[64];
	int i;

	cleanup();
	CHECK(load_module("relayfs-inject", "") == 0);
	CHECK(load_module("relayfs_testprod", "") == 0);
	CHECK(mount("relayfs", RELAYFS, "relayfs", 0, NULL) == 0);
	while (now() < end || runs < 4) {
		i = pick(4);
		/* A record past its nesting check, then a burst from there. */
		snprintf(setup, sizeof(setup), "inject every=1 point=%d burst=3",
			 RELAYFS_INJ_ENTRY);
		if (reset_storm(opens[i], setup, n[i], 300 + pick(300),
				&resets)) {
			printf("# run %ld: open %s\n", runs, opens[i]);
			return -1;
		}
		all_resets += resets;
		runs++;
	}
	printf("# reset_storm: %ld runs, %ld resets under writers\n", runs,
	       all_resets);
	total_runs += runs;
	return unload_all("relayfs_testprod");
}

/* The records injected at each point so far (testprod's ctl). */
#define NR_POINTS	RELAYFS_INJ_NR

static int inject_hits(long hits[NR_POINTS])
{
	char line[256];
	FILE *f = fopen(ROOT "/ctl", "r");
	int n = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "inject ", 7))
			n = sscanf(line, "inject %ld %ld %ld %ld %ld %ld %ld "
				   "%ld %ld", &hits[0], &hits[1], &hits[2],
				   &hits[3], &hits[4], &hits[5], &hits[6],
				   &hits[7], &hits[8]);
	fclose(f);
	CHECK_EQ(n, NR_POINTS);
	return 0;
}

/* One run of inject_storm, and what it adds to the figures. */
static int inject_run(struct run *run, long *records, long *inj)
{
	int cpu;

	run->hdr = strstr(run->open, "hdr=8") ? 8 : 0;
	run->overwrite = strstr(run->open, "overwrite");
	run->write = "count=800 ctx=all";
	if (run_channel(run)) {
		printf("# open %s, %s, len %u, %s\n", run->open, run->setup,
		       run->len, run->use_mmap ? "mmap" : "read");
		return -1;
	}
	for (cpu = 0; cpu < ncpus; cpu++) {
		*records += run->rd[cpu].records;
		*inj += res[cpu][RFS_CTX_INJECT].ok;
		/*
		 * Busy means a writer found the sub-buffer it needs held by
		 * one it interrupted: never true of a task, which interrupts
		 * nobody.  Whatever nests on top of it only makes it retry.
		 */
		if (res[cpu][RFS_CTX_TASK].busy) {
			printf("# open %s, %s, len %u: task records refused "
			       "as busy: %ld\n", run->open, run->setup,
			       run->len, res[cpu][RFS_CTX_TASK].busy);
			return -1;
		}
	}
	return 0;
}

static int inject_storm(void)
{
	static const char *const opens[] = { "subbuf=4096 n=2",
		"subbuf=4096 n=4 hdr=8", "subbuf=4096 n=4 overwrite=1",
		"subbuf=8192 n=2 hdr=8 overwrite=1" };
	static const unsigned int every[] = { 1, 2, 3, 7 };
	static char setup[64];
	static const unsigned int lens[] = { 16, 64, 200 };
	static const char *const names[] = { "slow", "reserved", "copied",
		"counted", "close", "closed", "open", "opening", "entry" };
	static struct run run;
	double end = now() + secs_per_case;
	long runs = 0, records = 0, inj = 0, hits[NR_POINTS];
	unsigned int subbuf, burst, ev;
	int i;

	_Static_assert(sizeof(names) / sizeof(names[0]) == NR_POINTS,
		       "a name per injection point");
	cleanup();
	CHECK(load_module("relayfs-inject", "") == 0);
	CHECK(load_module("relayfs_testprod", "") == 0);
	CHECK(mount("relayfs", RELAYFS, "relayfs", 0, NULL) == 0);
	/*
	 * First, every time: a burst that laps the buffer from between a
	 * commit count's add and its completion check (overwrite mode, so
	 * no reader needs to be quick).  A check against metadata read
	 * after the add sees the next lap's and misses the completion:
	 * subbufs_produced falls short of what the reader got.
	 */
	snprintf(setup, sizeof(setup), "inject every=1 point=%d burst=22",
		 RELAYFS_INJ_COUNTED);
	run = (struct run){ .open = "subbuf=4096 n=2 overwrite=1",
			    .setup = setup, .len = 200, .use_mmap = 1 };
	CHECK(inject_run(&run, &records, &inj) == 0);
	runs++;
	/* At least one run per point, however slow the kernel. */
	while (now() < end || runs < NR_POINTS + 2) {
		i = pick(4);
		run = (struct run){ .open = opens[i], .len = lens[pick(3)],
				    .use_mmap = pick(2) };
		/*
		 * Half the runs inject bursts that fill more than a
		 * sub-buffer from inside the window, less often.
		 */
		ev = every[pick(4)];
		burst = 1;
		if (pick(2)) {
			CHECK(sscanf(run.open, "subbuf=%u", &subbuf) == 1);
			run.len = 200;
			burst = subbuf / run.len + 2;
			ev = ev < 3 ? 3 : ev;
		}
		/* Each point on its own in turn, then all of them. */
		snprintf(setup, sizeof(setup),
			 "inject every=%u point=%ld burst=%u", ev,
			 runs % (NR_POINTS + 1) - 1, burst);
		run.setup = setup;
		if (inject_run(&run, &records, &inj)) {
			printf("# run %ld failed\n", runs);
			return -1;
		}
		runs++;
	}
	CHECK(inject_hits(hits) == 0);
	printf("# inject_storm: %ld runs, %ld records verified, %ld of them "
	       "injected; by point:", runs, records, inj);
	for (i = 0; i < NR_POINTS; i++)
		printf(" %s %ld", names[i], hits[i]);
	printf("\n");
	/* Every window was hit at least once, or the storm proved less. */
	for (i = 0; i < NR_POINTS; i++)
		CHECK(hits[i] > 0);
	total_runs += runs;
	total_records += records;
	return unload_all("relayfs_testprod");
}

static int wait_running(void)
{
	int i;

	for (i = 0; i < 200 && !app_running("sample"); i++)
		usleep(20000);
	CHECK(app_running("sample"));
	return 0;
}

/* A SIGKILLed collector's run is gone with it: the next can start. */
static int check_teardown(void)
{
	CHECK(!app_running("sample"));
	CHECK_EQ(app_control_value("sample", "held"), 0);
	return 0;
}

static int collector_storm(void)
{
	static const char *const sizes[] = { "4k", "8k", "16k", "64k" };
	static const char *const counts[] = { "2", "4", "8", "16" };
	static const unsigned int lens[] = { 16, 64, 256 };
	double end = now() + secs_per_case;
	long runs = 0, killed = 0, stopped = 0, records = 0, lost = 0;
	struct run_stats st[MAXCPU];
	size_t subbuf;
	char *argv[16];
	unsigned int len;
	bool overwrite;
	int cpu, how, n;
	pid_t pid;

	CHECK(load_mount("relay_sample", "") == 0);
	while (now() < end) {
		len = lens[pick(3)];
		overwrite = pick(3) == 0;
		CHECK(sample_producer(500 + pick(3000), len,
				      "task,softirq,hardirq") == 0);
		n = 0;
		argv[n++] = "relay-collect";
		argv[n++] = "-q";
		argv[n++] = "-d";
		argv[n++] = "/tmp/storm";
		argv[n++] = "-s";
		argv[n++] = (char *)sizes[pick(4)];
		argv[n++] = "-n";
		argv[n++] = (char *)counts[pick(4)];
		if (overwrite)
			argv[n++] = "-w";
		if (pick(3) == 0)
			argv[n++] = "--no-mmap";
		argv[n++] = "sample";
		argv[n] = NULL;
		collector = pid = collect_start(argv, "/tmp/storm");
		CHECK(wait_running() == 0);
		/* Records on every CPU first: runs are checked to have some. */
		CHECK(sample_wait_records(10) == 0);
		usleep(100000 + pick(400000));
		how = pick(10);
		if (how < 3) {			/* killed */
			kill(pid, SIGKILL);
			CHECK_EQ(collect_wait_timeout(pid, 60), 128 + SIGKILL);
			collector = -1;
			CHECK(check_teardown() == 0);
			/* Its file reads up to the last whole frame. */
			CHECK(sample_check_unfinished("/tmp/storm", len,
						      overwrite, false) == 0);
			killed++;
		} else {
			if (how < 5) {		/* stalled, then stopped */
				kill(pid, SIGSTOP);
				usleep(300000);
				kill(pid, SIGCONT);
				stopped++;
			}
			kill(pid, SIGINT);
			CHECK_EQ(collect_wait_timeout(pid, 60), 0);
			collector = -1;
			if (sample_check_run("/tmp/storm", len, overwrite,
					     true)) {
				printf("# run %ld: %s\n", runs, argv[5]);
				return -1;
			}
			CHECK(read_run_stats("/tmp/storm", "sample", st,
					     &subbuf) == 0);
			for (cpu = 0; cpu < ncpus; cpu++) {
				records += st[cpu].cons;
				lost += st[cpu].drop + st[cpu].over;
			}
		}
		CHECK(system("rm -rf /tmp/storm /tmp/storm.out "
			     "/tmp/storm.err") == 0);
		runs++;
	}
	printf("# collector_storm: %ld runs (%ld SIGKILLed, %ld stalled), "
	       "%ld records verified, %ld lost and counted\n", runs, killed,
	       stopped, records, lost);
	total_runs += runs;
	total_records += records;
	return unload_all("relay_sample");
}

/*
 * wakeup_race: writers wake a reader only when it said it waits
 * (kernel/write.c, rfs_subbuf_done()).  A reader on cpu0 arms (poll, a
 * blocking read() or a waiting RELAYFS_IOC_CONSUME) at a random moment
 * around the one sub-buffer switch a writer on cpu1 makes per round;
 * the flush timer is 10 minutes away, so only that switch's wakeup can
 * end the wait, and a wait that outlasts WAKE_LIMIT_MS is a lost one.
 */
#define WAKE_REC	2000	/* two per 4 KiB sub-buffer, the third switches */
#define WAKE_LIMIT_MS	10000

static volatile int wake_go, wake_done, wake_stop;
static volatile sig_atomic_t wake_alarm;

static void wake_alarm_fn(int sig)
{
	(void)sig;
	wake_alarm = 1;
}

static void spin_us(unsigned int us)
{
	double end = now() + us / 1e6;

	while (now() < end)
		;
}

/* Two records per round on cpu1: the first of each round switches. */
static void *wake_writer(void *arg)
{
	long *err = arg;
	int round = 0;

	while (!wake_stop) {
		while (__atomic_load_n(&wake_go, __ATOMIC_ACQUIRE) == round &&
		       !wake_stop)
			;
		if (wake_stop)
			break;
		round++;
		spin_us(pick(400));
		if (ctl("write len=%u count=2 ctx=task cpu=1", WAKE_REC))
			(*err)++;
		__atomic_store_n(&wake_done, round, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Wait for the round's sub-buffer the way @how says; 0 once it is there. */
static int wake_wait(int fd, int how, void *map, uint64_t pos)
{
	struct relayfs_consume c = { .version = RELAYFS_ABI_VERSION,
				     .max_entries = 1,
				     .flags = RELAYFS_CONSUME_WAIT };
	struct relayfs_subbuf sb;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char data[4096];
	ssize_t n;

	wake_alarm = 0;
	alarm(WAKE_LIMIT_MS / 1000);
	if (how == 0) {
		n = poll(&pfd, 1, WAKE_LIMIT_MS);
		alarm(0);
		CHECK_EQ(n, 1);
		n = read(fd, data, sizeof(data));
	} else if (how == 1) {
		CHECK(fcntl(fd, F_SETFL, 0) == 0);
		n = read(fd, data, sizeof(data));	/* SIGALRM: EINTR */
		alarm(0);
		CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
	} else {
		c.entries = (uintptr_t)&sb;
		c.ack = pos;	/* the reader's position: acks nothing */
		n = ioctl(fd, RELAYFS_IOC_CONSUME, &c);
		alarm(0);
		CHECK_EQ(n, 0);
		CHECK_EQ(c.n_entries, 1);
		CHECK(map != MAP_FAILED);
		CHECK_EQ(sb.seq, pos);
		n = sb.used;
		CHECK_EQ(n, 2 * WAKE_REC);
		c.ack = sb.seq + 1;
		c.max_entries = 0;
		c.flags = 0;
		CHECK(ioctl(fd, RELAYFS_IOC_CONSUME, &c) == 0);
	}
	if (wake_alarm)
		printf("# wakeup_race: no wakeup in %d ms (wait %d)\n",
		       WAKE_LIMIT_MS, how);
	CHECK(!wake_alarm);
	CHECK_EQ(n, 2 * WAKE_REC);
	if (how != 2)
		CHECK(read(fd, data, sizeof(data)) < 0 && errno == EAGAIN);
	return 0;
}

static int wakeup_race(void)
{
	struct sigaction sa = { .sa_handler = wake_alarm_fn };
	double end = now() + secs_per_case;
	long rounds[3] = { 0 }, errs = 0;
	struct relayfs_buf_stats st;
	pthread_t th;
	void *map;
	int fd, how, ret = -1;
	cpu_set_t set;

	CHECK(ncpus >= 2);
	CHECK(load_mount("relayfs_testprod", "") == 0);
	CHECK(ctl("open subbuf=4096 n=4 flush_ms=600000") == 0);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);	/* no SA_RESTART */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0);
	fd = open_cpu(1, O_NONBLOCK);
	CHECK(fd >= 0);
	map = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	/* The first sub-buffer opens: nothing completes yet. */
	CHECK(ctl("write len=%u count=2 ctx=task cpu=1", WAKE_REC) == 0);
	wake_go = wake_done = wake_stop = 0;
	CHECK(pthread_create(&th, NULL, wake_writer, &errs) == 0);
	for (int r = 1; now() < end || r < 100; r++) {
		how = pick(3);
		__atomic_store_n(&wake_go, r, __ATOMIC_RELEASE);
		spin_us(pick(400));
		if (wake_wait(fd, how, map, r - 1))
			goto out;
		while (__atomic_load_n(&wake_done, __ATOMIC_ACQUIRE) != r)
			;
		rounds[how]++;
	}
	ret = 0;
out:
	wake_stop = 1;
	pthread_join(th, NULL);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (ret)
		return ret;
	CHECK_EQ(errs, 0);
	CHECK(get_stats(fd, &st) == 0);
	CHECK(check_equations(&st) == 0);
	CHECK_EQ(st.subbufs_consumed, rounds[0] + rounds[1] + rounds[2]);
	CHECK_EQ(st.dropped_records, 0);
	munmap(map, 4 * 4096);
	close(fd);
	printf("# wakeup_race: %ld rounds woken by poll, %ld by read(), "
	       "%ld by RELAYFS_IOC_CONSUME\n", rounds[0], rounds[1],
	       rounds[2]);
	total_runs += rounds[0] + rounds[1] + rounds[2];
	CHECK(ctl("close") == 0);
	return unload_all("relayfs_testprod");
}

/*
 * Both kinds of client at once: the sample app with a collector, and the
 * test producer's channel with a reader that has it mapped.  Unloading
 * the app's module ends the run under the collector; the producer and
 * relayfs.ko stay pinned until the reader lets go.
 */
static int reload_storm(void)
{
	char *argv[] = { "relay-collect", "-q", "-d", "/tmp/reload", "-s",
			 "8k", "-n", "4", "sample", NULL };
	double end = now() + secs_per_case;
	long loops = 0, records = 0;
	struct run_stats st[MAXCPU];
	struct reader r = { 0 };
	size_t subbuf;
	void *map;
	pid_t pid;
	int cpu;

	while (now() < end) {
		CHECK(load_mount("relay_sample", "rate=2000 len=64 "
				 "contexts=task,softirq,hardirq") == 0);
		CHECK(load_module("relayfs_testprod", "") == 0);
		CHECK_EQ(ctl("open subbuf=4096 n=4"), 0);
		CHECK(reader_open(&r, 0, 64, 0, false) == 0);
		map = mmap(NULL, 4 * 4096, PROT_READ, MAP_SHARED, r.fd, 0);
		CHECK(map != MAP_FAILED);
		collector = pid = collect_start(argv, "/tmp/reload");
		CHECK(wait_running() == 0);
		CHECK_EQ(ctl("write len=64 count=%u ctx=all", 100 + pick(500)),
			 0);
		CHECK(sample_wait_records(10) == 0);
		usleep(100000 + pick(200000));
		/* The app's module goes; the collector drains and ends. */
		CHECK(unload_module("relay_sample") == 0);
		collector = -1;
		if (collect_wait_timeout(pid, 60)) {
			show("/tmp/reload.err");
			return -1;
		}
		CHECK(sample_check_run("/tmp/reload", 64, false, false) == 0);
		CHECK(read_run_stats("/tmp/reload", "sample", st,
				     &subbuf) == 0);
		for (cpu = 0; cpu < ncpus; cpu++)
			records += st[cpu].cons;
		/* The reader pins the producer and relayfs.ko. */
		CHECK_EQ(ctl("close"), 0);
		CHECK_EQ(unload_module("relayfs_testprod"), -EWOULDBLOCK);
		CHECK_EQ(unload_module("relayfs"), -EWOULDBLOCK);
		/* What was written is still there to read, then EOF. */
		CHECK(read_results() == 0);
		CHECK(pthread_create(&r.th, NULL, reader_fn, &r) == 0);
		CHECK(munmap(map, 4 * 4096) == 0);
		CHECK(reader_finish(&r) == 0);
		records += r.records;
		CHECK(unload_module("relayfs_testprod") == 0);
		CHECK(umount(RELAYFS) == 0);
		CHECK(unload_module("relayfs") == 0);
		CHECK(system("rm -rf /tmp/reload /tmp/reload.out "
			     "/tmp/reload.err") == 0);
		loops++;
	}
	printf("# reload_storm: %ld unload/reload cycles with a collector "
	       "and a mapped reader, %ld records verified\n", loops, records);
	total_records += records;
	CHECK(loops > 0);
	printf("# torture: %ld runs, %ld records verified in all\n",
	       total_runs + loops, total_records);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "hotplug_storm", hotplug_storm },
	{ "dying_storm", dying_storm },
	{ "reset_storm", reset_storm_case },
	{ "inject_storm", inject_storm },
	{ "collector_storm", collector_storm },
	{ "reload_storm", reload_storm },
	{ "wakeup_race", wakeup_race },
};

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: rfs-torture SECONDS [CASE...]\n");
		return 2;
	}
	secs_per_case = strtoul(argv[1], NULL, 0) /
			(sizeof(cases) / sizeof(cases[0]));
	rng = time(NULL);
	printf("# torture: seed %u, %u s per case\n", rng, secs_per_case);
	ret = rfstest_main(cases, sizeof(cases) / sizeof(cases[0]),
			   argc - 1, argv + 1);
	if (ret)
		cleanup();
	return ret;
}

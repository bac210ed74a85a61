// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation-failure injection on every relayfs entry point that
 * allocates: mount, relay-app registration (loading the sample module),
 * channel creation, relay-app start, opening a channel file and mmap.  For n = 1, 2, ... the n-th allocation of one system
 * call fails (/proc/thread-self/fail-nth, with failslab and
 * fail_page_alloc armed for sleeping allocations of any order), until a
 * call goes through with no fault left to inject.  Every failed call must
 * return an error and leave nothing behind (no file, no run, no map, no
 * module reference); every call that succeeds despite a fault must have
 * made the whole object.  kmemleak (suite kmemleak) then finds any
 * allocation an error path forgot.  Needs CONFIG_FAULT_INJECTION; the
 * suite arms the debugfs knobs.
 *
 * The cases run in order from a VM where only relayfs.ko is loaded and
 * nothing is mounted: the first mounts a fresh superblock, the second
 * loads relay_sample.ko under faults, then loads the test producer and
 * mounts relayfs where the other cases expect it.
 *
 *   rfs-fault
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "ktap.h"
#include "lib/rfstest.h"

#define APP		RELAYFS "/sample"
#define MAX_NTH		10000
#define RELAYFS_MAGIC	0x72656c61	/* kernel/internal.h */

static long injected_total;

/* Arm the next system call of this thread to fail its n-th allocation. */
static int fail_nth_arm(int fd, unsigned int n)
{
	char v[16];
	int len = snprintf(v, sizeof(v), "%u", n);

	return pwrite(fd, v, len, 0) == len ? 0 : -errno;
}

/* Was the fault injected?  fail-nth counts down to 0 when it was. */
static int fail_nth_fired(int fd)
{
	char v[16] = "";

	if (pread(fd, v, sizeof(v) - 1, 0) <= 0)
		return -errno;
	if (atoi(v) == 0)
		return 1;
	fail_nth_arm(fd, 0);	/* not reached: disarm */
	return 0;
}

/*
 * Run @op with its n-th allocation failing, for n = 1 .. until @op makes
 * fewer allocations than n.  @check(ret, injected) validates each outcome
 * and undoes a success.  Returns the faults injected, or -1.
 */
static long fault_loop(const char *what, int (*op)(void),
		       int (*check)(int ret, int injected))
{
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	long injected = 0, failed = 0;
	unsigned int n;
	int ret, fired;

	CHECK(fd >= 0);
	for (n = 1; n < MAX_NTH; n++) {
		CHECK(fail_nth_arm(fd, n) == 0);
		ret = op();
		fired = fail_nth_fired(fd);
		CHECK(fired >= 0);
		if (check(ret, fired)) {
			printf("# %s: fault at allocation %u: wrong outcome\n",
			       what, n);
			close(fd);
			return -1;
		}
		if (!fired)
			break;
		injected++;
		failed += ret < 0;
	}
	close(fd);
	CHECK(n < MAX_NTH);
	printf("# %s: %ld faults injected, %ld calls returned an error, "
	       "the %u-th attempt ran clean\n", what, injected, failed, n);
	/* A loop that never injected anything proved nothing. */
	CHECK(injected > 0);
	injected_total += injected;
	return injected;
}

/* An error from an allocation failure: ENOMEM, or what VFS maps it to. */
static bool alloc_errno(int err)
{
	return err == -ENOMEM || err == -ENFILE || err == -EMFILE;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- mount ---- */

static int do_mount(void)
{
	return mount("relayfs", "/tmp/rfsmnt", "relayfs", 0, NULL) ?
		-errno : 0;
}

static int mount_check(int ret, int injected)
{
	struct statfs st;

	CHECK(statfs("/tmp/rfsmnt", &st) == 0);
	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret));
		CHECK(st.f_type != RELAYFS_MAGIC);
		return 0;
	}
	CHECK_EQ(st.f_type, RELAYFS_MAGIC);
	CHECK(umount("/tmp/rfsmnt") == 0);
	return 0;
}

static int t_mount(void)
{
	int refs = module_refs("relayfs");

	CHECK(mkdir("/tmp/rfsmnt", 0755) == 0 || errno == EEXIST);
	CHECK(fault_loop("mount", do_mount, mount_check) > 0);
	/* No superblock left behind: nothing holds relayfs.ko. */
	CHECK_EQ(module_refs("relayfs"), refs);
	return 0;
}

/* ---- relay-app registration: loading the sample module ---- */

static int sample_load(void)
{
	return load_module("relay_sample", "");
}

static int sample_load_check(int ret, int injected)
{
	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret));
		CHECK(module_refs("relay_sample") < 0);
		CHECK(!exists("/tmp/rfsmnt/sample"));
		return 0;
	}
	CHECK(exists("/tmp/rfsmnt/sample/control"));
	CHECK(unload_module("relay_sample") == 0);
	CHECK(!exists("/tmp/rfsmnt/sample"));
	return 0;
}

static int t_app_register(void)
{
	int refs;

	/* A mounted superblock holds relayfs.ko: count from there. */
	CHECK(mount("relayfs", "/tmp/rfsmnt", "relayfs", 0, NULL) == 0);
	refs = module_refs("relayfs");
	CHECK(fault_loop("module load + app register", sample_load,
			 sample_load_check) > 0);
	CHECK_EQ(module_refs("relayfs"), refs);
	CHECK(umount("/tmp/rfsmnt") == 0);
	/* The setup the other cases need. */
	CHECK(load_module("relay_sample", "") == 0);
	CHECK(load_module("relayfs_testprod", "") == 0);
	CHECK(mount("relayfs", RELAYFS, "relayfs", 0, NULL) == 0);
	return 0;
}

/* ---- channel creation (relayfs_open through the test producer) ---- */

static int chan_open(void)
{
	return ctl("open subbuf=16384 n=4");
}

/* How many of the per-CPU files <base>0 .. <base>N-1 exist: all or none. */
static int cpu_files(const char *base)
{
	char path[96];
	int cpu, n = 0;

	for (cpu = 0; cpu < ncpus; cpu++) {
		snprintf(path, sizeof(path), "%s%d", base, cpu);
		n += exists(path);
	}
	return n;
}

static int chan_files(void)
{
	return cpu_files(ROOT "/rfs");
}

static int chan_open_check(int ret, int injected)
{
	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret));
		CHECK_EQ(chan_files(), 0);
		return 0;
	}
	/* Made in full despite a fault (a fallback allocation): usable. */
	CHECK_EQ(chan_files(), ncpus);
	CHECK(ctl("write len=64 count=10 ctx=task") == 0);
	CHECK(read_results() == 0);
	CHECK(ctl("close") == 0);
	CHECK_EQ(chan_files(), 0);
	return 0;
}

static int t_chan_open(void)
{
	int refs = module_refs("relayfs");

	CHECK(fault_loop("channel open", chan_open, chan_open_check) > 0);
	CHECK_EQ(module_refs("relayfs"), refs);
	return 0;
}

/* ---- opening a channel file; mmap of it ---- */

static int file_fd = -1;

static int file_open(void)
{
	file_fd = open(ROOT "/rfs0", O_RDONLY);
	return file_fd < 0 ? -errno : 0;
}

static int file_open_check(int ret, int injected)
{
	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret));
		return 0;
	}
	close(file_fd);
	return 0;
}

static int t_file_open(void)
{
	int refs = module_refs("relayfs");

	CHECK(ctl("open subbuf=16384 n=4") == 0);
	CHECK(fault_loop("file open", file_open, file_open_check) > 0);
	CHECK(ctl("close") == 0);
	/* An open file pins relayfs.ko: none may be left pinning it. */
	CHECK_EQ(module_refs("relayfs"), refs);
	return 0;
}

static int map_fd = -1;
static void *map_at;
static size_t map_len;

static int map_op(void)
{
	map_at = mmap(NULL, map_len, PROT_READ, MAP_SHARED, map_fd, 0);
	return map_at == MAP_FAILED ? -errno : 0;
}

static int map_check(int ret, int injected)
{
	const volatile uint8_t *p = map_at;
	uint8_t sum = 0;
	size_t off;

	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret) || ret == -EAGAIN);
		return 0;
	}
	/* Every page of a mapping that was made reads back. */
	for (off = 0; off < map_len; off += 4096)
		sum += p[off];
	(void)sum;
	CHECK(munmap(map_at, map_len) == 0);
	return 0;
}

static int t_mmap(void)
{
	int mapped, unmapped;

	CHECK(ctl("open subbuf=16384 n=4") == 0);
	CHECK(ctl("write len=64 count=100 ctx=task") == 0);
	map_len = 16384 * 4;
	map_fd = open(ROOT "/rfs0", O_RDONLY);
	CHECK(map_fd >= 0);
	CHECK(fault_loop("mmap", map_op, map_check) > 0);
	CHECK(close(map_fd) == 0);
	/* The producer saw each map that was made end: balanced. */
	CHECK(read_maps(&mapped, &unmapped) == 0);
	CHECK_EQ(mapped, unmapped);
	CHECK(ctl("close") == 0);
	return 0;
}

/* ---- relay-app start ---- */

static int app_fd = -1;
static const char start_cmd[] = "start subbuf_size=16384 n_subbufs=4\n";

static int app_start(void)
{
	ssize_t n = write(app_fd, start_cmd, strlen(start_cmd));

	return n < 0 ? -errno : 0;
}

static int app_files(void)
{
	return cpu_files(APP "/sample");
}

static int app_start_check(int ret, int injected)
{
	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret));
		CHECK(!app_running("sample"));
		CHECK_EQ(app_files(), 0);
		CHECK_EQ(app_control_value("sample", "held"), 0);
		return 0;
	}
	CHECK(app_running("sample"));
	CHECK_EQ(app_files(), ncpus);
	CHECK(write(app_fd, "stop\n", 5) == 5);
	CHECK(!app_running("sample"));
	CHECK_EQ(app_files(), 0);
	return 0;
}

static int t_app_start(void)
{
	long runs;

	app_fd = open(APP "/control", O_RDWR);
	CHECK(app_fd >= 0);
	runs = app_control_value("sample", "runs");
	CHECK(fault_loop("app start", app_start, app_start_check) > 0);
	/* Only starts that succeeded count as runs: at least the last. */
	CHECK(app_control_value("sample", "runs") > runs);
	CHECK(close(app_fd) == 0);
	CHECK(!app_running("sample"));
	return 0;
}

static int ctl_fd = -1;

static int app_ctl_open(void)
{
	ctl_fd = open(APP "/control", O_RDWR);
	return ctl_fd < 0 ? -errno : 0;
}

/* A failed open of the control file must not leave a collector behind. */
static int app_ctl_open_check(int ret, int injected)
{
	int fd;

	if (ret < 0) {
		CHECK(injected);
		CHECK(alloc_errno(ret));
	} else {
		CHECK(close(ctl_fd) == 0);
	}
	fd = open(APP "/control", O_RDWR);
	CHECK(fd >= 0);
	CHECK(close(fd) == 0);
	return 0;
}

static int t_app_control_open(void)
{
	CHECK(fault_loop("control open", app_ctl_open,
			 app_ctl_open_check) > 0);
	printf("# %ld faults injected in all\n", injected_total);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "mount_fails_cleanly", t_mount },
	{ "app_register_fails_cleanly", t_app_register },
	{ "channel_open_fails_cleanly", t_chan_open },
	{ "file_open_fails_cleanly", t_file_open },
	{ "mmap_fails_cleanly", t_mmap },
	{ "app_start_fails_cleanly", t_app_start },
	{ "app_control_open_fails_cleanly", t_app_control_open },
};

int main(int argc, char **argv)
{
	return rfstest_main(cases, sizeof(cases) / sizeof(cases[0]),
			    argc, argv);
}

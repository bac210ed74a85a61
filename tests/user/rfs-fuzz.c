// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, bounded fuzzer of relayfs' user-facing surface, run while
 * the test producer writes from every context:
 *
 *   - ioctls on channel files: our numbers with random contents, our
 *     numbers with the wrong size or direction, random numbers; arguments
 *     that are valid, NULL, unmapped, read-only or kernel addresses;
 *   - mmap with random offsets, lengths, protections and flags, then
 *     touching, mprotect, mremap and partial munmap of what was mapped;
 *   - read() of odd sizes into good and bad buffers, splice, poll, lseek,
 *     pread, write, reopening files with random flags;
 *   - relay-app control commands from a grammar of keys, values and junk;
 *   - mount options.
 *
 * Every call must succeed or fail with an errno from the small set its
 * interface documents, and a call that must fail (a bad pointer to one
 * of our ioctls, an unknown ioctl of ours, write or pread on a channel
 * file, a malformed mount option) must not succeed; a blocking call is
 * interrupted by an interval timer (EINTR).  Each class of operation
 * must get into the driver, succeeding, a minimum number of times per
 * seed (MIN_REACHED): a fuzzer whose inputs all bounce off the VFS tests
 * nothing.  Afterwards every buffer's counters must still satisfy both
 * equations.  The kernel's own checks (KASAN, lockdep, ...) and the
 * harness' log scan catch the rest.
 *
 *   rfs-fuzz OPS SEED...   (KTAP, one result per seed; same seed, same
 *                           inputs)
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include "ktap.h"
#include "lib/rfstest.h"

#define APPCTL		RELAYFS "/sample/control"
#define PAGE		4096UL
#define SUBBUF		4096U
#define NSUBBUF		8U
#define NFDS		4

static uint64_t rng;
static unsigned long seed, ops, done_ops;
static int fds[NFDS] = { -1, -1, -1, -1 };
static int app_fd = -1;
static uint8_t *good, *ro_page;
static void *unmapped_page;
static unsigned long by_op[16], calls_ok, calls_err;

/* The classes of operation, and how many calls of each the driver served. */
enum { C_IOCTL, C_MMAP, C_READ, C_CONTROL, C_MOUNT, NR_CLASSES };
static const char *const class_names[NR_CLASSES] = { "ioctl", "mmap",
	"read/splice/poll", "control", "mount" };
static unsigned long reached[NR_CLASSES];
/*
 * Per seed, at the suite's 3000 inputs (about 1/7 of them mount, 1/7
 * mmap, 1/7 control, 2/7 ioctl and 2/7 read): each class must have been
 * served at least this often.  The counts are printed; a seed that sees
 * fewer got its inputs refused before they reached the code under test.
 */
#define MIN_REACHED(ops)	((ops) / 300 + 1)
static bool ptr_bad;	/* rnd_ptr()'s last pointer cannot be accessed */
static char last_op[160];
static sigjmp_buf touch_env;
static volatile sig_atomic_t touching;

static uint64_t next_rand(void)
{
	/* xorshift64*: small, seedable, good enough to pick inputs. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned long rnd(unsigned long n)
{
	return n ? next_rand() % n : 0;
}

/* Sizes near the interesting edges more often than uniform ones. */
static unsigned long rnd_size(unsigned long max)
{
	static const unsigned long edge[] = { 0, 1, 7, 8, 63, 64, 4095, 4096,
		4097, SUBBUF * NSUBBUF - 1, SUBBUF * NSUBBUF,
		SUBBUF * NSUBBUF + PAGE };

	if (rnd(2))
		return edge[rnd(sizeof(edge) / sizeof(edge[0]))];
	return rnd(max + 1);
}

/* An argument pointer: mostly good memory, sometimes anything but. */
static void *rnd_ptr(void)
{
	ptr_bad = true;
	switch (rnd(8)) {
	case 0: return NULL;
	case 1: return unmapped_page;
	case 2: return ro_page;
	case 3: return (void *)0xffff888000000000UL;	/* kernel memory */
	case 4: return (void *)1;
	}
	ptr_bad = false;
	if (rnd(3) == 0)
		return good + PAGE - rnd(16);		/* straddles */
	return good + rnd(PAGE);
}

static int errno_in(int err, const int *set, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i] == err)
			return 1;
	return 0;
}

/* A call that had to fail succeeded: report it. */
#define EXPECT_FAIL(ret, ...) do {					\
	if ((ret) >= 0) {						\
		printf("# seed %lu op %lu: %s: succeeded (%ld), must "	\
		       "fail\n", seed, done_ops, last_op, (long)(ret));	\
		return -1;						\
	}								\
	EXPECT_ERRNO(ret, __VA_ARGS__);					\
} while (0)

/* A call failed with an errno its interface does not give: report it. */
#define EXPECT_ERRNO(ret, ...) do {					\
	static const int __ok[] = { __VA_ARGS__ };			\
	if ((ret) < 0)							\
		calls_err++;						\
	else								\
		calls_ok++;						\
	if ((ret) < 0 && !errno_in(errno, __ok,				\
				   sizeof(__ok) / sizeof(__ok[0]))) {	\
		printf("# seed %lu op %lu: %s: unexpected errno %d (%s)\n",\
		       seed, done_ops, last_op, errno, strerror(errno));\
		return -1;						\
	}								\
} while (0)

static void on_fault(int sig)
{
	if (touching)
		siglongjmp(touch_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_alarm(int sig)
{
	(void)sig;	/* only interrupts a blocking call */
}

static int rnd_fd(void)
{
	int i = rnd(NFDS);
	char path[64];
	static const int flags[] = { O_RDONLY, O_RDONLY | O_NONBLOCK,
		O_RDWR, O_WRONLY, O_RDONLY | O_DIRECT };

	if (fds[i] >= 0 && rnd(16))
		return fds[i];
	if (fds[i] >= 0)
		close(fds[i]);
	snprintf(path, sizeof(path), ROOT "/rfs%lu", rnd(ncpus + 1));
	fds[i] = open(path, flags[rnd(5)]);
	return fds[i];
}

static int op_ioctl(void)
{
	static const unsigned int ours[] = { RELAYFS_IOC_GET_INFO,
		RELAYFS_IOC_GET_STATS, RELAYFS_IOC_CONSUME,
		RELAYFS_IOC_GET_SUBBUF };
	struct relayfs_consume *c = (void *)(good + 2048);
	int fd = rnd_fd(), ret, i;
	unsigned int cmd;
	bool known = false;
	void *arg;

	if (fd < 0)
		return 0;
	switch (rnd(3)) {
	case 0:		/* ours */
		cmd = ours[rnd(4)];
		break;
	case 1:		/* ours with another size or direction */
		cmd = _IOC(rnd(4), RELAYFS_IOC_MAGIC, rnd(8), rnd(512));
		break;
	default:	/* anything in our magic, or anything at all */
		cmd = rnd(2) ? _IOC(rnd(4), RELAYFS_IOC_MAGIC, rnd(256),
				    rnd(16384)) : (unsigned int)next_rand();
		break;
	}
	for (i = 0; i < 4; i++)
		known |= cmd == ours[i];
	arg = rnd_ptr();
	/* A consume with plausible contents gets further into the code. */
	if (cmd == RELAYFS_IOC_CONSUME && rnd(2)) {
		memset(c, 0, sizeof(*c));
		c->version = rnd(4) ? RELAYFS_ABI_VERSION : next_rand();
		c->flags = rnd(4) ? rnd(2) : next_rand();
		c->ack = rnd(2) ? rnd(64) : next_rand();
		c->entries = rnd(2) ? (uintptr_t)good : (uintptr_t)rnd_ptr();
		c->max_entries = rnd(2) ? rnd(8) : next_rand();
		c->__reserved = rnd(8) ? 0 : next_rand();
		arg = c;
		ptr_bad = false;
	}
	snprintf(last_op, sizeof(last_op), "ioctl(%#x, %p)", cmd, arg);
	ret = ioctl(fd, cmd, arg);
	/* VFS handles a few generic numbers itself: any outcome. */
	if (_IOC_TYPE(cmd) != RELAYFS_IOC_MAGIC)
		return 0;
	/* Not one of ours, or ours with memory it cannot use: an error. */
	if (!known || ptr_bad) {
		EXPECT_FAIL(ret, ENOTTY, EFAULT, EINVAL, EBUSY, EAGAIN,
			    EINTR, EBADF, ENODATA, ENODEV);
		return 0;
	}
	EXPECT_ERRNO(ret, ENOTTY, EFAULT, EINVAL, EBUSY, EAGAIN, EINTR,
		     EBADF, ENODATA, ENODEV);
	if (ret >= 0)
		reached[C_IOCTL]++;
	return 0;
}

static int touch(const volatile uint8_t *p, size_t len)
{
	size_t off;
	int sig;
	uint8_t sum = 0;

	touching = 1;
	sig = sigsetjmp(touch_env, 1);
	if (!sig)
		for (off = 0; off < len; off += PAGE)
			sum += p[off];
	touching = 0;
	(void)sum;
	return sig;
}

static int op_mmap(void)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
		PROT_WRITE, PROT_READ | PROT_EXEC, PROT_NONE };
	int fd = rnd_fd(), prot = prots[rnd(5)], ret;
	int flags = rnd(4) ? MAP_SHARED : MAP_PRIVATE;
	size_t len = rnd(8) ? PAGE * (1 + rnd(NSUBBUF + 2)) : rnd_size(65536);
	off_t off = rnd(8) ? PAGE * rnd(NSUBBUF + 2) : rnd(65536);
	uint8_t *p, *q;
	size_t nlen;
	bool bad;

	if (fd < 0)
		return 0;
	/*
	 * Half the time the one geometry relayfs_buf_mmap() takes, the
	 * whole buffer from offset 0, so that mappings get made and the
	 * calls on them below run; anything else, or writable, is refused.
	 */
	if (rnd(2)) {
		len = SUBBUF * NSUBBUF;
		off = 0;
	}
	bad = off || (len + PAGE - 1) / PAGE != NSUBBUF ||
	      (prot & PROT_WRITE);
	snprintf(last_op, sizeof(last_op), "mmap(len %zu, off %ld, prot %d,"
		 " flags %d)", len, (long)off, prot, flags);
	p = mmap(NULL, len, prot, flags, fd, off);
	if (p == MAP_FAILED) {
		ret = -1;
		EXPECT_ERRNO(ret, EINVAL, EACCES, EPERM, ENODEV, ENOMEM,
			     EBADF);
		return 0;
	}
	if (bad) {
		printf("# seed %lu op %lu: %s: mapped, must fail\n", seed,
		       done_ops, last_op);
		return -1;
	}
	calls_ok++;
	reached[C_MMAP]++;
	/* A readable mapping that was granted reads back, every page. */
	if ((prot & PROT_READ) && touch(p, len)) {
		printf("# seed %lu op %lu: %s: fault reading the mapping\n",
		       seed, done_ops, last_op);
		return -1;
	}
	switch (rnd(4)) {
	case 0:
		snprintf(last_op, sizeof(last_op), "mprotect");
		ret = mprotect(p, len, prots[rnd(5)]);
		EXPECT_ERRNO(ret, EACCES);
		break;
	case 1:
		snprintf(last_op, sizeof(last_op), "mremap");
		nlen = len + PAGE * rnd(3);
		q = mremap(p, len, nlen, MREMAP_MAYMOVE);
		if (q != MAP_FAILED) {
			calls_ok++;
			p = q;
			len = nlen;
		} else {
			ret = -1;
			EXPECT_ERRNO(ret, EFAULT, ENOMEM, EINVAL);
		}
		break;
	case 2:
		if (len > PAGE)
			munmap(p + PAGE, PAGE);	/* split the vma */
		break;
	}
	munmap(p, len);
	return 0;
}

static int op_read(void)
{
	int fd = rnd_fd(), p[2];
	size_t len = rnd_size(3 * SUBBUF);
	void *buf = rnd(4) ? (void *)good : rnd_ptr();
	struct pollfd pfd;
	ssize_t n;

	if (fd < 0)
		return 0;
	switch (rnd(6)) {
	case 0:
		snprintf(last_op, sizeof(last_op), "splice %zu", len);
		if (pipe2(p, O_NONBLOCK))
			return 0;
		n = splice(fd, NULL, p[1], NULL, len, SPLICE_F_NONBLOCK);
		close(p[0]);
		close(p[1]);
		EXPECT_ERRNO(n, EAGAIN, EINTR, EBADF, EINVAL, EBUSY);
		reached[C_READ] += n >= 0;
		return 0;
	case 1:
		snprintf(last_op, sizeof(last_op), "poll");
		pfd.fd = fd;
		pfd.events = POLLIN | POLLOUT | POLLPRI;
		n = poll(&pfd, 1, 0);
		EXPECT_ERRNO(n, EINTR);
		reached[C_READ] += n >= 0;
		return 0;
	case 2:
		snprintf(last_op, sizeof(last_op), "lseek/pread");
		n = lseek(fd, rnd(2) ? 0 : (off_t)next_rand(), rnd(3));
		EXPECT_ERRNO(n, EINVAL, ESPIPE, ENXIO);
		/* A stream without positions (relayfs_open()). */
		n = pread(fd, good, len > PAGE ? PAGE : len, rnd(4096));
		EXPECT_FAIL(n, ESPIPE, EBADF, EINVAL);
		return 0;
	case 3:
		snprintf(last_op, sizeof(last_op), "write %zu", len);
		/* Channel files have no write. */
		n = write(fd, good, len > PAGE ? PAGE : len);
		EXPECT_FAIL(n, EBADF, EINVAL, EPERM, EACCES);
		return 0;
	default:
		snprintf(last_op, sizeof(last_op), "read(%p, %zu)", buf, len);
		n = read(fd, buf, len);
		EXPECT_ERRNO(n, EAGAIN, EINTR, EFAULT, EBUSY, EBADF, EINVAL,
			     ENODEV);
		reached[C_READ] += n >= 0;
		return 0;
	}
}

/* A control command from keys, values and junk. */
static void rnd_command(char *s, size_t size)
{
	static const char *const words[] = { "start", "stop", "subbuf_size=",
		"n_subbufs=", "mode=", "overwrite", "no-overwrite", " ", "\n",
		"\t", "=", "start subbuf_size=4096 n_subbufs=4\n", "stop\n" };
	static const char *const nums[] = { "0", "1", "2", "4096", "65536",
		"268435456", "268435457", "1048576", "1048577", "-1",
		"0x1000", "18446744073709551616", "4k", "" };
	size_t n = 0;
	unsigned int i, k = 1 + rnd(8);

	for (i = 0; i < k && n + 40 < size; i++) {
		if (rnd(12) == 0) {		/* raw bytes, NUL included */
			s[n++] = rnd(256);
			continue;
		}
		n += snprintf(s + n, size - n, "%s",
			      words[rnd(sizeof(words) / sizeof(words[0]))]);
		if (s[n - 1] == '=')
			n += snprintf(s + n, size - n, "%s",
				      nums[rnd(sizeof(nums) / sizeof(nums[0]))]);
	}
	/* Sometimes a line too long for the parser. */
	while (rnd(32) == 0 && n + 64 < size) {
		memset(s + n, 'x', 63);
		n += 63;
	}
	s[n] = '\0';
}

static int op_control(void)
{
	char cmd[400];
	ssize_t n;
	size_t len;

	if (app_fd < 0 || rnd(32) == 0) {
		if (app_fd >= 0)
			close(app_fd);	/* ends a run of ours */
		app_fd = open(APPCTL, rnd(4) ? O_RDWR : O_RDONLY);
		if (app_fd < 0) {
			snprintf(last_op, sizeof(last_op), "open control");
			EXPECT_ERRNO(app_fd, EBUSY);
			return 0;
		}
	}
	rnd_command(cmd, sizeof(cmd));
	len = strlen(cmd);
	if (rnd(8) == 0)
		len += strlen(cmd + len + 1) + 1;	/* past a NUL */
	snprintf(last_op, sizeof(last_op), "control \"%.60s\"", cmd);
	n = write(app_fd, cmd, len);
	EXPECT_ERRNO(n, EINVAL, EBUSY, ENOMEM, EBADF);
	reached[C_CONTROL] += n >= 0;
	if (rnd(4) == 0) {
		/* nonseekable_open(): no pread. */
		snprintf(last_op, sizeof(last_op), "pread control");
		n = pread(app_fd, good, PAGE, 0);
		EXPECT_FAIL(n, EBADF, ESPIPE);
	}
	return 0;
}

static int op_mount(void)
{
	/* The first NBAD are malformed (relayfs_parse_param()): refused. */
	static const char *const opts[] = { "mode=x", "uid=4294967295",
		"gid=-1", "mode=", "uid", "mode=0700", "mode=7777", "uid=0",
		"gid=65534", "bogus", "", "mode=0755,uid=1,gid=2", "nosuid" };
	enum { NBAD = 5 };
	char opt[64];
	int ret, i = rnd(sizeof(opts) / sizeof(opts[0]));

	snprintf(opt, sizeof(opt), "%s", opts[i]);
	snprintf(last_op, sizeof(last_op), "mount -o %s", opt);
	ret = mount("relayfs", "/tmp/fuzzmnt", "relayfs", 0, opt);
	/* Unmounted first, even when it must not have mounted. */
	if (!ret && umount("/tmp/fuzzmnt")) {
		printf("# umount: %s\n", strerror(errno));
		return -1;
	}
	if (i < NBAD) {
		EXPECT_FAIL(ret, EINVAL);
		return 0;
	}
	EXPECT_ERRNO(ret, EINVAL);
	reached[C_MOUNT] += ret == 0;
	return 0;
}

static int (*const op_fns[])(void) = { op_ioctl, op_ioctl, op_mmap,
	op_read, op_read, op_control, op_mount };

/* The counters of every buffer still add up after all of that. */
static int check_all_equations(void)
{
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++)
		CHECK(check_cpu_equations(cpu) == 0);
	return 0;
}

static int t_fuzz(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	unsigned int i;
	int op;

	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	memset(by_op, 0, sizeof(by_op));
	memset(reached, 0, sizeof(reached));
	calls_ok = calls_err = 0;
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);

	for (done_ops = 0; done_ops < ops; done_ops++) {
		op = rnd(sizeof(op_fns) / sizeof(op_fns[0]));
		by_op[op]++;
		if (op_fns[op]())
			return -1;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < NFDS; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	if (app_fd >= 0)
		close(app_fd);
	app_fd = -1;
	printf("# seed %lu: %lu inputs: %lu ioctl, %lu mmap, %lu read/"
	       "splice/poll/seek/write, %lu control, %lu mount\n", seed, ops,
	       by_op[0] + by_op[1], by_op[2], by_op[3] + by_op[4], by_op[5],
	       by_op[6]);
	printf("# seed %lu: %lu calls succeeded, %lu returned a documented "
	       "errno\n", seed, calls_ok, calls_err);
	for (i = 0; i < NR_CLASSES; i++)
		printf("# seed %lu: %s served %lu times (minimum %lu)\n", seed,
		       class_names[i], reached[i], MIN_REACHED(ops));
	for (i = 0; i < NR_CLASSES; i++)
		CHECK(reached[i] >= MIN_REACHED(ops));
	return 0;
}

static int setup(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: EINTR */
	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	good = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, 2 * PAGE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(good != MAP_FAILED && ro_page != MAP_FAILED);
	unmapped_page = ro_page + PAGE;
	CHECK(munmap(unmapped_page, PAGE) == 0);
	CHECK(mkdir("/tmp/fuzzmnt", 0755) == 0 || errno == EEXIST);
	return 0;
}

int main(int argc, char **argv)
{
	char name[64];
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: rfs-fuzz OPS SEED...\n");
		return 2;
	}
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	ops = strtoul(argv[1], NULL, 0);
	printf("KTAP version 1\n1..%d\n", argc - 2 + 1);
	if (setup())
		return 1;
	for (i = 2; i < argc; i++) {
		seed = strtoul(argv[i], NULL, 0);
		snprintf(name, sizeof(name), "fuzz_seed_%lu_only_documented_"
			 "errors", seed);
		ktap_report(name, t_fuzz());
	}
	ktap_report("counters_still_add_up", check_all_equations());
	return ktap_failed ? 1 : 0;
}

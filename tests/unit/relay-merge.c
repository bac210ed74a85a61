// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of relay-merge (tools/relay-merge.c, relay-merge(1)):
 * runs crafted block by block with librelay's own encoders
 * (docs/format.md) are merged by the real binary (build/bin/relay-merge,
 * or $RELAY_MERGE), and its output, diagnostics and exit status are
 * compared exactly.
 */
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zstd.h>
#include "ktap.h"
#include "librelay.h"
#include "format.h"

static char dir[] = "/tmp/relay-merge-test.XXXXXX";
static char out[8192], err[8192];

struct run_desc {
	const char *host, *app;
	uint8_t id;		/* run_id: 16 times this byte */
	unsigned int index;	/* file_index */
	bool anchored;
	/* 2026-11-28 11:00:00 UTC at local 1000 s; mono 0.5 ms more */
	uint64_t real0;
	const struct relay_trigger *trigger;	/* a snapshot's, or NULL */
};

static FILE *new_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fopen(path, "w");
}

static void put_header(FILE *f, const struct run_desc *d)
{
	struct relay_run_header h = {
		.flags = d->anchored ? RELAY_HDR_ANCHOR : 0,
		.file_index = d->index, .ncpus = 2, .subbuf_size = 4096,
		.n_subbufs = 4, .start_ns = d->real0,
		.host = d->host, .kernel = "6.12.0-test", .app = d->app,
		.base = d->app, .tool = "relay-collect 1.0",
		.library = "librelay 1.0", .cmdline = "relay-collect",
	};
	uint8_t *p;
	size_t n;

	if (d->anchored)
		h.anchor = (struct relayfs_clocks){
			.version = 1, .local_ns = 1000000000000ULL,
			.realtime_ns = d->real0,
			.monotonic_ns = 1000000500000ULL,
			.boottime_ns = 1030000500000ULL,
			.uncertainty_ns = 100,
		};
	memset(h.run_id, d->id, sizeof(h.run_id));
	if (d->trigger) {
		h.flags |= RELAY_HDR_SNAPSHOT | RELAY_HDR_OVERWRITE;
		h.trigger = *d->trigger;
	}
	if (relay_encode_run(&h, &p, &n))
		abort();
	fwrite(p, 1, n, f);
	free(p);
}

/* A frame of app @app (0: a run of one app), its payload @text. */
static void put_app_frame_t(FILE *f, unsigned int app, unsigned int cpu,
			    uint64_t seq, uint64_t t_open, uint64_t t_close,
			    uint64_t drops, const char *text)
{
	struct relay_frame fr = {
		.cpu = cpu, .seq = seq, .t_open = t_open, .t_close = t_close,
		.drops = drops, .records = 1, .bytes = strlen(text),
		.len = strlen(text), .flags = RELAY_FRAME_APP_FLAGS(app),
	};
	uint8_t hdr[RELAY_FRAME_HDR_LEN];

	relay_encode_frame(hdr, &fr, fr.len);
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(text, 1, fr.len, f);
}

static void put_frame(FILE *f, unsigned int cpu, uint64_t seq,
		      uint64_t t_open, uint64_t t_close, uint64_t drops,
		      const char *text)
{
	put_app_frame_t(f, 0, cpu, seq, t_open, t_close, drops, text);
}

/* The same, its payload one zstd frame (as relay-collect --compress). */
static void put_zframe(FILE *f, unsigned int cpu, uint64_t seq,
		       uint64_t t_open, const char *text)
{
	struct relay_frame fr = {
		.cpu = cpu, .seq = seq, .t_open = t_open,
		.t_close = t_open + 100000000, .records = 1, .bytes = strlen(text), .len = strlen(text),
		.flags = RELAY_FRAME_ZSTD,
	};
	uint8_t hdr[RELAY_FRAME_HDR_LEN], z[1024];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t n;

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(c, z, sizeof(z), text, fr.len);
	ZSTD_freeCCtx(c);
	if (ZSTD_isError(n))
		abort();
	relay_encode_frame(hdr, &fr, n);
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(z, 1, n, f);
}

static void put_end(FILE *f)
{
	struct relay_trailer t = { .frames = 1 };
	uint8_t b[RELAY_TRAILER_LEN];

	relay_encode_trailer(b, &t);
	fwrite(b, 1, sizeof(b), f);
}

static size_t slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return n;
}

/* relay-merge @args (a shell word list); its exit status, out and err. */
static int merge(const char *args)
{
	const char *tool = getenv("RELAY_MERGE");
	char cmd[1024], o[128], e[128];
	int st;

	snprintf(o, sizeof(o), "%s/out", dir);
	snprintf(e, sizeof(e), "%s/err", dir);
	unlink(o);
	/* @args may send standard output elsewhere (/dev/full) */
	snprintf(cmd, sizeof(cmd), "cd %s && TZ=UTC %s %s %s 2>err", dir,
		 tool ? tool : "$OLDPWD/build/bin/relay-merge", args,
		 strstr(args, ">/") ? "" : ">out");
	st = system(cmd);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

#define CHECK_STR(got, want) do {					\
	if (strcmp((got), (want))) {					\
		printf("# %s:%d: got:\n%s# want:\n%s", __func__,	\
		       __LINE__, (got), (want));			\
		return -1;						\
	}								\
} while (0)

static const struct run_desc klog = {
	"host1", "klog", 1, 0, true, 1795863600000000000ULL, NULL,
};
static const struct run_desc tprintk = {
	"host1", "tprintk", 2, 0, true, 1795863600000000000ULL, NULL,
};

/* klog on two CPUs and tprintk: one timeline, each run's own files. */
static void two_apps(void)
{
	FILE *f = new_file("klog.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 1000000000000ULL, 1003000000000ULL, 0,
		  "[ 1000.000001] cpu0 klog a\n"
		  "[ 1002.000000] cpu0 klog c\n\tsecond line of c\n");
	put_frame(f, 1, 0, 1000000000000ULL, 1003000000000ULL, 0,
		  "[ 1001.500000] cpu1 klog b\n");
	put_end(f);
	fclose(f);
	f = new_file("tprintk.relay");
	put_header(f, &tprintk);
	put_frame(f, 1, 0, 1000000000000ULL, 1003000000000ULL, 0,
		  "[ 1001.000000] cpu1 <6> p1\n[ 1002.500000] cpu1 <4> p2\n");
	put_end(f);
	fclose(f);
}

static const char two_apps_local[] =
	"[ 1000.000001] cpu0 klog a\n"
	"[ 1001.000000] cpu1 <6> p1\n"
	"[ 1001.500000] cpu1 klog b\n"
	"[ 1002.000000] cpu0 klog c\n\tsecond line of c\n"
	"[ 1002.500000] cpu1 <4> p2\n";

static int test_two_apps_one_timeline(void)
{
	char cmd[128];

	two_apps();
	CHECK_EQ(merge("klog.relay tprintk.relay"), 0);
	CHECK_STR(out, two_apps_local);
	CHECK_STR(err, "");
	/* the directory: both run files, in name order */
	CHECK_EQ(merge("."), 0);
	CHECK_STR(out, two_apps_local);
	/* standard input, and a file, together */
	CHECK_EQ(merge("- tprintk.relay <klog.relay"), 0);
	CHECK_STR(out, two_apps_local);
	/* two runs concatenated on standard input */
	snprintf(cmd, sizeof(cmd), "cd %s && cat klog.relay tprintk.relay "
		 ">both", dir);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(merge("- <both"), 0);
	CHECK_STR(out, two_apps_local);
	return 0;
}

static int test_wall_clock(void)
{
	two_apps();
	CHECK_EQ(merge("-T ."), 0);
	CHECK_STR(out,
		  "[2026-11-28 11:00:00.000001] cpu0 klog a\n"
		  "[2026-11-28 11:00:01.000000] cpu1 <6> p1\n"
		  "[2026-11-28 11:00:01.500000] cpu1 klog b\n"
		  "[2026-11-28 11:00:02.000000] cpu0 klog c\n"
		  "\tsecond line of c\n"
		  "[2026-11-28 11:00:02.500000] cpu1 <4> p2\n");
	CHECK_EQ(merge("--clock=real ."), 0);
	CHECK_STR(out,
		  "[1795863600.000001] cpu0 klog a\n"
		  "[1795863601.000000] cpu1 <6> p1\n"
		  "[1795863601.500000] cpu1 klog b\n"
		  "[1795863602.000000] cpu0 klog c\n\tsecond line of c\n"
		  "[1795863602.500000] cpu1 <4> p2\n");
	CHECK_EQ(merge("--clock=mono klog.relay"), 0);
	CHECK_STR(out,
		  "[ 1000.000501] cpu0 klog a\n"
		  "[ 1001.500500] cpu1 klog b\n"
		  "[ 1002.000500] cpu0 klog c\n\tsecond line of c\n");
	CHECK_EQ(merge("--clock=boot klog.relay"), 0);
	CHECK_STR(out,
		  "[ 1030.000501] cpu0 klog a\n"
		  "[ 1031.500500] cpu1 klog b\n"
		  "[ 1032.000500] cpu0 klog c\n\tsecond line of c\n");
	CHECK_EQ(merge("--clock=local -T klog.relay"), 2);
	return 0;
}

/* Two hosts: only wall-clock time puts them on one timeline. */
static int test_two_hosts(void)
{
	struct run_desc h2 = { "host2", "klog", 3, 0, true,
			       1795863600000000000ULL + 250000000, NULL };
	FILE *f = new_file("h1.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 0, 1000000000000ULL, 0,
		  "[ 1000.000000] cpu0 klog on host1\n");
	put_end(f);
	fclose(f);
	/* host2's local clock is 1 s behind, its wall clock 0.25 s ahead */
	f = new_file("h2.relay");
	put_header(f, &h2);
	put_frame(f, 0, 0, 0, 1000000000000ULL, 0,
		  "[  999.900000] cpu0 klog on host2, 0.15 s later\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("h2.relay h1.relay"), 1);
	CHECK(strstr(err, "hosts host2 and host1"));
	CHECK_EQ(merge("-T h2.relay h1.relay"), 0);
	CHECK_STR(out,
		  "[2026-11-28 11:00:00.000000] cpu0 klog on host1\n"
		  "[2026-11-28 11:00:00.150000] cpu0 klog on host2, "
		  "0.15 s later\n");
	return 0;
}

/*
 * Defect 5: a line without a timestamp sorted to time 0, away from its
 * context; "[1.5]" parsed as 1.000005 s; a last line without its newline
 * was glued to the next record.
 */
static int test_lines_keep_their_context(void)
{
	FILE *f = new_file("ctx.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 4000000000ULL, 5000000000ULL, 0,
		  "[    5.000000] cpu0 klog five\n"
		  "a line without a timestamp\n"
		  "[1.5] not a timestamp either\n"
		  "[    7.000000] cpu0 klog seven, no newline");
	put_frame(f, 1, 0, 2000000000ULL, 8000000000ULL, 0,
		  "no timestamp before any: the frame's t_open, 2 s\n"
		  "[    6.000000] cpu1 klog six\n"
		  "[  1.0000005] seven digits: not a timestamp\n"
		  "[    8.000000 missing bracket\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("ctx.relay"), 0);
	CHECK_STR(out,
		  "no timestamp before any: the frame's t_open, 2 s\n"
		  "[    5.000000] cpu0 klog five\n"
		  "a line without a timestamp\n"
		  "[1.5] not a timestamp either\n"
		  "[    6.000000] cpu1 klog six\n"
		  "[  1.0000005] seven digits: not a timestamp\n"
		  "[    8.000000 missing bracket\n"
		  "[    7.000000] cpu0 klog seven, no newline\n");
	/* -T rewrites timestamps only: the others keep their text */
	CHECK_EQ(merge("-T ctx.relay"), 0);
	CHECK(strstr(out, "[2026-11-28 10:43:25.000000] cpu0 klog five\n"
		     "a line without a timestamp\n"));
	return 0;
}

/* Frames show drops and overwritten sub-buffers: markers, in time. */
static int test_loss_markers(void)
{
	FILE *f = new_file("loss.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.500000] cpu0 klog first\n");
	put_frame(f, 0, 1, 3000000000ULL, 4000000000ULL, 7,
		  "[    3.500000] cpu0 klog after 7 drops\n");
	put_frame(f, 0, 4, 6000000000ULL, 7000000000ULL, 7,
		  "[    6.500000] cpu0 klog after 2 overwritten\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("loss.relay"), 0);
	CHECK_STR(out,
		  "[    1.500000] cpu0 klog first\n"
		  "[    2.000000] cpu0 klog *** lost 7 records, 0 sub-buffers,"
		  " between [    2.000000] and [    3.000000] ***\n"
		  "[    3.500000] cpu0 klog after 7 drops\n"
		  "[    4.000000] cpu0 klog *** lost 0 records, 2 sub-buffers,"
		  " between [    4.000000] and [    6.000000] ***\n"
		  "[    6.500000] cpu0 klog after 2 overwritten\n");
	return 0;
}

/* A snapshot's trigger, in place at its time, with what it missed. */
static int test_snapshot_trigger_line(void)
{
	static const struct relay_trigger nmi = {
		.kind = RELAY_TRIGGER_KERNEL, .cpu = 1,
		.context = RELAYFS_TRIGGER_NMI, .seq = 1,
		.time_ns = 2500000000ULL, .kernel_seq = 1,
		.reason = "disk error",
	};
	/* A reason is text of one line: no line or escape of its own. */
	static const struct relay_trigger sig = {
		.kind = RELAY_TRIGGER_SIGNAL, .seq = 2,
		.time_ns = 5000000000ULL, .missed = 3,
		.reason = "SIGUSR1\n[    9.000000] cpu0 klog FAKE\x1b[2J\x7f",
	};
	struct run_desc d = klog;
	FILE *f = new_file("snap1.relay");
	char path[256];

	d.trigger = &nmi;
	put_header(f, &d);
	put_frame(f, 0, 2, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.500000] cpu0 klog before\n");
	put_end(f);
	fclose(f);
	f = new_file("snap2.relay");
	d.id = 2;
	d.trigger = &sig;
	put_header(f, &d);
	put_frame(f, 0, 5, 3000000000ULL, 4000000000ULL, 0,
		  "[    3.500000] cpu0 klog between\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("snap1.relay snap2.relay"), 0);
	/* Other tests merge the whole directory: not with these. */
	snprintf(path, sizeof(path), "%s/snap1.relay", dir);
	CHECK_EQ(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/snap2.relay", dir);
	CHECK_EQ(unlink(path), 0);
	CHECK_STR(out,
		  "[    1.000000] cpu0 klog *** lost 0 records, 2 sub-buffers,"
		  " before [    1.000000] ***\n"
		  "[    1.500000] cpu0 klog before\n"
		  "[    2.500000] === trigger disk error (nmi, cpu 1) ===\n"
		  "[    3.000000] cpu0 klog *** lost 0 records, 5 sub-buffers,"
		  " before [    3.000000] ***\n"
		  "[    3.500000] cpu0 klog between\n"
		  "[    5.000000] === trigger SIGUSR1?[    9.000000] cpu0 klog "
		  "FAKE?[2J? (signal, cpu 0; 3 more missed) ===\n");
	return 0;
}

/*
 * --pid, --comm, --cgroup: task records only, all filters at once (AND),
 * a record's continuation lines with it, loss markers always.
 */
static int test_filters(void)
{
	FILE *f = new_file("ctx.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.100000] cpu0 klog t:100/100:7:sh one\n"
		  "[    1.200000] cpu0 klog t:100/101:7:work\\x20a two\n"
		  "\tsecond line of two\n"
		  "[    1.300000] cpu0 klog h:100/100:7:sh three\n"
		  "[    1.400000] cpu0 klog old form four\n");
	put_frame(f, 0, 1, 3000000000ULL, 4000000000ULL, 2,
		  "[    3.100000] cpu0 klog t:200/200:9:sh five\n"
		  "[    3.200000] cpu0 klog n:200/200:-:sh six\n"
		  "[    3.300000] cpu0 klog t:0/0:-:swapper/0 seven\n");
	put_end(f);
	fclose(f);
#define LOSS "[    2.000000] cpu0 klog *** lost 2 records, 0 sub-buffers," \
	" between [    2.000000] and [    3.000000] ***\n"
	CHECK_EQ(merge("--pid 100 ctx.relay"), 0);
	CHECK_STR(out, "[    1.100000] cpu0 klog t:100/100:7:sh one\n"
		  "[    1.200000] cpu0 klog t:100/101:7:work\\x20a two\n"
		  "\tsecond line of two\n" LOSS);
	CHECK_STR(err, "");
	CHECK_EQ(merge("--pid 101 ctx.relay"), 0);
	CHECK_STR(out, "[    1.200000] cpu0 klog t:100/101:7:work\\x20a two\n"
		  "\tsecond line of two\n" LOSS);
	CHECK_EQ(merge("--pid 0,200 ctx.relay"), 0);
	CHECK_STR(out, LOSS "[    3.100000] cpu0 klog t:200/200:9:sh five\n"
		  "[    3.300000] cpu0 klog t:0/0:-:swapper/0 seven\n");
	CHECK_EQ(merge("--comm sh ctx.relay"), 0);
	CHECK_STR(out, "[    1.100000] cpu0 klog t:100/100:7:sh one\n" LOSS
		  "[    3.100000] cpu0 klog t:200/200:9:sh five\n");
	CHECK_EQ(merge("--comm 'work a' ctx.relay"), 0);
	CHECK_STR(out, "[    1.200000] cpu0 klog t:100/101:7:work\\x20a two\n"
		  "\tsecond line of two\n" LOSS);
	CHECK_EQ(merge("--cgroup 9 ctx.relay"), 0);
	CHECK_STR(out, LOSS "[    3.100000] cpu0 klog t:200/200:9:sh five\n");
	CHECK_EQ(merge("--cgroup 7 --comm sh ctx.relay"), 0);
	CHECK_STR(out, "[    1.100000] cpu0 klog t:100/100:7:sh one\n" LOSS);
	CHECK_EQ(merge("--cgroup 9 --pid 100 ctx.relay"), 0);
	CHECK_STR(out, LOSS);
	/* no filter: everything */
	CHECK_EQ(merge("ctx.relay"), 0);
	CHECK(strstr(out, "old form four") && strstr(out, "h:100/100:7:sh"));
	CHECK_EQ(merge("--pid 1x ctx.relay"), 2);
	CHECK_STR(err, "relay-merge: --pid: '1x' is not a list of numbers\n"
		  "Try 'relay-merge --help' for more information.\n");
	CHECK_EQ(merge("--pid 1, ctx.relay"), 2);
	CHECK_EQ(merge("--cgroup 12z ctx.relay"), 2);
	CHECK_EQ(merge("--cgroup no/such/cgroup ctx.relay"), 2);
	CHECK_STR(err, "relay-merge: --cgroup: /sys/fs/cgroup/no/such/cgroup: "
		  "No such file or directory\n");
	return 0;
#undef LOSS
}

/* App @app of a run of @napps, of @ncpus CPUs, anchored as klog's. */
static void put_app_header_n(FILE *f, const char *app, unsigned int index,
			     unsigned int napps, unsigned int ncpus)
{
	struct relay_run_header h = {
		.flags = RELAY_HDR_ANCHOR | RELAY_HDR_APPS, .ncpus = ncpus,
		.subbuf_size = 4096, .n_subbufs = 4,
		.start_ns = klog.real0, .host = "host1",
		.kernel = "6.12.0-test", .app = app, .base = app,
		.tool = "relay-collect 1.0", .library = "librelay 1.0",
		.cmdline = "relay-collect klog tprintk sample",
		.app_index = index, .napps = napps,
		.anchor = { .version = 1, .local_ns = 1000000000000ULL,
			    .realtime_ns = klog.real0 },
	};
	uint8_t *p;
	size_t n;

	memset(h.run_id, 7, sizeof(h.run_id));
	if (relay_encode_run(&h, &p, &n))
		abort();
	fwrite(p, 1, n, f);
	free(p);
}

/* The same, of 2 CPUs. */
static void put_app_header(FILE *f, const char *app, unsigned int index,
			   unsigned int napps)
{
	put_app_header_n(f, app, index, napps, 2);
}

/* put_frame() of app @app, closed when opened. */
static void put_app_frame(FILE *f, unsigned int app, unsigned int cpu,
			  uint64_t seq, uint64_t t_open, uint64_t drops,
			  const char *text)
{
	put_app_frame_t(f, app, cpu, seq, t_open, t_open, drops, text);
}

/*
 * A run of three apps (relay-collect klog tprintk sample): one timeline
 * of the text apps (--app), each app's losses under its own name, its
 * CPUs its own (the same CPU number in two apps is two buffers).
 */
static int test_several_apps_one_run(void)
{
	FILE *f = new_file("k+t+s.relay");

	put_app_header(f, "klog", 0, 3);
	put_app_header(f, "tprintk", 1, 3);
	put_app_header(f, "sample", 2, 3);
	put_app_frame(f, 0, 0, 0, 1000000000000ULL, 0,
		      "[ 1000.100000] cpu0 klog t:1/1:1:init k0\n");
	put_app_frame(f, 2, 0, 0, 1000000000000ULL, 0, "\x01\x02binary\n");
	put_app_frame(f, 1, 0, 0, 1000000000000ULL, 0,
		      "[ 1000.200000] cpu0 <5> t:1/1:1:init t0\n");
	put_app_frame(f, 0, 0, 1, 1001000000000ULL, 0,
		      "[ 1001.100000] cpu0 klog t:1/1:1:init k1\n");
	/* tprintk's cpu0 lost 3 records; klog's cpu0 did not */
	put_app_frame(f, 1, 0, 1, 1001000000000ULL, 3,
		      "[ 1001.200000] cpu0 <5> t:1/1:1:init t1\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("--app klog,tprintk k+t+s.relay"), 0);
	/* the loss at the close of tprintk's cpu0 frame before it */
	CHECK_STR(out,
		  "[ 1000.000000] cpu0 tprintk *** lost 3 records, 0 sub-buffers,"
		  " between [ 1000.000000] and [ 1001.000000] ***\n"
		  "[ 1000.100000] cpu0 klog t:1/1:1:init k0\n"
		  "[ 1000.200000] cpu0 <5> t:1/1:1:init t0\n"
		  "[ 1001.100000] cpu0 klog t:1/1:1:init k1\n"
		  "[ 1001.200000] cpu0 <5> t:1/1:1:init t1\n");
	CHECK_STR(err, "");
	CHECK_EQ(merge("--app tprintk -T k+t+s.relay"), 0);
	CHECK_STR(out,
		  "[2026-11-28 11:00:00.000000] cpu0 tprintk *** lost 3 "
		  "records, 0 sub-buffers, between [2026-11-28 11:00:00.000000]"
		  " and [2026-11-28 11:00:01.000000] ***\n"
		  "[2026-11-28 11:00:00.200000] cpu0 <5> t:1/1:1:init t0\n"
		  "[2026-11-28 11:00:01.200000] cpu0 <5> t:1/1:1:init t1\n");
	/* every app: sample's bytes too, as they are */
	CHECK_EQ(merge("k+t+s.relay"), 0);
	CHECK(strstr(out, "\x01\x02binary\n"));
	CHECK_EQ(merge("--app , k+t+s.relay"), 2);
	return 0;
}

/* A rotated run: its parts continue one another, no false loss. */
static int test_rotated_parts(void)
{
	struct run_desc part1 = klog;
	FILE *f = new_file("klog.000000.relay");

	part1.index = 1;
	put_header(f, &klog);
	put_frame(f, 0, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.000000] cpu0 klog part 0\n");
	put_end(f);
	fclose(f);
	f = new_file("klog.000001.relay");
	put_header(f, &part1);
	put_frame(f, 0, 1, 2000000000ULL, 3000000000ULL, 0,
		  "[    2.000000] cpu0 klog part 1\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("klog.000001.relay klog.000000.relay"), 0);
	CHECK_STR(out, "[    1.000000] cpu0 klog part 0\n"
		  "[    2.000000] cpu0 klog part 1\n");
	/* the second part alone: nothing known before it, no marker */
	CHECK_EQ(merge("klog.000001.relay"), 0);
	CHECK_STR(out, "[    2.000000] cpu0 klog part 1\n");
	return 0;
}

/* A compressed run (.relay.zst) in a directory, beside a plain one. */
static int test_compressed_run(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/z", dir);
	CHECK(mkdir(path, 0755) == 0);
	f = new_file("z/klog.relay.zst");
	put_header(f, &klog);
	put_zframe(f, 0, 0, 1000000000ULL,
		   "[    1.000000] cpu0 klog compressed\n"
		   "[    3.000000] cpu0 klog compressed too\n");
	put_end(f);
	fclose(f);
	f = new_file("z/tprintk.relay");
	put_header(f, &tprintk);
	put_frame(f, 1, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    2.000000] cpu1 <6> plain\n");
	put_end(f);
	fclose(f);
	f = new_file("z/notes.txt");
	fputs("not a run: left alone\n", f);
	fclose(f);
	CHECK_EQ(merge("z"), 0);
	CHECK_STR(out, "[    1.000000] cpu0 klog compressed\n"
		  "[    2.000000] cpu1 <6> plain\n"
		  "[    3.000000] cpu0 klog compressed too\n");
	return 0;
}

/* Defect 5: an input that cannot be read is an error naming it. */
static int test_input_errors(void)
{
	FILE *f;
	char path[256], want[128];
	struct stat st;
	long n;

	CHECK_EQ(merge("nosuch.relay"), 1);
	CHECK_STR(err, "relay-merge: nosuch.relay: No such file or "
		  "directory\n");
	CHECK_STR(out, "");
	snprintf(path, sizeof(path), "%s/empty", dir);
	CHECK_EQ(mkdir(path, 0755) == 0 || errno == EEXIST, 1);
	CHECK_EQ(merge("empty"), 1);
	CHECK(strstr(err, "relay-merge: empty: no run file"));
	/* a good run, then one with a damaged byte: the damaged one named */
	two_apps();
	snprintf(path, sizeof(path), "%s/tprintk.relay", dir);
	CHECK(stat(path, &st) == 0);
	f = fopen(path, "r+");
	CHECK(f);
	n = st.st_size - 10;	/* in the trailer: its CRC fails */
	fseek(f, n, SEEK_SET);
	fputc(fgetc(f) ^ 1, f);
	fseek(f, n, SEEK_SET);
	fclose(f);
	CHECK_EQ(merge("klog.relay tprintk.relay"), 1);
	CHECK(strncmp(err, "relay-merge: tprintk.relay: offset ", 35) == 0);
	/* every record read before the error, of both inputs */
	CHECK_STR(out, two_apps_local);
	/* the damaged input first: the next one is still read */
	CHECK_EQ(merge("tprintk.relay klog.relay"), 1);
	CHECK(strncmp(err, "relay-merge: tprintk.relay: offset ", 35) == 0);
	CHECK_STR(out, two_apps_local);
	/* a bad byte in klog's first frame header: tprintk's lines remain */
	two_apps();
	snprintf(path, sizeof(path), "%s/klog.relay", dir);
	f = fopen(path, "r+");
	CHECK(f);
	fseek(f, 0, SEEK_SET);
	n = 0;
	{
		uint8_t b8[8];

		CHECK(fread(b8, 1, 8, f) == 8);
		n = relay_get32(b8 + 4) + 8 + 30;	/* frame 1, seq */
	}
	fseek(f, n, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	CHECK_EQ(merge("klog.relay tprintk.relay"), 1);
	snprintf(want, sizeof(want), "relay-merge: klog.relay: offset %ld: "
		 "bad CRC\n", n - 30);
	CHECK_STR(err, want);
	CHECK_STR(out, "[ 1001.000000] cpu1 <6> p1\n"
		  "[ 1002.500000] cpu1 <4> p2\n");
	/* not a run at all (a raw per-CPU file of the old collector) */
	f = new_file("raw.0");
	fputs("[    1.000000] cpu0 klog raw\n", f);
	fclose(f);
	CHECK_EQ(merge("raw.0"), 1);
	CHECK(strncmp(err, "relay-merge: raw.0: ", 20) == 0);
	return 0;
}

/* A frame of a CPU the run does not have: an error, not a crash. */
static int test_cpu_beyond_run(void)
{
	FILE *f = new_file("badcpu.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.000000] cpu0 klog before\n");
	put_frame(f, 0xffffffffU, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.500000] cpu? klog\n");
	put_frame(f, 2, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.600000] cpu2 klog\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("badcpu.relay"), 1);
	CHECK(strstr(err, "relay-merge: badcpu.relay: offset ") == err);
	CHECK(strstr(err, ": frame of cpu 4294967295, the run has 2\n"));
	CHECK_STR(out, "[    1.000000] cpu0 klog before\n");
	return 0;
}

/* A timestamp beyond int64 ns is no timestamp: its line keeps context. */
static int test_timestamp_overflow(void)
{
	FILE *f = new_file("big.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 4000000000ULL, 5000000000ULL, 0,
		  "[    5.000000] cpu0 klog five\n"
		  "[9999999999.000000] cpu0 too big\n"
		  "[9223372036.854775] cpu0 still too big\n");
	put_frame(f, 1, 0, 4000000000ULL, 8000000000ULL, 0,
		  "[    6.000000] cpu1 klog six\n"
		  "[9223372035.000000] cpu1 the last that fits\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("big.relay"), 0);
	CHECK_STR(out,
		  "[    5.000000] cpu0 klog five\n"
		  "[9999999999.000000] cpu0 too big\n"
		  "[9223372036.854775] cpu0 still too big\n"
		  "[    6.000000] cpu1 klog six\n"
		  "[9223372035.000000] cpu1 the last that fits\n");
	CHECK_STR(err, "");
	return 0;
}

/* Killed runs are read up to their last whole frame, and said so. */
static int test_unfinished_run(void)
{
	FILE *f = new_file("killed.relay");

	put_header(f, &klog);
	put_frame(f, 0, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.000000] cpu0 klog whole\n");
	put_frame(f, 0, 1, 2000000000ULL, 3000000000ULL, 0,
		  "[    2.000000] cpu0 klog cut");
	fclose(f);
	{
		char path[256];
		struct stat st;

		snprintf(path, sizeof(path), "%s/killed.relay", dir);
		CHECK(stat(path, &st) == 0);
		CHECK(truncate(path, st.st_size - 3) == 0);
	}
	CHECK_EQ(merge("killed.relay"), 0);
	CHECK_STR(out, "[    1.000000] cpu0 klog whole\n");
	CHECK_STR(err, "relay-merge: killed.relay: the run never finished "
		  "(read up to its last whole frame)\n");
	return 0;
}

/* No clock anchor (a kernel without the ioctl): local time only. */
static int test_no_anchor(void)
{
	struct run_desc d = { "host1", "klog", 9, 0, false, 0, NULL };
	FILE *f = new_file("noanchor.relay");

	put_header(f, &d);
	put_frame(f, 0, 0, 1000000000ULL, 2000000000ULL, 0,
		  "[    1.000000] cpu0 klog x\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("noanchor.relay"), 0);
	CHECK_STR(out, "[    1.000000] cpu0 klog x\n");
	CHECK_EQ(merge("-T noanchor.relay"), 1);
	CHECK(strstr(err, "noanchor.relay: the run of klog has no clock "
		     "anchor"));
	CHECK_STR(out, "");
	return 0;
}

/* Defect 9: an output error is the exit status, not silence. */
static int test_output_error(void)
{
	two_apps();
	CHECK_EQ(merge("klog.relay >/dev/full"), 1);
	CHECK_STR(err, "relay-merge: standard output: No space left on "
		  "device\n");
	CHECK_EQ(merge("--version >/dev/full"), 1);
	CHECK_EQ(merge("--help >/dev/full"), 1);
	return 0;
}

static int test_cli(void)
{
	char want[64];
	FILE *f;

	CHECK_EQ(merge("--version"), 0);
	f = fopen("VERSION", "r");
	CHECK(f);
	CHECK(fgets(want + 12, sizeof(want) - 12, f));
	fclose(f);
	memcpy(want, "relay-merge ", 12);
	CHECK_STR(out, want);
	CHECK_EQ(merge("-V"), 0);
	CHECK_STR(out, want);
	/* a usage error: one line and a hint, not the help */
	CHECK_EQ(merge("--bogus x.relay"), 2);
	CHECK_STR(err, "relay-merge: unknown option '--bogus'\n"
		  "Try 'relay-merge --help' for more information.\n");
	CHECK_STR(out, "");
	CHECK_EQ(merge(""), 2);
	CHECK_STR(err, "relay-merge: no input: name run files, directories "
		  "or -\nTry 'relay-merge --help' for more information.\n");
	CHECK_EQ(merge("--clock=tai x"), 2);
	CHECK_STR(err, "relay-merge: --clock: 'tai' is not local, boot, mono "
		  "or real\nTry 'relay-merge --help' for more information.\n");
	CHECK_EQ(merge("x --clock"), 2);
	CHECK_STR(err, "relay-merge: --clock needs an argument\n"
		  "Try 'relay-merge --help' for more information.\n");
	CHECK_EQ(merge("-T --clock=mono x"), 2);
	CHECK_EQ(merge("-T --clock=real klog.relay"), 0);
	CHECK_EQ(merge("--help"), 0);
	CHECK(strstr(out, "usage: relay-merge"));
	return 0;
}

/* ---- --follow ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* relay-merge --follow @args in the background, output to out, err. */
static pid_t follow_start(const char *args)
{
	const char *tool = getenv("RELAY_MERGE");
	char cmd[1024], cwd[512];
	pid_t pid;

	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(cmd, sizeof(cmd), "cd %s && TZ=UTC exec %s%s --follow %s "
		 ">out 2>err", dir, tool ? "" : cwd,
		 tool ? tool : "/build/bin/relay-merge", args);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait until out is exactly @want: the seconds it took, or -1. */
static double wait_out(const char *want, double secs)
{
	char o[128];
	double t0 = now_s();

	snprintf(o, sizeof(o), "%s/out", dir);
	do {
		slurp(o, out, sizeof(out));
		if (!strcmp(out, want))
			return now_s() - t0;
		usleep(5000);
	} while (now_s() - t0 < secs);
	printf("# after %.1f s, out:\n%s# want:\n%s", secs, out, want);
	return -1;
}

/* Its exit status within @secs (-1: still running, then killed). */
static int follow_end(pid_t pid, double secs)
{
	double t0 = now_s();
	char e[128], o[128];
	int st;

	snprintf(e, sizeof(e), "%s/err", dir);
	snprintf(o, sizeof(o), "%s/out", dir);
	do {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			slurp(e, err, sizeof(err));
			slurp(o, out, sizeof(out));
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(5000);
	} while (now_s() - t0 < secs);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* A new file in f/: the directories other tests merge stay as they were. */
static FILE *follow_file(const char *name)
{
	char path[64], sub[32];

	snprintf(path, sizeof(path), "%s/f", dir);
	mkdir(path, 0755);
	snprintf(sub, sizeof(sub), "f/%.20s", name);
	return new_file(sub);
}

/*
 * f/@name with klog's run header, followed by relay-merge --follow
 * --hold-back=@hold from now on; NULL on failure.
 */
static FILE *follow_begin(const char *name, const char *hold, pid_t *pid)
{
	FILE *f = follow_file(name);
	char args[128];

	if (!f)
		return NULL;
	put_header(f, &klog);
	fflush(f);
	snprintf(args, sizeof(args), "--hold-back=%s f/%s", hold, name);
	*pid = follow_start(args);
	if (*pid <= 0) {
		fclose(f);
		return NULL;
	}
	usleep(100000);
	return f;
}

static void put_end_flags(FILE *f, uint32_t flags)
{
	struct relay_trailer t = { .frames = 1, .flags = flags };
	uint8_t b[RELAY_TRAILER_LEN];

	relay_encode_trailer(b, &t);
	fwrite(b, 1, sizeof(b), f);
}

#define S(x)	((uint64_t)((x) * 1e9 + 0.5))

static const char grow_a[] = "[    1.050000] cpu0 klog A\n";
static const char grow_b[] =
	"[    1.100000] cpu0 klog *** lost 3 records, 0 sub-buffers, "
	"between [    1.100000] and [    1.300000] ***\n"
	"[    1.150000] cpu1 klog B\n";
static const char grow_c[] = "[    1.350000] cpu0 klog C\n";

/*
 * A file written while relay-merge --follow reads it: a record comes out
 * once every CPU is known past its time (here never by the hold-back,
 * 10 s), a frame written in two halves is read whole, the loss comes in
 * line, and the trailer ends it with what was held.
 */
static int test_follow_growing_file(void)
{
	char *frame, want[512];
	size_t flen;
	pid_t pid;
	FILE *f = follow_begin("grow.relay", "10s", &pid), *mf;

	CHECK(f != NULL);
	put_frame(f, 0, 0, S(1.0), S(1.1), 0, grow_a);
	put_frame(f, 1, 0, S(1.0), S(1.2), 0, "[    1.150000] cpu1 klog B\n");
	fflush(f);
	/* A: both CPUs are past 1.05; B is not (cpu0 closed at 1.1). */
	CHECK(wait_out(grow_a, 5) >= 0);
	usleep(300000);
	CHECK(wait_out(grow_a, 0) >= 0);
	/* cpu0 again, after 3 drops: in two writes. */
	mf = open_memstream(&frame, &flen);
	CHECK(mf != NULL);
	put_frame(mf, 0, 1, S(1.3), S(1.4), 3, grow_c);
	fclose(mf);
	fwrite(frame, 1, flen / 2, f);
	fflush(f);
	usleep(200000);
	CHECK(wait_out(grow_a, 0) >= 0);
	fwrite(frame + flen / 2, 1, flen - flen / 2, f);
	fflush(f);
	free(frame);
	snprintf(want, sizeof(want), "%s%s", grow_a, grow_b);
	CHECK(wait_out(want, 5) >= 0);
	put_end(f);
	fclose(f);
	CHECK_EQ(follow_end(pid, 5), 0);
	snprintf(want, sizeof(want), "%s%s%s", grow_a, grow_b, grow_c);
	CHECK_STR(out, want);
	CHECK_STR(err, "");
	return 0;
}

/*
 * A quiet CPU never says it is past anything: the hold-back bounds the
 * wait (300 ms here).  Ctrl-C ends a run that has no trailer yet, with
 * what is held printed, status 0.
 */
static int test_follow_hold_back(void)
{
	double t;
	pid_t pid;
	FILE *f = follow_begin("quiet.relay", "300ms", &pid);

	CHECK(f != NULL);
	put_frame(f, 0, 0, S(1.0), S(1.1), 0, grow_a);
	fflush(f);
	t = wait_out(grow_a, 5);
	printf("# the quiet run's line after %.3f s (hold-back 0.3 s)\n", t);
	CHECK(t >= 0.29 && t < 2);
	put_frame(f, 0, 1, S(2.0), S(2.1), 0, "[    2.050000] cpu0 klog D\n");
	fflush(f);
	usleep(50000);
	kill(pid, SIGINT);
	CHECK_EQ(follow_end(pid, 5), 0);
	CHECK_STR(out, "[    1.050000] cpu0 klog A\n"
		  "[    2.050000] cpu0 klog D\n");
	fclose(f);
	return 0;
}

/*
 * The directory relay-collect -o writes, followed before its first file
 * appears, across a rotation (CONTINUED, then the next part), to the
 * final trailer; a compressed part too.
 */
static int test_follow_rotation(void)
{
	struct run_desc part1 = klog;
	char path[256];
	FILE *f;
	pid_t pid;

	part1.index = 1;
	snprintf(path, sizeof(path), "%s/rot", dir);
	CHECK_EQ(mkdir(path, 0755), 0);
	pid = follow_start("--hold-back=10s rot");
	CHECK(pid > 0);
	usleep(200000);
	f = new_file("rot/klog.000000.relay.zst");
	CHECK(f != NULL);
	put_header(f, &klog);
	put_zframe(f, 0, 0, S(1.0), "[    1.000000] cpu0 klog part 0\n");
	put_frame(f, 1, 0, S(1.0), S(2.0), 0,
		  "[    1.500000] cpu1 klog part 0\n");
	put_end_flags(f, RELAY_TRAILER_CONTINUED);
	fclose(f);
	/* cpu0's zstd frame closed at 1.1: only its line is known. */
	CHECK(wait_out("[    1.000000] cpu0 klog part 0\n", 5) >= 0);
	usleep(200000);
	CHECK_EQ(waitpid(pid, NULL, WNOHANG), 0);
	f = new_file("rot/klog.000001.relay.zst");
	CHECK(f != NULL);
	put_header(f, &part1);
	put_frame(f, 0, 1, S(2.5), S(3.0), 0,
		  "[    2.500000] cpu0 klog part 1\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(follow_end(pid, 5), 0);
	CHECK_STR(out, "[    1.000000] cpu0 klog part 0\n"
		  "[    1.500000] cpu1 klog part 0\n"
		  "[    2.500000] cpu0 klog part 1\n");
	CHECK_STR(err, "");
	return 0;
}

/*
 * relay-collect -c | relay-merge --follow -: the same rule on a pipe;
 * the loss in line; the trailer ends it before the pipe closes.  A pipe
 * that ends with the run unfinished prints what it has, and says so.
 */
static int test_follow_pipe(void)
{
	const char *tool = getenv("RELAY_MERGE");
	char cmd[1024], cwd[512], want[512];
	FILE *p;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(cmd, sizeof(cmd), "cd %s && TZ=UTC exec %s%s --follow "
		 "--hold-back=10s - >out 2>err", dir, tool ? "" : cwd,
		 tool ? tool : "/build/bin/relay-merge");
	p = popen(cmd, "w");
	CHECK(p != NULL);
	put_header(p, &klog);
	put_frame(p, 0, 0, S(1.0), S(1.1), 0, grow_a);
	put_frame(p, 1, 0, S(1.0), S(1.2), 0, "[    1.150000] cpu1 klog B\n");
	fflush(p);
	CHECK(wait_out(grow_a, 5) >= 0);
	put_frame(p, 0, 1, S(1.3), S(1.4), 3, grow_c);
	fflush(p);
	snprintf(want, sizeof(want), "%s%s", grow_a, grow_b);
	CHECK(wait_out(want, 5) >= 0);
	put_end(p);
	fflush(p);
	snprintf(want, sizeof(want), "%s%s%s", grow_a, grow_b, grow_c);
	/* The trailer ends it while the pipe is still open. */
	CHECK(wait_out(want, 5) >= 0);
	CHECK_EQ(pclose(p), 0);

	p = popen(cmd, "w");
	CHECK(p != NULL);
	put_header(p, &klog);
	put_frame(p, 0, 0, S(1.0), S(1.1), 0, grow_a);
	CHECK_EQ(pclose(p), 0);
	snprintf(cmd, sizeof(cmd), "%s/out", dir);
	slurp(cmd, out, sizeof(out));
	CHECK_STR(out, grow_a);
	snprintf(cmd, sizeof(cmd), "%s/err", dir);
	slurp(cmd, err, sizeof(err));
	CHECK_STR(err, "relay-merge: standard input: the run never finished "
		  "(read up to its last whole frame)\n");
	return 0;
}

/*
 * --follow on a run of two apps of different CPU counts (klog on 4,
 * tprintk on 1): each frame is its own app's, as without --follow.
 */
static int test_follow_several_apps(void)
{
	const char *two =
		"[ 1000.100000] cpu3 klog t:1/1:1:init k3\n"
		"[ 1000.200000] cpu0 <5> t:1/1:1:init t0\n";
	FILE *f = follow_file("k4+t1.relay");
	pid_t pid;

	CHECK(f != NULL);
	put_app_header_n(f, "klog", 0, 2, 4);
	put_app_header_n(f, "tprintk", 1, 2, 1);
	put_app_frame(f, 0, 3, 0, 1000000000000ULL, 0,
		      "[ 1000.100000] cpu3 klog t:1/1:1:init k3\n");
	put_app_frame(f, 1, 0, 0, 1000000000000ULL, 0,
		      "[ 1000.200000] cpu0 <5> t:1/1:1:init t0\n");
	put_end(f);
	fclose(f);
	CHECK_EQ(merge("f/k4+t1.relay"), 0);
	CHECK_STR(out, two);
	pid = follow_start("--hold-back=10s f/k4+t1.relay");
	CHECK(pid > 0);
	CHECK_EQ(follow_end(pid, 5), 0);
	CHECK_STR(out, two);
	CHECK_STR(err, "");
	pid = follow_start("--hold-back=10s --app klog f/k4+t1.relay");
	CHECK(pid > 0);
	CHECK_EQ(follow_end(pid, 5), 0);
	CHECK_STR(out, "[ 1000.100000] cpu3 klog t:1/1:1:init k3\n");
	CHECK_STR(err, "");
	return 0;
}

static const struct ktap_case cases[] = {
	{ "follow_several_apps", test_follow_several_apps },
	{ "follow_growing_file", test_follow_growing_file },
	{ "follow_hold_back", test_follow_hold_back },
	{ "follow_rotation", test_follow_rotation },
	{ "follow_pipe", test_follow_pipe },
	{ "snapshot_trigger_line", test_snapshot_trigger_line },
	{ "two_apps_one_timeline", test_two_apps_one_timeline },
	{ "wall_clock", test_wall_clock },
	{ "two_hosts", test_two_hosts },
	{ "lines_keep_their_context", test_lines_keep_their_context },
	{ "loss_markers", test_loss_markers },
	{ "filters", test_filters },
	{ "several_apps_one_run", test_several_apps_one_run },
	{ "rotated_parts", test_rotated_parts },
	{ "compressed_run", test_compressed_run },
	{ "input_errors", test_input_errors },
	{ "cpu_beyond_run", test_cpu_beyond_run },
	{ "timestamp_overflow", test_timestamp_overflow },
	{ "unfinished_run", test_unfinished_run },
	{ "no_anchor", test_no_anchor },
	{ "output_error", test_output_error },
	{ "cli", test_cli },
};

int main(int argc, char **argv)
{
	char cmd[128];
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = ktap_run(cases, sizeof(cases) / sizeof(cases[0]), argv + 1,
		       argc - 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		ret = 1;
	return ret;
}

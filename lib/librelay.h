/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librelay: user-space side of relayfs.
 *
 * Three parts:
 *  - relay_app_run(): the collector in one call.  Starts a relay-app run
 *    through <root>/<app>/control, drains every per-CPU buffer as data
 *    becomes available, each sub-buffer one frame of the run format
 *    (docs/format.md) to a sink (files with rotation, a descriptor, zstd,
 *    or the caller's), stops on request, on a signal flag or after a
 *    duration, drains the rest and returns the counters.
 *  - relay_stream_*(): the reader of that format (files, pipes).
 *  - relay_reader_*(): one per-CPU buffer, for programs that consume
 *    buffers themselves: zero-copy through mmap and RELAYFS_IOC_CONSUME
 *    (falling back to read() where mmap is unavailable), one complete
 *    sub-buffer at a time with its metadata.
 *
 * Thread safety: each object (reader, stream, sink, run) is used by one
 * thread at a time; relay_run_stop() and relay_run_abort() are safe from
 * any thread and from signal handlers; the zstd sink calls the sink
 * behind it from a thread of its own.  Structs passed in with a size
 * field (options, sink ops) may grow at their end: set .size to sizeof.
 *
 * Every function returning int returns 0 (or a count) on success and a
 * negative errno value on failure; none sets errno as its result.
 */
#ifndef LIBRELAY_H
#define LIBRELAY_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/relayfs.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RELAY_DEFAULT_ROOT	"/sys/kernel/relayfs"

/* ---- one per-CPU buffer ---- */

struct relay_reader;

#define RELAY_READER_NO_MMAP	(1U << 0)	/* use read() */

/* One complete sub-buffer, valid until the next relay_reader_next(). */
struct relay_subbuf {
	const void *data;	/* header + records, padding removed */
	size_t len;
	struct relayfs_subbuf meta;	/* seq, times, drops, records, bytes */
};

/*
 * Open the per-CPU file @path.  -ENOTTY: not a relayfs buffer; -EBUSY:
 * it has a reader; other open(2) errors as -errno.
 */
int relay_reader_open(const char *path, unsigned int flags,
		      struct relay_reader **rp);
/* The file descriptor, for poll/epoll (EPOLLIN: data, EPOLLHUP: end). */
int relay_reader_fd(const struct relay_reader *r);
const struct relayfs_buf_info *relay_reader_info(const struct relay_reader *r);
/* 1 if the buffer is consumed through mmap, 0 through read(). */
int relay_reader_mapped(const struct relay_reader *r);
/*
 * The next complete sub-buffer.  Returns 1 and fills @sb; 0 at the end
 * (channel closed and drained); -EAGAIN if none is ready and !@wait;
 * -EINTR if a signal interrupted the wait; other -errno.  In overwrite
 * mode, sub-buffers overwritten before they were read are skipped: a gap
 * in meta.seq (relay_reader_lost() counts them).
 */
int relay_reader_next(struct relay_reader *r, struct relay_subbuf *sb,
		      int wait);
/* Sub-buffers this reader skipped because they were overwritten. */
uint64_t relay_reader_lost(const struct relay_reader *r);
/* The kernel's counters of the buffer (RELAYFS_IOC_GET_STATS). */
int relay_reader_stats(struct relay_reader *r, struct relayfs_buf_stats *st);
void relay_reader_close(struct relay_reader *r);

/* ---- the run format (docs/format.md): frames, and their reader ---- */

/* The highest version read; runs of one app are still written in 1. */
#define RELAY_FORMAT_VERSION	2

/* struct relay_run_header.flags */
#define RELAY_HDR_ANCHOR	(1U << 0)	/* .anchor is a real reading */
#define RELAY_HDR_OVERWRITE	(1U << 1)	/* the run's mode */
#define RELAY_HDR_COMPRESSED	(1U << 2)	/* frames may be zstd */
#define RELAY_HDR_SNAPSHOT	(1U << 3)	/* a snapshot: .trigger is real */

/* struct relay_trigger.kind: what asked for a snapshot */
enum relay_trigger_kind {
	RELAY_TRIGGER_KERNEL = 1,	/* relayfs_app_trigger() */
	RELAY_TRIGGER_CONTROL,		/* "snapshot" on control, or the
					 * ioctl (relay-collect --trigger) */
	RELAY_TRIGGER_SIGNAL,		/* relay_run_snapshot(): SIGUSR1 */
	RELAY_TRIGGER_MATCH,		/* a record matched trigger_match */
};

#define RELAY_TRIGGER_REASON_MAX	64	/* with its NUL */

/*
 * The trigger of a snapshot (the flight recorder): what, when, where.
 * time_ns is local_clock() ns, like frames' times: the kernel's reading
 * when it fired, the matching record's timestamp (the frame's t_close if
 * it has none), or the kernel clock read when the signal was taken.
 */
struct relay_trigger {
	uint32_t kind;		/* enum relay_trigger_kind */
	uint32_t cpu;		/* where it fired, or the record's CPU */
	uint32_t context;	/* RELAYFS_TRIGGER_TASK .. _NMI (kernel) */
	uint32_t flags;		/* the kernel's RELAYFS_TRIGGER_* */
	uint64_t seq;		/* the snapshot's number in the run: 1, 2.. */
	uint64_t time_ns;
	uint64_t kernel_seq;	/* the kernel's trigger seq; 0: none */
	/* triggers since the previous snapshot that made none: the
	 * kernel's missed, and those inside the minimum interval */
	uint64_t missed;
	char reason[RELAY_TRIGGER_REASON_MAX];
};

#define RELAY_HDR_APPS		(1U << 4)	/* app_index, napps valid */

/*
 * A run of several apps (relay_app_opts.apps): one run header per app at
 * the start of every file, app 0 first, all with RELAY_HDR_APPS; each
 * frame says its app in relay_frame.flags (RELAY_FRAME_APP()), and a
 * buffer (sink totals, counters) is named by RELAY_APP_CPU(app, cpu)
 * where a CPU number was: app 0's are the plain CPU numbers.
 */
#define RELAY_MAX_APPS		64
#define RELAY_APP_CPU(app, cpu)	((uint32_t)(app) << 16 | (uint32_t)(cpu))
#define RELAY_CPU_OF(id)	((id) & 0xffffU)
#define RELAY_APP_OF(id)	((id) >> 16)

/*
 * What produced a run: the first block of every file of it.  The strings
 * are never NULL (empty when unknown) and, from the reader, valid until
 * the next run header or relay_stream_close().
 */
struct relay_run_header {
	uint32_t version;		/* format version it was written in */
	uint32_t flags;			/* RELAY_HDR_* */
	uint32_t file_index;		/* 0, then +1 per rotated file */
	uint32_t ncpus;			/* possible CPUs of the channel */
	uint32_t subbuf_size, n_subbufs;
	uint8_t run_id[16];		/* the same in every file of a run */
	uint64_t start_ns;		/* CLOCK_REALTIME at the start */
	/* local_clock() against the POSIX clocks; valid with ANCHOR */
	struct relayfs_clocks anchor;
	const char *host, *kernel, *app, *base;
	const char *tool, *library, *cmdline;
	struct relay_trigger trigger;	/* with RELAY_HDR_SNAPSHOT */
	/* Read only with RELAY_HDR_APPS (added in 1.1); else 0 and 1. */
	uint32_t app_index, napps;
};

/* struct relay_frame.flags */
#define RELAY_FRAME_ZSTD	(1U << 0)	/* stored as a zstd frame */
/* Bits 16..31: the frame's app in a run of several (0 otherwise). */
#define RELAY_FRAME_APP(flags)		((flags) >> 16)
#define RELAY_FRAME_APP_FLAGS(app)	((uint32_t)(app) << 16)

/*
 * One sub-buffer of one CPU.  From the reader: @payload is the
 * sub-buffer's @len bytes (decompressed), valid until the next call;
 * RELAY_FRAME_ZSTD says it was stored compressed, @stored how many bytes
 * it took.  To a sink: @payload holds @stored bytes, a zstd frame of @len
 * bytes with RELAY_FRAME_ZSTD, else the @len bytes themselves.
 */
struct relay_frame {
	uint32_t cpu, flags;
	uint64_t seq, t_open, t_close;	/* local_clock() ns */
	uint64_t drops;			/* cumulative dropped records */
	uint64_t records, bytes;	/* records and their payload bytes */
	const void *payload;
	size_t len;
	size_t stored;
};

/* The kernel's final counters of one CPU, and what was written of it. */
struct relay_cpu_counters {
	uint32_t cpu;
	struct relayfs_buf_stats stats;
	uint64_t frames, bytes;		/* frames and bytes written out */
};

#define RELAY_TRAILER_CONTINUED	(1U << 0)	/* in the next file */
#define RELAY_TRAILER_ERROR	(1U << 1)	/* ended on an output error */

struct relay_trailer {
	uint32_t flags;			/* RELAY_TRAILER_* */
	uint64_t frames, bytes;		/* in this file */
	uint64_t end_ns;		/* CLOCK_REALTIME */
};

/*
 * Reads one framed file or stream (files, `relay-collect -c`, parts and
 * runs concatenated).  Not thread-safe: one thread per stream.
 */
struct relay_stream;

/* Open @path ("-": standard input).  -errno of open(2), -ENOMEM. */
int relay_stream_open(const char *path, struct relay_stream **sp);
/* The same on @fd, which relay_stream_close() closes. */
int relay_stream_fdopen(int fd, struct relay_stream **sp);
/*
 * The next item:
 *   1  a frame in *@f (payload decompressed, valid until the next call);
 *   2  a run header was read (a run's start, or a rotated file's):
 *      relay_stream_header() has it;
 *   0  clean end: the data ended right after a trailer;
 *   -ENODATA  the run never finished: the data ends (possibly in the
 *      middle of a frame) after the last whole frame, with no trailer;
 *   -EBADMSG  corrupt: relay_stream_error() names the offset;
 *   -EPROTONOSUPPORT  written by a newer format version;
 *   other -errno of read(2), -ENOMEM.
 * Errors and the end are sticky.
 */
int relay_stream_next(struct relay_stream *s, struct relay_frame *f);
/*
 * The run header just read (in a run of several apps, each app's header
 * is returned in turn); NULL before the first.
 */
const struct relay_run_header *relay_stream_header(const struct relay_stream *s);
/* Since 1.1: app @app's header of the current run; NULL if none. */
const struct relay_run_header *
relay_stream_app_header(const struct relay_stream *s, unsigned int app);
/*
 * The trailer of the run (or part) just read, once relay_stream_next()
 * returned 0 or a new header (then it is the previous run's); NULL if
 * that run had none (unfinished).  Cleared by the next call after a new
 * header, so an unfinished later run never shows an earlier trailer.
 */
const struct relay_trailer *relay_stream_trailer(const struct relay_stream *s);
/*
 * CPU @cpu's final counters (in a run of several apps @cpu is
 * RELAY_APP_CPU(app, cpu)) from the end of the run just read, once
 * relay_stream_next() returned 0 or a new header (then the previous
 * run's, until the next call); -ENOENT if the run had none for it
 * (unfinished, or a rotated part other than the last).
 */
int relay_stream_counters(const struct relay_stream *s, unsigned int cpu,
			  struct relay_cpu_counters *c);
/* What went wrong, with the byte offset: "offset 1234: bad CRC". */
const char *relay_stream_error(const struct relay_stream *s);
/* Bytes consumed from the stream so far. */
uint64_t relay_stream_offset(const struct relay_stream *s);
void relay_stream_close(struct relay_stream *s);

/*
 * Follows a run as it is written (relay-merge --follow, tail -f): a run
 * file, the directory relay-collect -o writes (its first run file in
 * name order, once one appears) or "-" (standard input, a pipe from
 * relay-collect -c).  A regular file that ends is waited on; a trailer
 * marked CONTINUED goes on in the next rotated file (<base>.<N+1>.relay
 * [.zst], waited for); the run's final trailer ends it.
 */
struct relay_follow;

/* -errno of open(2) or stat(2), -ENOMEM. */
int relay_follow_open(const char *path, struct relay_follow **fp);
/*
 * The next item, waiting at most @timeout_ms (0: not at all):
 *   1, 2  a frame, a run header (as relay_stream_next());
 *   0  the run ended: its final trailer was read (or standard input
 *      ended right after a trailer);
 *   -EAGAIN  nothing came within @timeout_ms: call again;
 *   -ENODATA  standard input ended with the run unfinished;
 *   other errors as relay_stream_next(), sticky.
 */
int relay_follow_next(struct relay_follow *fl, struct relay_frame *f,
		      int timeout_ms);
/* The current run header; NULL before the first. */
const struct relay_run_header *relay_follow_header(const struct relay_follow *fl);
/* The file being read ("standard input"). */
const char *relay_follow_name(const struct relay_follow *fl);
/* What went wrong, as relay_stream_error(); "" if nothing did. */
const char *relay_follow_error(const struct relay_follow *fl);
void relay_follow_close(struct relay_follow *fl);

/* ---- the collector ---- */

enum relay_mode {
	RELAY_MODE_DEFAULT,	/* the app's */
	RELAY_MODE_NO_OVERWRITE,
	RELAY_MODE_OVERWRITE,
};

/* One span of lost records, placed in time (local_clock() ns). */
struct relay_loss {
	uint64_t after;		/* t_close of the last sub-buffer before */
	uint64_t before;	/* t_open of the first sub-buffer after */
	uint64_t records;	/* dropped (no-overwrite) */
	uint64_t subbufs;	/* overwritten unread (overwrite) */
};

/* ---- sinks: where a run's frames go ---- */

/*
 * A sink takes a run's header, its frames and its end.  librelay has
 * files (with rotation), a file descriptor (standard output, a pipe),
 * and zstd compression, a stage in front of another sink; a program adds
 * its own with relay_sink_new().  A sink is driven from one thread at a
 * time; the zstd stage calls the sink behind it from its own thread.
 */
struct relay_sink;

struct relay_sink_ops {
	size_t size;		/* sizeof(struct relay_sink_ops) */
	/* A run starts: its header (the strings valid during the call). */
	int (*begin)(void *ctx, const struct relay_run_header *h);
	/* One frame; its payload is valid during the call only. */
	int (*frame)(void *ctx, const struct relay_frame *f);
	/*
	 * The run ends: the final counters of its @n CPUs and the trailer's
	 * RELAY_TRAILER_* flags (ERROR: the run ended on an error).
	 */
	int (*end)(void *ctx, const struct relay_cpu_counters *c,
		   unsigned int n, uint32_t flags);
	void (*destroy)(void *ctx);	/* may be NULL */
};

/* A sink of @ops on @ctx.  Each op returns 0 or a negative errno. */
int relay_sink_new(const struct relay_sink_ops *ops, void *ctx,
		   struct relay_sink **sp);

struct relay_file_opts {
	size_t size;		/* sizeof(struct relay_file_opts) */
	const char *dir;	/* made with its parents; NULL: "." */
	const char *name;	/* files are <dir>/<name>.relay (required) */
	int compressed;		/* ... .relay.zst: frames come compressed */
	uint64_t rotate_size;	/* bytes: a new file before exceeding it */
	double rotate_time;	/* seconds: a new file after this long */
	unsigned int max_files;	/* rotating: keep the newest N, delete */
};

/*
 * Files of the run format (docs/format.md): <dir>/<name>.relay, or with
 * rotation <dir>/<name>.<N>.relay (N from 000000), each starting with
 * the run header.  Rotation happens only between frames; every frame is
 * one write(2), and a failed write is cut back to the last whole frame.
 */
int relay_sink_files(const struct relay_file_opts *o, struct relay_sink **sp);
/* The format to @fd (not closed): standard output, a pipe, a socket. */
int relay_sink_fd(int fd, struct relay_sink **sp);
/*
 * zstd compression (@level 1..19, 0: 3) in front of @next, which it then
 * owns: frames are copied and compressed on a thread of its own, so the
 * caller never waits for compression unless @max_queue bytes (0: 64 MiB)
 * are already waiting.
 */
int relay_sink_zstd(int level, size_t max_queue, struct relay_sink *next,
		    struct relay_sink **sp);

/*
 * Drive a sink (the collector does; a program replaying a run may).  A
 * run of several apps: begin once per app, app 0 first, before any frame;
 * end once, with every app's counters (cpu: RELAY_APP_CPU(app, cpu)).
 */
int relay_sink_begin(struct relay_sink *s, const struct relay_run_header *h);
int relay_sink_frame(struct relay_sink *s, const struct relay_frame *f);
int relay_sink_end(struct relay_sink *s, const struct relay_cpu_counters *c,
		   unsigned int n, uint32_t flags);

/* What reached the end of a chain of sinks, for one CPU or all. */
struct relay_sink_totals {
	uint64_t frames, records, bytes;	/* bytes: payload (len) */
	uint64_t stored;		/* bytes as stored (compressed) */
	/* files sinks: */
	uint64_t files;			/* files written */
	uint64_t files_deleted;		/* by max_files, and in them: */
	uint64_t frames_deleted, records_deleted;
};
/* @cpu (RELAY_APP_CPU(app, cpu) in a run of several), or all with -1. */
void relay_sink_totals(const struct relay_sink *s, int cpu,
		       struct relay_sink_totals *t);
/* The error that failed the sink, naming the path: "out/x.relay: ...". */
const char *relay_sink_error(const struct relay_sink *s);
void relay_sink_free(struct relay_sink *s);

/* ---- the collector ---- */

struct relay_cpu_result {
	unsigned int cpu;
	uint64_t subbufs;	/* sub-buffers taken from the buffer */
	uint64_t bytes;		/* their bytes */
	uint64_t records;	/* their records */
	uint64_t backlog;	/* sub-buffers ready at the last look */
	uint64_t nlosses;	/* loss spans, of which the first few: */
	struct relay_loss loss[4];
	struct relay_loss worst;	/* the span that lost the most */
	struct relayfs_buf_stats stats;	/* the kernel's, at the end */
	/* What reached the output (all of the above unless it failed). */
	uint64_t written_subbufs, written_records, written_bytes;
};

struct relay_run {
	char app[256];
	char base[256];
	unsigned int ncpus;		/* entries in cpu[]: collected CPUs */
	size_t subbuf_size, n_subbufs;	/* as the kernel rounded them */
	int overwrite;
	int mapped;			/* drained through mmap */
	double elapsed;			/* seconds */
	struct relay_cpu_result *cpu;
	/*
	 * How the run ended: 0, or the error that ended it (the output's,
	 * with error_msg naming the path; the app was switched off and
	 * cpu[] says what was taken and what was written).
	 */
	int error;
	char error_msg[512];
	int aborted;			/* stopped without draining */
	int anchored;			/* the run header has a clock anchor */
	struct relay_sink_totals out;	/* the output, over all CPUs */
	/* --snapshot: snapshots written, triggers taken, and of these the
	 * ones that made none (inside the minimum interval, after the
	 * last of max_snapshots, or missed by the kernel's ring) */
	int snapshot;			/* a snapshot run */
	uint64_t snapshots, triggers, coalesced;
	char last_snapshot[4096];	/* its directory */
	void *priv;			/* librelay's */
	/*
	 * Since 1.1: a run of several apps (relay_app_opts.apps) has each
	 * app's results in apps[0..napps-1], apps[0] being this one (the
	 * first app's; error, aborted and out are the whole run's, here).
	 * napps is 1 and apps[0] this run otherwise.
	 */
	unsigned int napps;
	struct relay_run **apps;
};

struct relay_app_opts {
	size_t size;			/* sizeof(struct relay_app_opts) */
	const char *app;		/* required */
	const char *root;		/* NULL: RELAY_DEFAULT_ROOT */
	const char *dir;		/* output directory (made with its
					 * parents); NULL: "." */
	size_t subbuf_size, n_subbufs;	/* 0: the app's defaults */
	enum relay_mode mode;
	double duration;		/* seconds; 0: until stopped */
	int out_fd;			/* >= 0: the frames there, no files */
	unsigned int reader_flags;	/* RELAY_READER_* */
	/*
	 * Non-zero: stop and drain / stop now (an aborted run's output gets
	 * a second to take each write, then what it did not take is lost).
	 * Read atomically, by the collector's threads too: set them with
	 * __atomic_store_n() (a signal handler may), or use relay_run_stop().
	 * A handler without SA_RESTART lets a blocked write see the abort.
	 */
	const volatile sig_atomic_t *stop;
	const volatile sig_atomic_t *abort;
	/* Called about every progress_interval seconds while running. */
	void (*progress)(const struct relay_run *run, void *arg);
	void *progress_arg;
	double progress_interval;	/* 0: 1 second */
	/* Output: a sink of the caller's (not freed), else files/out_fd. */
	struct relay_sink *sink;
	int compress;			/* zstd level 1..19; 0: none */
	uint64_t rotate_size;		/* relay_file_opts */
	double rotate_time;
	unsigned int max_files;
	/* For the run header: the tool and its command line. */
	const char *tool, *cmdline;
	/*
	 * Seconds, 0.01 .. 120 (0: none): bound how late a record reaches
	 * the output (relay-collect(1) --latency): the run's flush interval
	 * is half of it, and buffers whose open sub-buffer is older than a
	 * quarter are flushed (RELAYFS_IOC_FLUSH).
	 */
	double latency;
	/*
	 * Flight recorder: the run is in overwrite mode and nothing is
	 * written until a trigger; each trigger writes the buffers' intact
	 * complete sub-buffers to a new directory under dir,
	 * snapshot-<UTC time>-<N>/<base>.relay.  Triggers: the kernel's
	 * (relayfs_app_trigger()), "snapshot" on control or
	 * RELAYFS_IOC_TRIGGER (relay_app_trigger()), relay_run_snapshot(),
	 * and records of a text app matching trigger_match.  The mode is
	 * overwrite whatever mode says; out_fd, sink and rotation are not
	 * used (compress is).
	 */
	int snapshot;
	unsigned int max_snapshots;	/* then the run stops; 0: no limit */
	double snapshot_interval;	/* seconds, minimum between two */
	const char *trigger_match;	/* POSIX ERE; NULL: none */
	/*
	 * Since 1.1: several apps (2 .. RELAY_MAX_APPS) collected at once
	 * into one run (docs/format.md: one header per app, frames marked
	 * with their app), one output: files named <app1>+<app2>+... .
	 * @app is then ignored; sizes and mode apply to every app.
	 */
	const char *const *apps;
	unsigned int napps;
};

/*
 * Run a collection: start the app, drain, stop, drain the rest.  On
 * success *runp holds the results (free with relay_run_free()), even if
 * the run stopped early because the app went away.  -ENOENT: no such app
 * (or relayfs not mounted at root); -ENODEV: the app has no buffer to
 * collect; -EBUSY: another collector runs, or the last run's files are
 * still open; -EINVAL: bad sizes, or @opts->size 0; -EACCES: neither
 * root nor in relayfs' collect_gid= group; -EPERM: root's uid without
 * CAP_SYS_ADMIN, outside that group; output errors as -errno.
 * relay_run_create() and
 * relay_run_collect() do the same in two steps, so that another thread
 * can relay_run_stop() it.
 */
int relay_app_run(const struct relay_app_opts *opts, struct relay_run **runp);
/* Check @opts and make the run (not started): free with relay_run_free(). */
int relay_run_create(const struct relay_app_opts *opts,
		     struct relay_run **runp);
/*
 * The collection; the results stay in @run whatever it returns.  On an
 * output error the app is switched off, the counters are taken, and the
 * error is returned (run->error, run->error_msg).
 */
int relay_run_collect(struct relay_run *run);
/*
 * Stop the run as *stop does (drain, then end), or at once as *abort
 * does.  Safe from any thread and from a signal handler (lock-free
 * atomics).
 */
void relay_run_stop(struct relay_run *run);
void relay_run_abort(struct relay_run *run);
void relay_run_free(struct relay_run *run);
/*
 * A snapshot run (opts->snapshot): take a snapshot now, with @reason
 * (NULL: "signal"; cut to RELAY_TRIGGER_REASON_MAX - 1 bytes).  Safe
 * from any thread and from a signal handler; a request while one is
 * still pending is counted as coalesced.  -EINVAL: not a snapshot run.
 */
int relay_run_snapshot(struct relay_run *run, const char *reason);
/*
 * Fire @app's trigger under @root (NULL: the default) from another
 * process (RELAYFS_IOC_TRIGGER on a read-only open of its control
 * file): its collector, if it runs --snapshot, writes a snapshot.
 * -ENOTCONN: no run; -EINVAL: @reason too long
 * (RELAY_TRIGGER_REASON_MAX - 1 bytes at most); -EACCES: not allowed to
 * collect; -EPERM: neither CAP_SYS_ADMIN nor the run's starter; -ENOENT: no such app; -ENOTTY: a relayfs without
 * triggers.
 */
int relay_app_trigger(const char *root, const char *app, const char *reason);

/*
 * The control protocol (docs/relay-app.md), for programs that read an
 * app's buffers themselves: start @app's run under @root (NULL: the
 * default) with these sizes and mode (0, RELAY_MODE_DEFAULT: the app's);
 * returns the control file's descriptor, which must stay open for the
 * run (closing it stops the run).  -ENOENT no such app, -EBUSY another
 * collector or a run's files still open, -EINVAL bad sizes, -EACCES,
 * -EPERM (as relay_app_run()).
 * relay_app_stop() stops it (the per-CPU files then reach their end);
 * close the descriptor after.
 */
int relay_app_start(const char *root, const char *app, size_t subbuf_size,
		    size_t n_subbufs, enum relay_mode mode);
int relay_app_stop(int control_fd);

/* The relay-apps registered under @root (NULL: the default). */
struct relay_app_info {
	char name[256];
	int running;			/* a collector runs it */
	size_t subbuf_size, n_subbufs;	/* the running sizes, or defaults */
	int overwrite;
	unsigned int cpus;
	unsigned long long runs;
};
/*
 * Fills up to @max entries, returns how many apps there are (sorted by
 * name); -ENOENT: nothing mounted at @root.
 */
int relay_app_list(const char *root, struct relay_app_info *apps,
		   unsigned int max);

/* Records dropped and sub-buffers overwritten, over all CPUs. */
uint64_t relay_run_dropped(const struct relay_run *run);
uint64_t relay_run_overwritten(const struct relay_run *run);

/*
 * Sizes that would have kept this run's load without loss: room for the
 * buffer plus what its worst loss span lost, twice over, and for at
 * least 20 ms of the busiest CPU's offered bytes (rounded up to a
 * power-of-two multiple of the buffer); in sub-buffers that hold at
 * least 1 ms of it, then in more sub-buffers while that stays at 64 or
 * fewer, else in bigger ones.  Returns 1 if the run lost data and sizes
 * were suggested, 0 if it did not; -EINVAL if the run's sizes are zero.
 */
int relay_advise(const struct relay_run *run, size_t *subbuf_size,
		 size_t *n_subbufs);

/*
 * "4096", "64k", "64K", "64KiB", "1M", "1MiB", "1G", "1GiB": bytes
 * (multiples of 1024; lower-case m and g are accepted too).  Digits
 * first: no blank, no sign.  -EINVAL if malformed or beyond SIZE_MAX;
 * *out is left alone then.
 */
int relay_parse_size(const char *s, size_t *out);

/*
 * "500ms", "30s", "5m", "1h", "1.5": seconds (a plain number is seconds;
 * a decimal point needs digits on both sides).  -EINVAL if malformed,
 * negative or longer than 9.2e9 s (int64_t nanoseconds); *seconds is
 * left alone then.
 */
int relay_parse_duration(const char *s, double *seconds);

/* librelay's version, e.g. "1.0" (the source tree's VERSION file). */
const char *relay_version(void);

/* ---- clocks ---- */

/*
 * relayfs's timestamps (t_open, t_close, klog's and tprintk's) are the
 * kernel's local_clock() ns.  An anchor, one paired reading of it and the
 * POSIX clocks (struct relayfs_clocks, docs/abi.md), maps them onto
 * these; RELAY_CLOCK_LOCAL is the stamp itself.
 */
enum relay_clock {
	RELAY_CLOCK_LOCAL,
	RELAY_CLOCK_BOOT,	/* CLOCK_BOOTTIME */
	RELAY_CLOCK_MONO,	/* CLOCK_MONOTONIC */
	RELAY_CLOCK_REAL,	/* CLOCK_REALTIME: ns since the Epoch */
};

/*
 * Take an anchor through @fd, any per-CPU file of a relayfs channel
 * (RELAYFS_IOC_GET_CLOCKS).  -ENOTTY: not a relayfs file, or a relayfs
 * too old for it; other ioctl(2) errors as -errno.
 */
int relay_clock_anchor(int fd, struct relayfs_clocks *anchor);
/*
 * The time on @clock of local_clock() stamp @local_ns, by @anchor:
 * the clock's reading in the anchor plus the stamp's distance from the
 * anchor's local_ns (negative before it).  Exact to the anchor's
 * uncertainty_ns plus the drift between the clocks since it was taken.
 * -EINVAL: no anchor (version 0) or unknown @clock; -ERANGE: beyond
 * int64_t.
 */
int relay_clock_convert(const struct relayfs_clocks *anchor,
			enum relay_clock clock, uint64_t local_ns,
			int64_t *out);
/* "local", "boot", "mono", "real" to and from enum relay_clock. */
int relay_clock_parse(const char *name, enum relay_clock *clock);
const char *relay_clock_name(enum relay_clock clock);

#ifdef __cplusplus
}
#endif

#endif /* LIBRELAY_H */

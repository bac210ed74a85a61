/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the in-VM test programs that drive
 * tests/kmod/relayfs_testprod.ko: its control file, the verification of
 * its self-checking records, and the exact counter checks.
 */
#ifndef RFS_TEST_H
#define RFS_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/relayfs.h>
#include <relayfs/rfs_record.h>

#define ROOT	"/sys/kernel/relayfs/rfstest"
#define MAXCPU	64

extern int ncpus;

/* What the producer did on one CPU in one context (ctl read). */
struct stream_res {
	long ok, nospc, busy, nested, big, other;
	unsigned int seq;
};

extern struct stream_res res[MAXCPU][RFS_NR_CTX];

/* One consumer of one per-CPU buffer, and what it verified. */
struct reader {
	int cpu, fd;
	unsigned int len, hdr, subbuf;
	bool overwrite;
	pthread_t th;
	long records, bytes, subbufs;
	uint32_t next_seq[RFS_NR_CTX];
	int64_t next_sb;
	/* mmap consumers (rfs-read.c) */
	unsigned int n_subbufs;
	long syscalls;		/* RELAYFS_IOC_CONSUME calls */
	long gaps;		/* sub-buffers skipped: overwritten */
	uint64_t expect;	/* next sub-buffer seq */
	char err[160];
};

/* Write one command to the producer's ctl file; -errno on failure. */
int ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Load the producer's per-CPU, per-context results into res[][]. */
int read_results(void);
/* The last write's local_clock() window and the map callback counts. */
int read_window(unsigned long long *t0, unsigned long long *t1);
int read_maps(int *mapped, int *unmapped);
/* A "KEY A B" line of the producer's ctl file ("resets", "dying"). */
int read_ctl_pair(const char *key, long *a, long *b);
/* Check one record / one sub-buffer's bytes; set r->err and return != 0. */
int verify_rec(struct reader *r, const uint8_t *p, unsigned int avail);
int verify_chunk(struct reader *r, const uint8_t *p, unsigned int n);
/* pthread body: read() the buffer to EOF, verifying every sub-buffer. */
void *reader_fn(void *arg);
int open_cpu(int cpu, int flags);
int get_stats(int fd, struct relayfs_buf_stats *st);
/* Open CPU @cpu's buffer for @r and check its geometry against the run. */
int reader_open(struct reader *r, int cpu, unsigned int len,
		unsigned int hdr, bool overwrite);
/* Join @r's thread, then its error, check_counts(drained) and close. */
int reader_finish(struct reader *r);
/* Both equations exactly, and agreement with producer and reader. */
int check_counts(struct reader *r, bool drained);
/* Both equations of a snapshot, records and bytes, exactly. */
int check_equations(const struct relayfs_buf_stats *st);
/* The same for CPU @cpu's buffer, which nobody reads at the moment. */
int check_cpu_equations(int cpu);
/* Run on CPU 0 only (@pin), or anywhere again. */
int pin_to_cpu0(bool pin);

struct ktap_case;
/*
 * main() of every test program: ncpus from the possible CPUs (buffers
 * exist for all of them), then the cases named in argv[1..] (all if none).
 */
int rfstest_main(const struct ktap_case *cases, int n, int argc,
		 char **argv);

/* relay-apps and relay-collect (rfs-app.c, rfs-log.c) */
#define RELAYFS	"/sys/kernel/relayfs"
int write_file(const char *path, const char *s);
/* Start relay-collect @argv; stdout and stderr go to @log.out, @log.err. */
pid_t collect_start(char *const argv[], const char *log);
/* Its exit status, or 128 + the signal that killed it. */
int collect_wait(pid_t pid);
/* The same, or -1 after @secs seconds (blocked tasks dumped, killed). */
int collect_wait_timeout(pid_t pid, unsigned int secs);
int collect(char *const argv[], const char *log);
/*
 * Collecting without root: @uid with primary group @gid and supplementary
 * @groups, as setgroups(), setgid(), setuid() leave a root process, with
 * no capability (checked: CapEff 0).  become() is the switch, 0 or -errno;
 * collect_as() is collect() run as @id.
 */
struct identity {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t n_groups;
};
int become(uid_t uid, gid_t gid, const gid_t *groups, size_t n);
int collect_as(const struct identity *id, char *const argv[],
	       const char *log);
bool file_has(const char *path, const char *needle);
/* Print @path as KTAP comment lines. */
void show(const char *path);
long app_control_value(const char *app, const char *key);

/* One CPU's line of relay-collect's <dir>/<app>.stats (librelay). */
struct run_stats {
	unsigned long long att, acc, drop, ref, cons, over, unread, accb,
		consb, produced, sbcons, sbover, backlog, wsb, wbytes;
};
/* Every CPU's line, indexed by CPU, and the run's sub-buffer size. */
int read_run_stats(const char *dir, const char *app,
		   struct run_stats st[MAXCPU], size_t *subbuf);
bool app_running(const char *app);

/*
 * finit_module of @mod (a path, or /lib/relayfs/@mod.ko) with the kernel
 * command line's options for it, as modprobe gives them, then @params;
 * delete_module without waiting.
 */
int load_module(const char *mod, const char *params);
int unload_module(const char *mod);
/* The module's reference count, -1 when it is not loaded. */
int module_refs(const char *mod);

/* Live consumers of the test producer (lib/live.c). */
struct run {
	const char *open;	/* ctl open arguments */
	const char *write;	/* ctl write arguments (without len=) */
	const char *setup;	/* a ctl command after open, or NULL */
	unsigned int len, hdr;
	bool overwrite, use_mmap;
	bool after_close;	/* readers start once the channel closed */
	bool flush_storm;	/* RELAYFS_IOC_FLUSH in a loop while writing */
	long flushes;		/* ... how many were done */
	struct reader rd[MAXCPU];
};
#define MAX_ENTRIES	16	/* per RELAYFS_IOC_CONSUME call */
/* Check one sub-buffer entry's metadata against its bytes, then records. */
int verify_entry(struct reader *r, const struct relayfs_subbuf *e,
		 const uint8_t *p);
int consume(int fd, uint64_t ack, unsigned int flags,
	    struct relayfs_subbuf *e, unsigned int max,
	    struct relayfs_consume *c);
void *mmap_reader_fn(void *arg);
int start_reader(struct run *run, int cpu);
/* Wait for every reader, then the exact checks. */
int finish_readers(struct run *run);
/*
 * Open the channel, write, close, drain and verify everything; readers
 * run during the write, or start after the close (@run->after_close).
 */
int run_channel(struct run *run);
int set_cpu1(int online);
/*
 * run_channel() with live readers and cpu1 going offline and online in a loop while
 * "write len=<run->len> @write" runs; @cycles: how many times.
 */
int hotplug_run(struct run *run, const char *write, long *cycles);
/*
 * Open @open (@n_subbufs of 4 KiB), run @setup (an inject command, or
 * NULL; turned off after the storm), write @records per CPU and context with mix=1 while testprod
 * resets the channel in a loop (@resets: how many times); then both
 * equations on every CPU, drain, and n - 1 sub-buffers' worth from a
 * task on each CPU must all fit; close.
 */
int reset_storm(const char *open, const char *setup, unsigned int n_subbufs,
		int records, long *resets);

/* The sample relay-app (lib/sample.c). */
int sample_producer(unsigned int rate, unsigned int len, const char *ctx);
/* The contexts a run wrote from, when another program set the producer. */
void sample_set_contexts(const char *ctx);
/* Its per-CPU totals: ok and dropped over all contexts. */
int sample_counts(long ok[MAXCPU], long dropped[MAXCPU]);
/* Wait until the running sample accepted records on every CPU. */
int sample_wait_records(unsigned int secs);
/*
 * relay-collect's output of a sample run in @dir, read through librelay
 * (lib/run.h): every record, every frame's metadata, both equations,
 * and (@have_producer) the producer's counts.
 */
int sample_check_run(const char *dir, unsigned int len, bool overwrite,
		     bool have_producer);
/* The same on a run already read (lib/run.h). */
struct run_data;
int sample_check_data(const char *dir, struct run_data *rd, unsigned int len,
		      bool overwrite, bool have_producer);
/*
 * A run that never finished (SIGKILL): the reader says so, and its
 * frames up to the last whole one check record by record (@need_frames:
 * and there are some).
 */
int sample_check_unfinished(const char *dir, unsigned int len,
			    bool overwrite, bool need_frames);

#endif

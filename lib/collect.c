// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The collector: readers -> frames -> sinks.
 *
 * One thread, one epoll loop over every per-CPU buffer (docs/librelay.md
 * says why): a ready buffer is drained of its complete sub-buffers, each
 * handed to the sink as one frame.  Stopping writes "stop" to the
 * control file; the kernel then closes the last sub-buffers and every
 * reader reads to its end.  The control file stays open for the whole
 * run: if this process dies, the kernel stops the run when it closes.
 * An output error ends the run at once: the app is switched off, the
 * kernel's counters are taken, and the run says what was lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include "control.h"
#include "latency.h"
#include "librelay.h"
#include "sink.h"
#include "snapshot.h"
#include "util.h"

struct relay_cpu {
	struct relay_reader *reader;
	uint64_t last_drops, last_close, expect;
	int done;
};

struct relay_collector {
	struct relay_app_opts o;
	struct relay_run *run;
	struct relay_cpu *cpu;		/* as run->cpu[] */
	int control, ep, wake;
	unsigned int live;		/* readers not at their end */
	double t0;
	struct relay_sink *sink, *own_sink;
	/* Set by relay_run_stop/abort() from any thread or a handler. */
	atomic_int stop_req, abort_req;
	int stopping;
	struct relay_state state;
	struct utsname uts;
	struct relay_run_header hdr;
	struct relay_latency lat;	/* o.latency > 0 */
	struct relay_snap_req snap_req;	/* relay_run_snapshot() */
	double snap_next;		/* the snapshot loop's next tick */
	/*
	 * A run of several apps: one collector per app; the first (main)
	 * owns the loop, the output and the stop flags, sub[] the others.
	 */
	struct relay_collector *main, **sub;
	unsigned int nsub, app_index;
};

/* Every app's collector of @c's run: main (app 0), then the others. */
#define for_each_app(c, a, i)						\
	for ((i) = 0; (i) <= (c)->main->nsub &&				\
	     ((a) = (i) ? (c)->main->sub[(i) - 1] : (c)->main, 1); (i)++)

/* Lock-free, so relay_run_stop() stays async-signal-safe. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is not lock-free");

static double relay_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *relay_root(const struct relay_collector *c)
{
	return c->o.root ? c->o.root : RELAY_DEFAULT_ROOT;
}

static int relay_fail(struct relay_collector *c, int err, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static int relay_fail(struct relay_collector *c, int err, const char *fmt,
		      ...)
{
	struct relay_run *run = c->main->run;
	va_list ap;

	if (!run->error) {
		run->error = err;
		va_start(ap, fmt);
		vsnprintf(run->error_msg, sizeof(run->error_msg), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Start the run; the control file stays open (and ours) until the end. */
static int relay_start(struct relay_collector *c)
{
	const struct relay_app_opts *o = &c->o;
	char path[4096];

	c->control = relay_app_start_flush(o->root, o->app, o->subbuf_size,
					   o->n_subbufs, o->snapshot ?
					   RELAY_MODE_OVERWRITE : o->mode,
					   relay_latency_flush_ms(o->latency));
	if (c->control < 0) {
		int err = c->control;

		c->control = -1;
		return err;
	}
	snprintf(path, sizeof(path), "%s/%s/control", relay_root(c), o->app);
	return relay_read_state(path, &c->state);
}

/* Open every possible CPU's buffer; ENOENT: not a possible CPU. */
static int relay_open_cpus(struct relay_collector *c)
{
	struct relay_state *s = &c->state;
	struct relay_run *run = c->run;
	struct relay_reader *r;
	struct epoll_event ev = { .events = EPOLLIN };
	char path[4096];
	unsigned int i;
	int err;

	c->cpu = calloc(s->cpus, sizeof(*c->cpu));
	run->cpu = calloc(s->cpus, sizeof(*run->cpu));
	if (!c->cpu || !run->cpu)
		return -ENOMEM;
	for (i = 0; i < s->cpus; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s%u", relay_root(c),
			 c->o.app, s->base, i);
		err = relay_reader_open(path, c->o.reader_flags, &r);
		if (err == -ENOENT)
			continue;
		if (err)
			return relay_fail(c, err, "%s: %s", path,
					  strerror(-err));
		c->cpu[run->ncpus].reader = r;
		run->cpu[run->ncpus].cpu = i;
		run->mapped = relay_reader_mapped(r);
		ev.data.u32 = RELAY_APP_CPU(c->app_index, run->ncpus++);
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD, relay_reader_fd(r), &ev))
			return -errno;
		c->live++;
	}
	if (!run->ncpus)
		return relay_fail(c, -ENODEV, "%s: no per-CPU buffer of base "
				  "'%s' could be opened", c->o.app, s->base);
	return 0;
}

/* The run header: what produced this run, and the clock anchor. */
static void relay_make_header(struct relay_collector *c)
{
	struct relay_run_header *h = &c->hdr;
	struct timespec ts;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->version = RELAY_FORMAT_VERSION;
	if (uname(&c->uts))
		memset(&c->uts, 0, sizeof(c->uts));
	h->host = c->uts.nodename;
	h->kernel = c->uts.release;
	h->app = c->o.app;
	h->base = c->state.base;
	h->tool = c->o.tool ? c->o.tool : "librelay";
	h->library = relay_version();
	h->cmdline = c->o.cmdline ? c->o.cmdline : "";
	h->ncpus = c->state.cpus;
	h->subbuf_size = c->state.subbuf_size;
	h->n_subbufs = c->state.n_subbufs;
	if (c->state.overwrite)
		h->flags |= RELAY_HDR_OVERWRITE;
	if (c->o.compress)
		h->flags |= RELAY_HDR_COMPRESSED;
	clock_gettime(CLOCK_REALTIME, &ts);
	h->start_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (getrandom(h->run_id, sizeof(h->run_id), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(h->run_id)) {
		for (i = 0; i < sizeof(h->run_id); i++)
			h->run_id[i] = (uint8_t)((h->start_ns >> (i % 8 * 8)) ^
						 getpid() >> (i % 4 * 8));
	}
	/* Several apps: one run (app 0's id and start), one header each. */
	if (c->main->nsub) {
		h->flags |= RELAY_HDR_APPS;
		h->app_index = c->app_index;
		h->napps = c->main->nsub + 1;
		if (c != c->main) {
			memcpy(h->run_id, c->main->hdr.run_id,
			       sizeof(h->run_id));
			h->start_ns = c->main->hdr.start_ns;
		}
	}
	/* A kernel without the ioctl (ENOTTY) gives no anchor: flagged. */
	if (!relay_clock_anchor(relay_reader_fd(c->cpu[0].reader),
				&h->anchor)) {
		h->flags |= RELAY_HDR_ANCHOR;
		c->run->anchored = 1;
	} else {
		memset(&h->anchor, 0, sizeof(h->anchor));
	}
}

/* The sink the options ask for, unless the caller brought one. */
static int relay_make_sink(struct relay_collector *c)
{
	struct relay_file_opts fo = {
		.size = sizeof(fo), .dir = c->o.dir, .name = c->run->base,
		.compressed = c->o.compress > 0,
		.rotate_size = c->o.rotate_size,
		.rotate_time = c->o.rotate_time,
		.max_files = c->o.max_files,
	};
	struct relay_sink *out;
	int err;

	if (c->o.sink) {
		c->sink = c->o.sink;
		return 0;
	}
	if (c->o.out_fd >= 0) {
		err = relay_sink_fd(c->o.out_fd, &out);
	} else {
		/* Now: .stats goes there before a zstd thread begins. */
		err = relay_mkdirs(c->o.dir ? c->o.dir : ".");
		if (err)
			return relay_fail(c, err, "%s: %s", c->o.dir ?
					  c->o.dir : ".", strerror(-err));
		err = relay_sink_files(&fo, &out);
	}
	if (err)
		return err;
	if (c->o.compress > 0) {
		err = relay_sink_zstd(c->o.compress, 0, out, &c->own_sink);
		if (err) {
			relay_sink_free(out);
			return err;
		}
	} else {
		c->own_sink = out;
	}
	c->sink = c->own_sink;
	return 0;
}

/* Note a loss between the previous sub-buffer and @m. */
static void relay_note_loss(struct relay_cpu_result *res,
			    struct relay_cpu *cpu,
			    const struct relayfs_subbuf *m, size_t subbuf_size)
{
	struct relay_loss l = {
		.after = cpu->last_close,
		.before = m->t_open,
		.records = m->drops - cpu->last_drops,
		.subbufs = m->seq - cpu->expect,
	};

	if (!l.records && !l.subbufs)
		return;
	if (res->nlosses < sizeof(res->loss) / sizeof(res->loss[0]))
		res->loss[res->nlosses] = l;
	res->nlosses++;
	/* Dropped records counted at the size of those that followed. */
	relay_loss_keep_worst(&res->worst, &l, subbuf_size,
			      m->records ? m->bytes / m->records : 1);
}

/*
 * Hand the complete sub-buffers of buffer @i to the sink, at most a
 * buffer's worth: against a writer that keeps up with us there would
 * always be one more, and the loop would never get back to its clock
 * (the duration, Ctrl-C) nor to the other CPUs.  What is left keeps the
 * descriptor readable.
 */
static int relay_drain(struct relay_collector *c, unsigned int i)
{
	struct relay_cpu *cpu = &c->cpu[i];
	struct relay_cpu_result *res = &c->run->cpu[i];
	size_t left = c->run->n_subbufs;
	struct relay_subbuf sb;
	int ret = 1, err;

	while (left && (ret = relay_reader_next(cpu->reader, &sb, 0)) == 1) {
		struct relay_frame f = {
			.cpu = res->cpu, .seq = sb.meta.seq,
			.t_open = sb.meta.t_open, .t_close = sb.meta.t_close,
			.drops = sb.meta.drops, .records = sb.meta.records,
			.bytes = sb.meta.bytes, .payload = sb.data,
			.len = sb.len, .stored = sb.len,
			.flags = RELAY_FRAME_APP_FLAGS(c->app_index),
		};

		relay_note_loss(res, cpu, &sb.meta, c->run->subbuf_size);
		cpu->last_drops = sb.meta.drops;
		cpu->last_close = sb.meta.t_close;
		cpu->expect = sb.meta.seq + 1;
		res->subbufs++;
		res->bytes += sb.len;
		res->records += sb.meta.records;
		err = relay_sink_frame(c->sink, &f);
		if (err)
			return relay_fail(c, err, "%s",
					  relay_sink_error(c->sink));
		left--;
	}
	if (ret == 1 || ret == -EAGAIN)
		return 0;	/* more may wait, or none is ready */
	if (ret == 0) {
		cpu->done = 1;
		c->live--;
		epoll_ctl(c->ep, EPOLL_CTL_DEL, relay_reader_fd(cpu->reader),
			  NULL);
		return 0;
	}
	return relay_fail(c, ret, "%s/%s/%s%u: %s", relay_root(c), c->o.app,
			  c->state.base, res->cpu, strerror(-ret));
}

/* Counters of every buffer, and what reached the output. */
static void relay_update(struct relay_collector *c)
{
	struct relay_run *run = c->run;
	struct relay_sink_totals t;
	unsigned int i;

	run->elapsed = relay_now() - c->t0;
	for (i = 0; i < run->ncpus; i++) {
		struct relay_cpu_result *res = &run->cpu[i];

		if (c->sink) {
			relay_sink_totals(c->sink, RELAY_APP_CPU(c->app_index,
								 res->cpu), &t);
			res->written_subbufs = t.frames;
			res->written_records = t.records;
			res->written_bytes = t.bytes;
		}
		if (relay_reader_stats(c->cpu[i].reader, &res->stats))
			continue;
		res->backlog = res->stats.subbufs_produced -
			       res->stats.subbufs_consumed -
			       res->stats.subbufs_overwritten;
	}
	if (c->sink)
		relay_sink_totals(c->sink, -1, &run->out);
}

/* relay_update() of every app, the main run's elapsed time for all. */
static void relay_update_all(struct relay_collector *c)
{
	struct relay_collector *a;
	unsigned int i;

	for_each_app(c, a, i)
		relay_update(a);
}

/* <dir>/<base>.stats, replaced whole by a rename: never half-written. */
static int relay_write_stats(struct relay_collector *c, const char *state)
{
	const char *dir = c->o.dir ? c->o.dir : ".";
	struct relay_run *run = c->run;
	char path[4096], tmp[4200];
	unsigned int i;
	FILE *f;
	int err = 0;

	if (c->o.out_fd >= 0 || c->o.sink)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.stats", dir, c->state.base);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return relay_fail(c, -errno, "%s: %s", tmp, strerror(errno));
	fprintf(f, "# app %s subbuf_size %zu n_subbufs %zu mode %s "
		"elapsed %.3f state %s\n", run->app, run->subbuf_size,
		run->n_subbufs, run->overwrite ? "overwrite" : "no-overwrite",
		run->elapsed, state);
	fprintf(f, "cpu attempted_records accepted_records dropped_records "
		"refused_records consumed_records overwritten_records "
		"unread_records accepted_bytes consumed_bytes subbufs_produced "
		"subbufs_consumed subbufs_overwritten max_backlog "
		"written_subbufs written_bytes\n");
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *r = &run->cpu[i];
		const struct relayfs_buf_stats *s = &r->stats;

		fprintf(f, "%u %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			"%llu %llu %llu %llu %llu %llu\n", r->cpu,
			(unsigned long long)s->attempted_records,
			(unsigned long long)s->accepted_records,
			(unsigned long long)s->dropped_records,
			(unsigned long long)s->refused_records,
			(unsigned long long)s->consumed_records,
			(unsigned long long)s->overwritten_records,
			(unsigned long long)s->unread_records,
			(unsigned long long)s->accepted_bytes,
			(unsigned long long)s->consumed_bytes,
			(unsigned long long)s->subbufs_produced,
			(unsigned long long)s->subbufs_consumed,
			(unsigned long long)s->subbufs_overwritten,
			(unsigned long long)s->max_backlog,
			(unsigned long long)r->written_subbufs,
			(unsigned long long)r->written_bytes);
	}
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return relay_fail(c, err, "%s: %s", path, strerror(-err));
	}
	return 0;
}

/* relay_write_stats() of every app: each its own <base>.stats. */
static int relay_write_stats_all(struct relay_collector *c,
				 const char *state)
{
	struct relay_collector *a;
	unsigned int i;
	int err = 0;

	for_each_app(c, a, i)
		if (!err)
			err = relay_write_stats(a, state);
	return err;
}

/*
 * The caller's flags, set by a signal handler of any thread: read
 * atomically (the zstd thread reads the abort one too).
 */
static int flag_set(const volatile sig_atomic_t *f)
{
	return f && __atomic_load_n(f, __ATOMIC_RELAXED);
}

static int relay_should_stop(struct relay_collector *c)
{
	const struct relay_app_opts *o = &c->o;

	return atomic_load(&c->stop_req) || atomic_load(&c->abort_req) ||
	       flag_set(o->stop) || flag_set(o->abort) ||
	       (o->duration > 0 && relay_now() - c->t0 >= o->duration);
}

static int relay_aborting(struct relay_collector *c)
{
	return atomic_load(&c->abort_req) || flag_set(c->o.abort);
}

/* The sinks' abort test (sink.h): called from the zstd thread too. */
static int relay_abort_test(void *arg)
{
	return relay_aborting(arg);
}

/*
 * --latency: RELAYFS_IOC_FLUSH on each buffer, of every app, whose open
 * sub-buffer may be older than the latency's kernel part allows
 * (lib/latency.c).
 */
static int relay_flush_stale(struct relay_collector *c)
{
	double now = relay_now();
	struct relay_collector *a;
	unsigned int i, k;
	int err;

	if (!(c->o.latency > 0) || c->stopping ||
	    !relay_latency_due(&c->lat, now))
		return 0;
	for_each_app(c, a, k)
		for (i = 0; i < a->run->ncpus; i++) {
			if (a->cpu[i].done ||
			    !relay_latency_stale(&c->lat, a->cpu[i].last_close,
						 now))
				continue;
			err = relay_flush_fd(relay_reader_fd(a->cpu[i].reader));
			if (err)
				return relay_fail(a, err,
						  "%s/%s/%s%u: flush: %s",
						  relay_root(a), a->o.app,
						  a->state.base,
						  a->run->cpu[i].cpu,
						  strerror(-err));
		}
	return 0;
}

/* Readers not at their end, over every app. */
static unsigned int relay_live(struct relay_collector *c)
{
	struct relay_collector *a;
	unsigned int i, live = 0;

	for_each_app(c, a, i)
		live += a->live;
	return live;
}

/* Stop every app's run: each kernel closes its last sub-buffers. */
static int relay_stop_apps(struct relay_collector *c)
{
	struct relay_collector *a;
	unsigned int i;
	int err, ret = 0;

	for_each_app(c, a, i) {
		if (a->control < 0)
			continue;
		err = relay_app_stop(a->control);
		if (err && !ret)
			ret = relay_fail(a, err, "%s: stop: %s", a->o.app,
					 strerror(-err));
	}
	return ret;
}

/* Drain until stopped, stop the run, drain to the end. */
static int relay_loop(struct relay_collector *c)
{
	double interval = c->o.progress_interval > 0 ?
			  c->o.progress_interval : 1.0;
	double next_progress = c->t0 + interval;
	struct epoll_event ev[16];
	struct relay_collector *a;
	unsigned int k;
	int n, i, err;

	while (relay_live(c)) {
		if (!c->stopping && relay_should_stop(c)) {
			c->stopping = 1;
			err = relay_stop_apps(c);
			if (err)
				return err;
		}
		if (relay_aborting(c)) {
			c->run->aborted = 1;
			return 0;
		}
		n = epoll_wait(c->ep, ev, 16, c->o.latency > 0 ?
			       relay_latency_wait_ms(&c->lat, relay_now(),
						     100) : 100);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == UINT32_MAX) {
				uint64_t v;

				if (read(c->wake, &v, sizeof(v)) < 0) {
					/* counted again on the next write */
				}
				continue;
			}
			k = RELAY_APP_OF(ev[i].data.u32);
			a = k ? c->sub[k - 1] : c;
			err = relay_drain(a, RELAY_CPU_OF(ev[i].data.u32));
			if (err)
				return err;
		}
		err = relay_flush_stale(c);
		if (err)
			return err;
		if (relay_now() >= next_progress) {
			relay_update_all(c);
			if (c->o.progress)
				c->o.progress(c->run, c->o.progress_arg);
			err = relay_write_stats_all(c, "running");
			if (err)
				return err;
			next_progress += interval;
		}
	}
	return 0;
}

/* The end of the run: its counters, then the trailer. */
static int relay_end(struct relay_collector *c, int err)
{
	struct relay_run *run = c->run;
	struct relay_cpu_counters *ctr;
	struct relay_collector *a;
	unsigned int i, k, n = 0;
	int end_err;

	relay_update_all(c);
	for_each_app(c, a, k)
		n += a->run->ncpus;
	ctr = calloc(n ? n : 1, sizeof(*ctr));
	if (!ctr)
		return err ? err : -ENOMEM;
	n = 0;
	for_each_app(c, a, k) {
		for (i = 0; i < a->run->ncpus; i++, n++) {
			const struct relay_cpu_result *r = &a->run->cpu[i];

			ctr[n].cpu = RELAY_APP_CPU(a->app_index, r->cpu);
			ctr[n].stats = r->stats;
			ctr[n].frames = r->subbufs;
			ctr[n].bytes = r->bytes;
		}
	}
	end_err = relay_sink_end(c->sink, ctr, n,
				 err ? RELAY_TRAILER_ERROR : 0);
	free(ctr);
	if (relay_aborting(c))
		run->aborted = 1;
	relay_update_all(c);	/* what reached the output, in the end */
	if (end_err && !err)
		err = relay_fail(c, end_err, "%s", relay_sink_error(c->sink));
	end_err = relay_write_stats_all(c, err ? "error" : run->aborted ?
					"aborted" : "finished");
	return err ? err : end_err;
}

static int relay_snap_should_stop(void *arg)
{
	return relay_should_stop(arg);
}

/* The snapshot loop's tick: progress and .stats, as relay_loop's. */
static int relay_snap_tick(void *arg)
{
	struct relay_collector *c = arg;
	double interval = c->o.progress_interval > 0 ?
			  c->o.progress_interval : 1.0;

	if (relay_now() < c->snap_next)
		return 0;
	c->snap_next = relay_now() + interval;
	relay_update(c);
	if (c->o.progress)
		c->o.progress(c->run, c->o.progress_arg);
	return relay_write_stats(c, "running");
}

/* A snapshot run (lib/snapshot.c): no sink of its own, a run per trigger. */
static int relay_snap_collect(struct relay_collector *c)
{
	struct relay_reader **readers;
	unsigned int i;
	int err, stop_err;

	readers = calloc(c->run->ncpus, sizeof(*readers));
	if (!readers)
		return -ENOMEM;
	for (i = 0; i < c->run->ncpus; i++)
		readers[i] = c->cpu[i].reader;
	err = relay_mkdirs(c->o.dir ? c->o.dir : ".");
	if (err) {
		relay_fail(c, err, "%s: %s", c->o.dir ? c->o.dir : ".",
			   strerror(-err));
	} else {
		struct relay_snap_env env = {
			.o = &c->o, .run = c->run, .readers = readers,
			.control = c->control, .ep = c->ep, .wake = c->wake,
			.hdr = &c->hdr, .req = &c->snap_req,
			.should_stop = relay_snap_should_stop,
			.tick = relay_snap_tick, .arg = c,
		};

		err = relay_snap_loop(&env);
	}
	free(readers);
	c->stopping = 1;
	stop_err = relay_app_stop(c->control);
	if (stop_err && stop_err != -ENODEV && !err)
		err = relay_fail(c, stop_err, "%s: stop: %s", c->o.app,
				 strerror(-stop_err));
	if (relay_aborting(c))
		c->run->aborted = 1;
	relay_update(c);
	stop_err = relay_write_stats(c, err ? "error" : "finished");
	return err ? err : stop_err;
}

int relay_run_snapshot(struct relay_run *run, const char *reason)
{
	struct relay_collector *c = run->priv;
	uint64_t one = 1;

	if (!c->o.snapshot)
		return -EINVAL;
	relay_snap_request(&c->snap_req, reason);
	if (write(c->wake, &one, sizeof(one)) < 0) {
		/* seen within 100 ms anyway */
	}
	return 0;
}

/* The buffers, the output and, last, the control file (ends the run). */
static void relay_collector_close(struct relay_collector *c)
{
	unsigned int i;

	for (i = 0; i < c->nsub; i++)
		relay_collector_close(c->sub[i]);
	for (i = 0; c->cpu && i < c->run->ncpus; i++) {
		relay_reader_close(c->cpu[i].reader);
		c->cpu[i].reader = NULL;
	}
	relay_sink_free(c->own_sink);
	c->own_sink = NULL;
	c->sink = NULL;
	if (c->control >= 0)
		close(c->control);
	c->control = -1;
}

/* One app's run and its collector, not started. */
static int relay_run_new(const struct relay_app_opts *o, const char *app,
			 struct relay_run **runp)
{
	struct relay_collector *c;
	struct relay_run *run;

	if (!app || !*app || strchr(app, '/') || strlen(app) >= sizeof(run->app))
		return -EINVAL;
	if (o->size > offsetof(struct relay_app_opts, latency) &&
	    (o->latency < 0 || (o->latency > 0 &&
	     (o->latency < RELAY_LATENCY_MIN ||
	      o->latency > RELAY_LATENCY_MAX))))
		return -EINVAL;
	run = calloc(1, sizeof(*run));
	c = calloc(1, sizeof(*c));
	if (!run || !c) {
		free(run);
		free(c);
		return -ENOMEM;
	}
	memcpy(&c->o, o, o->size < sizeof(c->o) ? o->size : sizeof(c->o));
	c->o.size = sizeof(c->o);
	c->o.app = run->app;
	c->o.apps = NULL;
	c->o.napps = 0;
	c->run = run;
	c->main = c;
	c->control = c->ep = -1;
	c->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake < 0) {
		free(run);
		free(c);
		return -errno;
	}
	run->priv = c;
	strcpy(run->app, app);
	*runp = run;
	return 0;
}

/* The apps asked for: o->apps (since 1.1) if two or more, else o->app. */
static int relay_opts_apps(const struct relay_app_opts *o,
			   const char *const **apps, unsigned int *napps)
{
	unsigned int i, j;

	*apps = &o->app;
	*napps = 1;
	if (o->size < offsetof(struct relay_app_opts, napps) +
		      sizeof(o->napps) || o->napps < 2)
		return 0;
	if (!o->apps || o->napps > RELAY_MAX_APPS)
		return -EINVAL;
	/* A snapshot is of one app's buffers (lib/snapshot.c). */
	if (o->snapshot)
		return -EINVAL;
	for (i = 0; i < o->napps; i++)
		for (j = 0; j < i; j++)
			if (o->apps[i] && o->apps[j] &&
			    !strcmp(o->apps[i], o->apps[j]))
				return -EINVAL;	/* an app twice */
	*apps = o->apps;
	*napps = o->napps;
	return 0;
}

int relay_run_create(const struct relay_app_opts *o, struct relay_run **runp)
{
	const char *const *apps;
	struct relay_collector *c;
	struct relay_run *run, *sub;
	unsigned int napps, i;
	int err;

	if (!o || !o->size || o->compress < 0)
		return -EINVAL;
	err = relay_opts_apps(o, &apps, &napps);
	if (!err)
		err = relay_run_new(o, apps[0], &run);
	if (err)
		return err;
	c = run->priv;
	run->napps = napps;
	run->apps = calloc(napps, sizeof(*run->apps));
	c->sub = calloc(napps, sizeof(*c->sub));
	if (!run->apps || !c->sub) {
		relay_run_free(run);
		return -ENOMEM;
	}
	run->apps[0] = run;
	for (i = 1; i < napps; i++) {
		err = relay_run_new(o, apps[i], &sub);
		if (err) {
			relay_run_free(run);
			return err;
		}
		c->sub[c->nsub] = sub->priv;
		c->sub[c->nsub]->main = c;
		c->sub[c->nsub++]->app_index = i;
		run->apps[i] = sub;
		sub->napps = 1;
		sub->apps = &run->apps[i];	/* its apps[0]: itself */
	}
	*runp = run;
	return 0;
}

void relay_run_stop(struct relay_run *run)
{
	struct relay_collector *c = run->priv;
	uint64_t one = 1;

	atomic_store(&c->stop_req, 1);
	if (write(c->wake, &one, sizeof(one)) < 0) {
		/* the flag is seen within 100 ms anyway */
	}
}

void relay_run_abort(struct relay_run *run)
{
	struct relay_collector *c = run->priv;

	atomic_store(&c->abort_req, 1);
	relay_run_stop(run);
}

/* A run of several apps is named <app1>+<app2>+... (its files). */
static int relay_run_name(struct relay_collector *c)
{
	struct relay_collector *a;
	struct relay_run *run = c->run;
	unsigned int i;
	size_t n = 0;

	if (!c->nsub)
		return 0;
	for_each_app(c, a, i) {
		int len = snprintf(run->base + n, sizeof(run->base) - n,
				   "%s%s", i ? "+" : "", a->o.app);

		if (len < 0 || (size_t)len >= sizeof(run->base) - n)
			return relay_fail(c, -ENAMETOOLONG, "the apps' names "
					  "make too long a file name");
		n += len;
	}
	return 0;
}

/* Start every app and open its buffers; the run's header of each. */
static int relay_start_all(struct relay_collector *c)
{
	struct relay_collector *a;
	unsigned int i;
	int err;

	for_each_app(c, a, i) {
		a->ep = c->ep;
		err = relay_start(a);
		if (err)
			return relay_fail(a, err, "%s: %s", a->o.app,
					  strerror(-err));
	}
	c->t0 = relay_now();
	for_each_app(c, a, i) {
		struct relay_run *run = a->run;

		a->t0 = c->t0;
		strcpy(run->base, a->state.base);
		run->subbuf_size = a->state.subbuf_size;
		run->n_subbufs = a->state.n_subbufs;
		run->overwrite = a->state.overwrite;
		run->snapshot = !!a->o.snapshot;
		err = relay_open_cpus(a);
		if (err)
			return relay_fail(a, err, "%s: %s", a->o.app,
					  strerror(-err));
		relay_make_header(a);
	}
	return relay_run_name(c);
}

/* The output, and every app's header to it, app 0 first. */
static int relay_begin_all(struct relay_collector *c)
{
	struct relay_collector *a;
	unsigned int i;
	int err = relay_make_sink(c);

	if (err)
		return relay_fail(c, err, "%s: output: %s", c->run->base,
				  strerror(-err));
	/* Aborted, the output may not block the end (a stalled pipe). */
	relay_sink_set_abort(c->sink, relay_abort_test, c);
	for_each_app(c, a, i) {
		a->sink = c->sink;
		err = relay_sink_begin(c->sink, &a->hdr);
		if (err)
			return relay_fail(c, err, "%s",
					  relay_sink_error(c->sink));
	}
	return 0;
}

int relay_run_collect(struct relay_run *run)
{
	struct relay_collector *c = run->priv;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
	unsigned int i;
	int err;

	if (c->ep >= 0 || c != c->main)
		return -EALREADY;	/* a run is collected once */
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0 || epoll_ctl(c->ep, EPOLL_CTL_ADD, c->wake, &ev))
		return -errno;
	err = relay_start_all(c);
	if (err)
		goto fail;
	if (c->o.latency > 0)
		relay_latency_init(&c->lat, c->o.latency, relay_now(),
				   c->run->anchored ? &c->hdr.anchor : NULL);
	if (c->o.snapshot) {
		err = relay_snap_collect(c);
		goto fail;
	}
	err = relay_begin_all(c);
	if (err)
		goto fail;
	err = relay_loop(c);
	if (relay_aborting(c))
		run->aborted = 1;
	if (err && !c->stopping) {
		/* Output or read error: switch the apps off, keep counting. */
		c->stopping = 1;
		relay_stop_apps(c);
	}
	err = relay_end(c, err);
fail:
	relay_collector_close(c);
	for (i = 0; i < c->nsub; i++)
		c->sub[i]->run->aborted = run->aborted;
	return err;
}

void relay_run_free(struct relay_run *run)
{
	struct relay_collector *c;
	unsigned int i;

	if (!run)
		return;
	c = run->priv;
	if (c) {
		relay_collector_close(c);
		for (i = 0; c == c->main && run->apps && i < c->nsub; i++) {
			c->sub[i]->main = c->sub[i];	/* its own now */
			c->sub[i]->ep = -1;	/* the main's, closed below */
			run->apps[i + 1]->apps = NULL;
			relay_run_free(run->apps[i + 1]);
		}
		free(c->sub);
		free(c->cpu);
		if (c->ep >= 0 && c == c->main)
			close(c->ep);
		close(c->wake);
		free(c);
	}
	if (run->apps && run->apps[0] == run)
		free(run->apps);
	free(run->cpu);
	free(run);
}

int relay_app_run(const struct relay_app_opts *o, struct relay_run **runp)
{
	struct relay_run *run;
	int err = relay_run_create(o, &run);

	if (err)
		return err;
	err = relay_run_collect(run);
	if (err) {
		relay_run_free(run);
		return err;
	}
	*runp = run;
	return 0;
}

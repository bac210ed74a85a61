// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The flight recorder: a run in overwrite mode that writes nothing until
 * a trigger, then the buffers' content as a snapshot.
 *
 * The kernel keeps the data: without --trigger-match nothing is read
 * until a trigger, and the buffers hold the newest n_subbufs - 1
 * complete sub-buffers of each CPU (the oldest overwritten, counted by
 * the kernel).  A trigger drains every CPU's complete sub-buffers through
 * the reader, which in overwrite mode hands out only the copies the
 * kernel validated (RELAYFS_IOC_CONSUME's valid_from): those that were
 * overwritten while copied are skipped as overwritten.  They go to a new
 * directory <dir>/snapshot-<UTC time>-<N>/<base>.relay, a whole run of
 * the format (its own run id) whose header carries the trigger
 * (RELAY_HDR_SNAPSHOT) and whose end carries each CPU's counters as the
 * kernel had them right after the drain.  The sub-buffer being written
 * is not in it (it is not complete).  Each snapshot holds what completed
 * since the previous one, a buffer's worth at most.
 *
 * With --trigger-match the data must be read to be matched: every
 * complete sub-buffer is drained as it completes, its records (lines)
 * matched, and kept in a window of the newest n_subbufs sub-buffers per
 * CPU, which is what a trigger then writes; the window's evicted
 * sub-buffers are counted (window_dropped), the kernel counts them
 * consumed.  Reading stops at a sub-buffer with a match, and the match's
 * snapshot is written from the windows as they stand (not read further,
 * which could push that sub-buffer out): it holds the matching line.
 * Every further matching line is a trigger too: coalesced while one
 * waits, or while a snapshot that holds it is being taken.
 *
 * Triggers: the control file's EPOLLPRI (the kernel's ring: kernel
 * calls, "snapshot" commands, RELAYFS_IOC_TRIGGER), relay_run_snapshot()
 * (SIGUSR1 in relay-collect), and matches.  One inside the minimum
 * interval after the previous snapshot, or after max_snapshots, makes
 * none: counted coalesced, and in the next snapshot's trigger.missed.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "sink.h"
#include "snapshot.h"

#define SNAP_CONTROL	(UINT32_MAX - 1)	/* epoll tag of control */

struct snap_frame {
	struct relay_frame f;
	uint8_t *data;			/* f.len bytes, room for cap */
	size_t cap;
};

struct snap_cpu {
	struct snap_frame *win;		/* ring of n_subbufs */
	unsigned int first, n;
	uint64_t window_dropped;	/* evicted before a snapshot */
};

struct snap {
	const struct relay_snap_env *env;
	const struct relay_app_opts *o;
	struct relay_run *run;
	struct snap_cpu *cpu;
	unsigned int cap;		/* window: n_subbufs */
	regex_t re;
	int have_re;
	int have_match;			/* a match waits: match_t */
	struct relay_trigger match_t;
	double last;			/* monotonic time of the last snapshot */
	uint64_t missed;		/* since the last snapshot */
	int done;
};

static double snap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void copy_reason(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i < RELAY_TRIGGER_REASON_MAX - 1; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
			 '?' : src[i];
	dst[i] = '\0';
}

void relay_snap_request(struct relay_snap_req *q, const char *reason)
{
	int idle = 0;

	if (!atomic_compare_exchange_strong(&q->state, &idle, 1)) {
		atomic_fetch_add(&q->coalesced, 1);
		return;
	}
	copy_reason(q->reason, reason ? reason : "signal");
	atomic_store(&q->state, 2);
}

static int snap_fail(struct snap *s, int err, const char *what)
{
	struct relay_run *run = s->run;

	if (!run->error) {
		run->error = err;
		snprintf(run->error_msg, sizeof(run->error_msg),
			 "%.200s: snapshot: %.200s: %s", run->app, what,
			 strerror(-err));
	}
	return err;
}

/* "[  123.456789] ..." -> ns; 0 if the line has no such stamp. */
static int line_time(const char *p, size_t n, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0;
	size_t i = 1, d = 0;

	if (n < 4 || p[0] != '[')
		return 0;
	while (i < n && p[i] == ' ')
		i++;
	if (i >= n || p[i] < '0' || p[i] > '9')
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		sec = sec * 10 + (p[i++] - '0');
	if (i >= n || p[i++] != '.')
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9' && d < 9) {
		frac = frac * 10 + (p[i++] - '0');
		d++;
	}
	if (i >= n || p[i] != ']' || !d)
		return 0;
	while (d++ < 9)
		frac *= 10;
	*ns = sec * 1000000000ULL + frac;
	return 1;
}

/*
 * The records (lines) of @f against the expression: the first match
 * waits to be taken; each one after it, while it waits, is a trigger
 * coalesced into it (counted).
 */
static void snap_match(struct snap *s, const struct relay_frame *f)
{
	const char *p = (const char *)f->payload, *end = p + f->len;
	char line[4096];

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p, k = n;
		uint64_t t;

		if (k >= sizeof(line))
			k = sizeof(line) - 1;
		memcpy(line, p, k);
		line[k] = '\0';
		p += n + 1;
		if (regexec(&s->re, line, 0, NULL, 0))
			continue;
		if (s->have_match) {
			s->run->triggers++;
			s->run->coalesced++;
			s->missed++;
		} else {
			struct relay_trigger *tr = &s->match_t;
			const char *text = line, *sp;

			memset(tr, 0, sizeof(*tr));
			tr->kind = RELAY_TRIGGER_MATCH;
			tr->cpu = f->cpu;
			tr->time_ns = line_time(line, k, &t) ? t : f->t_close;
			/* The reason: the line after its "[time] ". */
			if (line[0] == '[' && (sp = strstr(line, "] ")))
				text = sp + 2;
			copy_reason(tr->reason, text);
			s->have_match = 1;
		}
	}
}

/* Keep a copy of @sb in CPU @i's window. */
static int snap_keep(struct snap *s, unsigned int i, unsigned int cpu,
		     const struct relay_subbuf *sb)
{
	struct snap_cpu *c = &s->cpu[i];
	struct snap_frame *w;

	if (c->n == s->cap) {
		c->first = (c->first + 1) % s->cap;
		c->n--;
		c->window_dropped++;
	}
	w = &c->win[(c->first + c->n) % s->cap];
	if (w->cap < sb->len) {
		uint8_t *d = realloc(w->data, sb->len);

		if (!d)
			return -ENOMEM;
		w->data = d;
		w->cap = sb->len;
	}
	memcpy(w->data, sb->data, sb->len);
	w->f = (struct relay_frame){
		.cpu = cpu, .seq = sb->meta.seq,
		.t_open = sb->meta.t_open, .t_close = sb->meta.t_close,
		.drops = sb->meta.drops, .records = sb->meta.records,
		.bytes = sb->meta.bytes, .payload = w->data,
		.len = sb->len, .stored = sb->len,
	};
	c->n++;
	if (s->have_re)
		snap_match(s, &w->f);
	return 0;
}

/*
 * Every complete sub-buffer of buffer @i into its window, up to one with
 * a matching line: that one stays the newest of its window until its
 * snapshot is written (reading on could push it out).
 */
static int snap_drain(struct snap *s, unsigned int i)
{
	struct relay_reader *r = s->env->readers[i];
	struct relay_subbuf sb;
	int ret = 0, err;

	while (!s->have_match && (ret = relay_reader_next(r, &sb, 0)) == 1) {
		err = snap_keep(s, i, s->run->cpu[i].cpu, &sb);
		if (err)
			return snap_fail(s, err, "window");
		s->run->cpu[i].subbufs++;
		s->run->cpu[i].bytes += sb.len;
		s->run->cpu[i].records += sb.meta.records;
	}
	if (ret >= 0 || ret == -EAGAIN)
		return 0;	/* drained, a match, or the end */
	return snap_fail(s, ret, "read");
}

static int snap_sink(struct snap *s, const char *dir, struct relay_sink **sp)
{
	struct relay_file_opts fo = {
		.size = sizeof(fo), .dir = dir, .name = s->run->base,
		.compressed = s->o->compress > 0,
	};
	struct relay_sink *files;
	int err = relay_sink_files(&fo, &files);

	if (err || s->o->compress <= 0) {
		*sp = err ? NULL : files;
		return err;
	}
	err = relay_sink_zstd(s->o->compress, 0, files, sp);
	if (err)
		relay_sink_free(files);
	return err;
}

/* <dir>/snapshot-<UTC time>-<N>, made (with its parents). */
static int snap_dir(struct snap *s, uint64_t real_ns, char *path, size_t n)
{
	time_t sec = real_ns / 1000000000ULL;
	struct tm tm;
	char when[32];

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
	snprintf(path, n, "%s/snapshot-%s.%03uZ-%llu",
		 s->o->dir ? s->o->dir : ".", when,
		 (unsigned int)(real_ns / 1000000 % 1000),
		 (unsigned long long)s->run->snapshots + 1);
	return relay_mkdirs(path);
}

/* The windows of every CPU, as a run of the format, under @path. */
static int snap_write(struct snap *s, struct relay_run_header *h,
		      const char *path)
{
	struct relay_run *run = s->run;
	struct relay_cpu_counters *ctr;
	struct relay_sink *sink;
	unsigned int i, k;
	int err;

	ctr = calloc(run->ncpus, sizeof(*ctr));
	if (!ctr)
		return -ENOMEM;
	err = snap_sink(s, path, &sink);
	if (err)
		goto out;
	err = relay_sink_begin(sink, h);
	for (i = 0; !err && i < run->ncpus; i++) {
		struct snap_cpu *c = &s->cpu[i];

		ctr[i].cpu = run->cpu[i].cpu;
		relay_reader_stats(s->env->readers[i], &ctr[i].stats);
		for (k = 0; !err && k < c->n; k++) {
			struct snap_frame *w = &c->win[(c->first + k) %
						       s->cap];

			err = relay_sink_frame(sink, &w->f);
			ctr[i].frames++;
			ctr[i].bytes += w->f.len;
			run->cpu[i].written_subbufs++;
			run->cpu[i].written_records += w->f.records;
			run->cpu[i].written_bytes += w->f.len;
		}
		c->first = c->n = 0;
	}
	if (!err)
		err = relay_sink_end(sink, ctr, run->ncpus, 0);
	if (err && !run->error) {
		run->error = err;
		snprintf(run->error_msg, sizeof(run->error_msg), "%s",
			 relay_sink_error(sink));
	}
	relay_sink_free(sink);
out:
	free(ctr);
	return err;
}

/* One trigger: a snapshot, unless it comes too soon or too late. */
static int snap_take(struct snap *s, struct relay_trigger *t)
{
	const struct relay_app_opts *o = s->o;
	struct relay_run *run = s->run;
	struct relay_run_header h = *s->env->hdr;
	struct timespec ts;
	char path[4096];
	unsigned int i;
	int err;

	run->triggers++;
	if (s->done || (o->snapshot_interval > 0 && run->snapshots &&
			snap_now() - s->last < o->snapshot_interval)) {
		run->coalesced++;
		s->missed++;
		return 0;
	}
	/* A match's windows are as they were at the matching line. */
	for (i = 0; t->kind != RELAY_TRIGGER_MATCH && i < run->ncpus; i++) {
		err = snap_drain(s, i);
		if (err)
			return err;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	h.flags |= RELAY_HDR_SNAPSHOT | RELAY_HDR_OVERWRITE;
	h.file_index = 0;
	if (getrandom(h.run_id, sizeof(h.run_id), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(h.run_id))
		memcpy(h.run_id, &h.start_ns, sizeof(h.start_ns));
	/* A fresh anchor: the snapshot may come days into the run. */
	if (!relay_clock_anchor(relay_reader_fd(s->env->readers[0]),
				&h.anchor))
		h.flags |= RELAY_HDR_ANCHOR;
	t->seq = run->snapshots + 1;
	t->missed += s->missed;
	h.trigger = *t;
	err = snap_dir(s, h.start_ns, path, sizeof(path));
	if (err)
		return snap_fail(s, err, path);
	err = snap_write(s, &h, path);
	if (err)
		return snap_fail(s, err, path);
	run->snapshots++;
	if (s->have_match) {
		/* A line matched while this was taken: it is in this one. */
		s->have_match = 0;
		run->triggers++;
		run->coalesced++;
	}
	snprintf(run->last_snapshot, sizeof(run->last_snapshot), "%s", path);
	s->last = snap_now();
	s->missed = 0;
	if (o->max_snapshots && run->snapshots >= o->max_snapshots)
		s->done = 1;
	return 0;
}

/* The kernel's triggers waiting on the control file. */
static int snap_kernel(struct snap *s)
{
	struct relayfs_trigger kt;
	int err;

	for (;;) {
		struct relay_trigger t = { 0 };

		memset(&kt, 0, sizeof(kt));
		if (ioctl(s->env->control, RELAYFS_IOC_TRIGGER_NEXT, &kt)) {
			err = -errno;
			if (err == -EAGAIN || err == -ENOTCONN ||
			    err == -EINTR)
				return 0;
			return snap_fail(s, err, "RELAYFS_IOC_TRIGGER_NEXT");
		}
		t.kind = kt.flags & RELAYFS_TRIGGER_USER ?
			 RELAY_TRIGGER_CONTROL : RELAY_TRIGGER_KERNEL;
		t.cpu = kt.cpu;
		t.context = kt.context;
		t.flags = kt.flags;
		t.time_ns = kt.time_ns;
		t.kernel_seq = kt.seq;
		t.missed = kt.missed;
		/* The kernel's or a control write's text: one line. */
		copy_reason(t.reason, kt.reason);
		if (kt.missed) {
			/* Lost in the kernel's ring: triggers, coalesced. */
			s->run->triggers += kt.missed;
			s->run->coalesced += kt.missed;
		}
		err = snap_take(s, &t);
		if (err)
			return err;
	}
}

/* relay_run_snapshot()'s request, if one is ready. */
static int snap_signal(struct snap *s)
{
	struct relay_snap_req *q = s->env->req;
	struct relay_trigger t = { .kind = RELAY_TRIGGER_SIGNAL };
	struct relayfs_clocks now;
	unsigned int more;

	more = atomic_exchange(&q->coalesced, 0);
	s->run->triggers += more;
	s->run->coalesced += more;
	s->missed += more;
	if (atomic_load(&q->state) != 2)
		return 0;
	memcpy(t.reason, q->reason, sizeof(t.reason));
	atomic_store(&q->state, 0);
	/* Its time on the kernel's clock: a reading taken now. */
	if (!relay_clock_anchor(relay_reader_fd(s->env->readers[0]), &now)) {
		t.time_ns = now.local_ns;
		t.cpu = now.cpu;
	}
	return snap_take(s, &t);
}

static void snap_free(struct snap *s)
{
	unsigned int i, k;

	for (i = 0; s->cpu && i < s->run->ncpus; i++) {
		for (k = 0; s->cpu[i].win && k < s->cap; k++)
			free(s->cpu[i].win[k].data);
		free(s->cpu[i].win);
	}
	free(s->cpu);
	if (s->have_re)
		regfree(&s->re);
}

static int snap_init(struct snap *s, const struct relay_snap_env *env)
{
	struct epoll_event ev = { .events = EPOLLPRI, .data.u32 = SNAP_CONTROL };
	unsigned int i;
	int err;

	memset(s, 0, sizeof(*s));
	s->env = env;
	s->o = env->o;
	s->run = env->run;
	s->cap = s->run->n_subbufs ? s->run->n_subbufs : 1;
	s->cpu = calloc(s->run->ncpus, sizeof(*s->cpu));
	if (!s->cpu)
		return -ENOMEM;
	for (i = 0; i < s->run->ncpus; i++) {
		s->cpu[i].win = calloc(s->cap, sizeof(*s->cpu[i].win));
		if (!s->cpu[i].win)
			return -ENOMEM;
	}
	if (s->o->trigger_match) {
		err = regcomp(&s->re, s->o->trigger_match,
			      REG_EXTENDED | REG_NOSUB);
		if (err)
			return -EINVAL;
		s->have_re = 1;
	} else {
		/* Nothing read until a trigger: the buffers do not wake us. */
		for (i = 0; i < s->run->ncpus; i++)
			epoll_ctl(env->ep, EPOLL_CTL_DEL,
				  relay_reader_fd(env->readers[i]), NULL);
	}
	if (epoll_ctl(env->ep, EPOLL_CTL_ADD, env->control, &ev))
		return -errno;
	return 0;
}

int relay_snap_loop(const struct relay_snap_env *env)
{
	struct epoll_event ev[16];
	struct snap s;
	int n, i, err, ended = 0;

	err = snap_init(&s, env);
	if (err) {
		snap_fail(&s, err, err == -EINVAL ? "bad --trigger-match "
			  "expression" : "setup");
		goto out;
	}
	while (!s.done && !ended && !env->should_stop(env->arg)) {
		n = epoll_wait(env->ep, ev, 16, 100);
		if (n < 0 && errno != EINTR) {
			err = snap_fail(&s, -errno, "epoll_wait");
			break;
		}
		for (i = 0; !err && i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == UINT32_MAX) {
				uint64_t v;

				if (read(env->wake, &v, sizeof(v)) < 0) {
					/* seen on the next write anyway */
				}
			} else if (tag == SNAP_CONTROL) {
				err = snap_kernel(&s);
				/* The run ended under us: unregistered. */
				if (ev[i].events & EPOLLHUP)
					ended = 1;
			} else if (s.have_re) {
				err = snap_drain(&s, tag);
				if (!err && s.have_match) {
					s.have_match = 0;
					err = snap_take(&s, &s.match_t);
				}
			}
		}
		if (!err)
			err = snap_signal(&s);
		if (!err && s.have_match) {
			s.have_match = 0;
			err = snap_take(&s, &s.match_t);
		}
		if (!err)
			err = env->tick(env->arg);
		if (err)
			break;
	}
	/* Triggers that came with the stop are counted, never lost. */
	if (!err)
		err = snap_kernel(&s);
	if (!err)
		err = snap_signal(&s);
out:
	snap_free(&s);
	return err;
}

int relay_app_trigger(const char *root, const char *app, const char *reason)
{
	struct relayfs_trigger_req req = { .version = RELAYFS_ABI_VERSION };
	char path[4096];
	int fd, err = 0;

	if (!app || !*app || strchr(app, '/'))
		return -EINVAL;
	if (reason && strlen(reason) >= sizeof(req.reason))
		return -EINVAL;
	if (reason)
		strcpy(req.reason, reason);
	snprintf(path, sizeof(path), "%s/%s/control",
		 root ? root : RELAY_DEFAULT_ROOT, app);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, RELAYFS_IOC_TRIGGER, &req))
		err = -errno;
	close(fd);
	return err;
}

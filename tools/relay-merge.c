// SPDX-License-Identifier: GPL-2.0
/*
 * relay-merge: the merged, chronological text of text relay-app runs
 * (klog, tprintk), one or several, on one timeline (see relay-merge(1)).
 *
 * Reads runs in the framed format (docs/format.md) through librelay's
 * reader: files, directories of them, standard input.  Splits each
 * frame's payload into records (a line that starts with
 * "[seconds.micros]" and the tab-indented lines after it; a line without
 * a timestamp keeps the time of the line before it on its CPU), adds a
 * marker where frames show records dropped or sub-buffers overwritten,
 * maps every time onto the clock asked for through the run's anchor,
 * sorts and prints.  --follow reads one input as it grows (librelay's
 * relay_follow_*()) and prints each record once it is in order or held
 * back long enough (release_ready()).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "librelay.h"
#include "merge-filter.h"

static const char *prog = "relay-merge";

struct rec {
	int64_t key;		/* on the output clock */
	uint64_t order;		/* reading order: ties */
	unsigned int run, cpu;
	int has_ts;		/* text starts with its timestamp */
	size_t ts_len;		/* of "[.....]" */
	const char *text;	/* in a payload copy, or owned (a marker) */
	size_t len;
	char *own;		/* --follow: the text's own copy */
	double arrived;		/* --follow: when it was read */
};

/* What one CPU of one run said last: context for what follows. */
struct cpu_state {
	int seen;
	uint64_t next_seq, drops, last_close;
	uint64_t last_ns;	/* the previous line's time (local) */
	int have_line;
};

struct run {
	uint8_t id[16];
	unsigned int app_index;	/* in a run of several apps */
	char *host, *app, *path;
	struct relayfs_clocks anchor;
	int anchored;
	int from_start;		/* its first file was read */
	unsigned int ncpu;
	struct cpu_state *cpu;
};

struct merge {
	enum relay_clock clock;
	int wall;		/* -T */
	struct rec *v;
	size_t n, cap;
	struct run *runs;
	unsigned int nruns;
	char **chunks;		/* payload copies, freed at the end */
	size_t nchunks, chunk_cap;
	uint64_t order;
	int follow;		/* --follow: records own their text */
	double hold;		/* --hold-back, seconds */
	double now;		/* --follow: when the last input came */
	struct merge_filter filter;	/* --pid, --comm, --cgroup */
};

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	exit(2);
}

static void help(void)
{
	printf(
"usage: relay-merge [-T | --clock=CLOCK] [--app APP[,APP..]]\n"
"                   [--pid PID[,PID..]] [--comm NAME] [--cgroup ID|PATH]\n"
"                   INPUT...\n"
"       relay-merge --follow [--hold-back=TIME] [-T | --clock=CLOCK]\n"
"                   [filters as above] INPUT\n"
"Print the records of text relay-app runs (klog, tprintk) collected by\n"
"relay-collect, merged by time, with a marker where data was lost.\n"
"\n"
"INPUT is a run file (.relay, .relay.zst), a directory (every run file\n"
"in it, in name order) or - (standard input).\n"
"\n"
"  -f, --follow        print the run as it grows (tail -f), across\n"
"                      rotated files, until its end or Ctrl-C\n"
"      --hold-back=TIME  with -f: hold a record at most TIME for the\n"
"                      other CPUs' records before it (default 1s)\n"
"  -T, --wall          wall-clock date and time (--clock=real, as dates)\n"
"      --clock=CLOCK   local (default: the kernel's local_clock(), as\n"
"                      written), boot, mono or real (seconds since the\n"
"                      Epoch), through each run's clock anchor\n"
"      --app APP,...   only these apps' records (of a run of several)\n"
"      --pid PID,...   only records of these processes or threads\n"
"      --comm NAME     only records of tasks with this name (comm)\n"
"      --cgroup ID|PATH  only records of tasks in this cgroup v2 (an id,\n"
"                      or a directory under /sys/fs/cgroup of this host)\n"
"                      filters: all must match, task context only\n"
"  -h, --help          this text\n"
"  -V, --version       the version\n"
"\n"
"Exit status: 0 success, 1 an input or output error, 2 a usage error.\n");
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		exit(1);
	}
	return d;
}

static void push(struct merge *m, const struct rec *x)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	m->v[m->n] = *x;
	m->v[m->n++].arrived = m->now;
}

/*
 * "[sec.micros]" at @p, exactly as klog and tprintk write it: '[', blanks,
 * digits, '.', six digits, ']'.  Its length and *@ns, or 0 if @p does not
 * start with one ("[1.5]" does not).
 */
static size_t parse_ts(const char *p, size_t n, uint64_t *ns)
{
	uint64_t sec = 0, us = 0;
	size_t i = 1, d;

	if (!n || p[0] != '[')
		return 0;
	while (i < n && p[i] == ' ')
		i++;
	for (d = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, d++) {
		if (d == 11)		/* beyond 2^64 ns */
			return 0;
		sec = sec * 10 + (p[i] - '0');
	}
	/* Times are int64 ns on every clock: a later one is no timestamp. */
	if (sec > INT64_MAX / 1000000000 - 1)
		return 0;
	if (!d || i >= n || p[i] != '.')
		return 0;
	for (i++, d = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, d++)
		us = us * 10 + (p[i] - '0');
	if (d != 6 || i >= n || p[i] != ']')
		return 0;
	*ns = sec * 1000000000 + us * 1000;
	return i + 1;
}

/* @local_ns of run @r on the output clock; 0 with the error reported. */
static int to_clock(const struct merge *m, const struct run *r,
		    uint64_t local_ns, int64_t *out)
{
	if (m->clock == RELAY_CLOCK_LOCAL && local_ns <= INT64_MAX) {
		*out = (int64_t)local_ns;
		return 0;
	}
	if (m->clock == RELAY_CLOCK_LOCAL) {
		fprintf(stderr, "%s: %s: a time beyond the local clock's "
			"range\n", prog, r->path);
		return -ERANGE;
	}
	if (relay_clock_convert(&r->anchor, m->clock, local_ns, out)) {
		fprintf(stderr, "%s: %s: a time beyond the %s clock's range\n",
			prog, r->path, relay_clock_name(m->clock));
		return -ERANGE;
	}
	return 0;
}

/* A time as the output shows it, brackets included. */
static const char *fmt_time(const struct merge *m, int64_t t, char *buf,
			    size_t n)
{
	int64_t sec = t / 1000000000, ns = t % 1000000000;

	if (ns < 0) {
		sec--;
		ns += 1000000000;
	}
	if (m->wall) {
		time_t s = (time_t)sec;
		struct tm tm;
		char d[40];

		if (localtime_r(&s, &tm) &&
		    strftime(d, sizeof(d), "%Y-%m-%d %H:%M:%S", &tm)) {
			snprintf(buf, n, "[%s.%06d]", d, (int)(ns / 1000));
			return buf;
		}
	}
	if (t < 0) {	/* before the clock's zero */
		uint64_t a = -(uint64_t)t;

		snprintf(buf, n, "[-%" PRIu64 ".%06u]", a / 1000000000,
			 (unsigned int)(a % 1000000000 / 1000));
	} else {
		snprintf(buf, n, "[%5" PRId64 ".%06d]", sec, (int)(ns / 1000));
	}
	return buf;
}

/* @c is freed at the end. */
static char *keep(struct merge *m, char *c)
{
	if (m->nchunks == m->chunk_cap) {
		m->chunk_cap = m->chunk_cap ? 2 * m->chunk_cap : 256;
		m->chunks = xrealloc(m->chunks,
				     m->chunk_cap * sizeof(*m->chunks));
	}
	m->chunks[m->nchunks++] = c;
	return c;
}

/* A "*** lost ... ***" line before frame @f of CPU state @c. */
static int add_loss(struct merge *m, unsigned int ri, struct cpu_state *c,
		    const struct relay_frame *f)
{
	struct run *r = &m->runs[ri];
	uint64_t at = c->seen ? c->last_close : f->t_open;
	char a[48], b[48], span[120], *text;
	struct rec x = { .run = ri, .cpu = f->cpu };
	int64_t ta, tb;

	if (to_clock(m, r, at, &ta) || to_clock(m, r, f->t_open, &tb))
		return -ERANGE;
	fmt_time(m, ta, a, sizeof(a));
	fmt_time(m, tb, b, sizeof(b));
	if (c->seen)
		snprintf(span, sizeof(span), "between %s and %s", a, b);
	else
		snprintf(span, sizeof(span), "before %s", b);
	text = xrealloc(NULL, 512);
	if (m->follow)
		x.own = text;
	else
		keep(m, text);
	x.len = snprintf(text, 512, "%s cpu%u %s *** lost %" PRIu64
			 " records, %" PRIu64 " sub-buffers, %s ***\n", a,
			 f->cpu, r->app, f->drops - c->drops,
			 f->seq - c->next_seq, span);
	x.text = text;
	x.key = ta;
	x.order = m->order++;
	push(m, &x);
	return 0;
}

/* The records of one frame's payload. */
static int add_frame(struct merge *m, unsigned int ri,
		     const struct relay_frame *f)
{
	struct run *r = &m->runs[ri];
	struct cpu_state *c;
	const char *data;
	size_t pos = 0;

	if (!merge_filter_app(&m->filter, r->app))
		return 0;	/* --app: another app's frame */
	/* The reader refuses such a frame: never an index out of range. */
	if (f->cpu >= r->ncpu) {
		fprintf(stderr, "%s: %s: a frame of cpu %u, the run has %u\n",
			prog, r->path, f->cpu, r->ncpu);
		return -ERANGE;
	}
	c = &r->cpu[f->cpu];
	/*
	 * A gap in seq, or drops that rose: lost between the two frames.  A
	 * run read from a later rotated part on has no start to compare.
	 */
	if ((c->seen || r->from_start) &&
	    (f->drops > c->drops || f->seq > c->next_seq) &&
	    add_loss(m, ri, c, f))
		return -ERANGE;
	c->seen = 1;
	c->next_seq = f->seq + 1;
	c->drops = f->drops;
	c->last_close = f->t_close;
	if (!c->have_line) {
		/* No line before: the sub-buffer's opening time. */
		c->last_ns = f->t_open;
		c->have_line = 1;
	}
	if (!f->len)
		return 0;
	/* --follow: each record gets its own copy, freed once printed. */
	data = m->follow ? (const char *)f->payload :
	       keep(m, memcpy(xrealloc(NULL, f->len ? f->len : 1),
			      f->payload, f->len));
	while (pos < f->len) {
		struct rec x = { .run = ri, .cpu = f->cpu, .text = data + pos };
		uint64_t ns;
		size_t end = pos;
		const char *nl;

		x.ts_len = parse_ts(data + pos, f->len - pos, &ns);
		x.has_ts = x.ts_len > 0;
		if (x.has_ts)
			c->last_ns = ns;
		/* The record: its line and the tab-indented ones after it. */
		do {
			nl = memchr(data + end, '\n', f->len - end);
			end = nl ? (size_t)(nl - data) + 1 : f->len;
		} while (end < f->len && data[end] == '\t');
		x.len = end - pos;
		pos = end;
		if (!merge_filter_match(&m->filter, x.text, x.len))
			continue;
		if (m->follow)
			x.text = x.own = memcpy(xrealloc(NULL, x.len),
						x.text, x.len);
		if (to_clock(m, r, c->last_ns, &x.key))
			return -ERANGE;
		x.order = m->order++;
		push(m, &x);
	}
	return 0;
}

/* A snapshot's trigger, in place on the timeline. */
static int add_trigger(struct merge *m, unsigned int ri,
		       const struct relay_trigger *t)
{
	static const char *const ctx[] = { "task", "softirq", "hardirq",
					   "nmi" };
	struct rec x = { .run = ri, .cpu = t->cpu };
	char when[48], where[64], reason[RELAY_TRIGGER_REASON_MAX], *text;
	const char *what;
	size_t i;

	/* Text of one line: a control byte printed is '?' (a file's reason
	 * is the writer's; it must not forge a line or move the cursor). */
	for (i = 0; i < sizeof(reason) - 1 && t->reason[i]; i++)
		reason[i] = (unsigned char)t->reason[i] < 0x20 ||
			    t->reason[i] == 0x7f ? '?' : t->reason[i];
	reason[i] = '\0';

	if (to_clock(m, &m->runs[ri], t->time_ns, &x.key))
		return -ERANGE;
	fmt_time(m, x.key, when, sizeof(when));
	switch (t->kind) {
	case RELAY_TRIGGER_KERNEL:
		what = t->context < 4 ? ctx[t->context] : "kernel";
		break;
	case RELAY_TRIGGER_CONTROL:
		what = "control";
		break;
	case RELAY_TRIGGER_SIGNAL:
		what = "signal";
		break;
	case RELAY_TRIGGER_MATCH:
		what = "match";
		break;
	default:
		what = "unknown";
	}
	snprintf(where, sizeof(where), "%s, cpu %u", what, t->cpu);
	text = keep(m, xrealloc(NULL, 256));
	if (t->missed)
		x.len = snprintf(text, 256, "%s === trigger %s (%s; %" PRIu64
				 " more missed) ===\n", when, reason,
				 where, t->missed);
	else
		x.len = snprintf(text, 256, "%s === trigger %s (%s) ===\n",
				 when, reason, where);
	if (x.len >= 256)
		x.len = 255;
	x.text = text;
	x.order = m->order++;
	push(m, &x);
	return 0;
}

static int same_id(const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, 16);
}

/* The run a header starts or continues (rotated parts share its id). */
static int add_run(struct merge *m, const struct relay_run_header *h,
		   const char *path, unsigned int *ri)
{
	struct run *r;
	unsigned int i;

	for (i = 0; i < m->nruns; i++) {
		if (same_id(m->runs[i].id, h->run_id) &&
		    m->runs[i].app_index == h->app_index) {
			*ri = i;
			return 0;
		}
	}
	if (m->clock != RELAY_CLOCK_LOCAL && !(h->flags & RELAY_HDR_ANCHOR)) {
		fprintf(stderr, "%s: %s: the run of %s has no clock anchor "
			"(a kernel without RELAYFS_IOC_GET_CLOCKS): only "
			"--clock=local\n", prog, path, h->app);
		return -EINVAL;
	}
	m->runs = xrealloc(m->runs, (m->nruns + 1) * sizeof(*m->runs));
	r = &m->runs[m->nruns];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, h->run_id, 16);
	r->app_index = h->app_index;
	r->host = xstrdup(h->host);
	r->app = xstrdup(h->app);
	r->path = xstrdup(path);
	r->anchor = h->anchor;
	r->anchored = !!(h->flags & RELAY_HDR_ANCHOR);
	r->from_start = h->file_index == 0;
	/* ncpus is 1 .. 65536: the reader checked it. */
	r->ncpu = h->ncpus;
	r->cpu = xrealloc(NULL, (r->ncpu ? r->ncpu : 1) * sizeof(*r->cpu));
	memset(r->cpu, 0, (r->ncpu ? r->ncpu : 1) * sizeof(*r->cpu));
	*ri = m->nruns++;
	if (h->flags & RELAY_HDR_SNAPSHOT)
		return add_trigger(m, *ri, &h->trigger);
	return 0;
}

/* Every run in one file or stream. */
static int read_input(struct merge *m, const char *path)
{
	const char *name = strcmp(path, "-") ? path : "standard input";
	struct relay_stream *s;
	struct relay_frame f;
	/* The merge's run of each app of the stream's current run. */
	unsigned int ri[RELAY_MAX_APPS] = { 0 };
	int ret, have_run = 0;

	ret = relay_stream_open(path, &s);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(-ret));
		return ret;
	}
	while ((ret = relay_stream_next(s, &f)) > 0) {
		if (ret == 2) {
			const struct relay_run_header *h =
				relay_stream_header(s);

			/* The reader checked app_index < RELAY_MAX_APPS. */
			ret = add_run(m, h, name, &ri[h->app_index]);
			if (ret)
				break;
			have_run = 1;
			continue;
		}
		ret = have_run ? add_frame(m, ri[RELAY_FRAME_APP(f.flags)], &f) :
				 -EBADMSG;
		if (ret)
			break;
	}
	if (ret == -ENODATA) {
		/* Killed or cut short: every whole frame was read. */
		fprintf(stderr, "%s: %s: the run never finished (read up to "
			"its last whole frame)\n", prog, name);
		ret = 0;
	} else if (ret == -EBADMSG || ret == -EPROTONOSUPPORT) {
		const char *why = relay_stream_error(s);

		fprintf(stderr, "%s: %s: %s\n", prog, name,
			why && *why ? why : strerror(-ret));
	} else if (ret < 0 && ret != -ERANGE && ret != -EINVAL) {
		fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(-ret));
	}
	relay_stream_close(s);
	return ret;
}

static int is_run_file(const char *n)
{
	size_t l = strlen(n);

	return (l > 6 && !strcmp(n + l - 6, ".relay")) ||
	       (l > 10 && !strcmp(n + l - 10, ".relay.zst"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every run file of a directory, in name order (rotated parts 000000..). */
static int read_dir(struct merge *m, const char *dir)
{
	char **names = NULL, path[4096];
	size_t n = 0, i;
	struct dirent *e;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d) {
		err = -errno;
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(-err));
		return err;
	}
	while ((e = readdir(d))) {
		if (!is_run_file(e->d_name))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (!n) {
		fprintf(stderr, "%s: %s: no run file (*.relay, *.relay.zst) "
			"in it\n", prog, dir);
		err = -ENOENT;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		int ret;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		ret = read_input(m, path);
		if (ret)
			err = ret;
		free(names[i]);
	}
	free(names);
	return err;
}

static int cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->run != b->run)
		return a->run < b->run ? -1 : 1;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Local clocks of different machines do not compare. */
static int check_hosts(const struct merge *m)
{
	unsigned int i;

	if (m->clock == RELAY_CLOCK_REAL)
		return 0;
	for (i = 1; i < m->nruns; i++) {
		if (strcmp(m->runs[i].host, m->runs[0].host)) {
			fprintf(stderr, "%s: runs of hosts %s and %s: their "
				"%s clocks do not compare; use -T or "
				"--clock=real\n", prog, m->runs[0].host,
				m->runs[i].host, relay_clock_name(m->clock));
			return -EINVAL;
		}
	}
	return 0;
}

static void print_rec(const struct merge *m, const struct rec *x)
{
	const char *text = x->text;
	size_t len = x->len;
	char ts[64];

	/* A timestamp of another clock replaces the kernel's. */
	if (x->has_ts && m->clock != RELAY_CLOCK_LOCAL) {
		fputs(fmt_time(m, x->key, ts, sizeof(ts)), stdout);
		text += x->ts_len;
		len -= x->ts_len;
	}
	fwrite(text, 1, len, stdout);
	/* The last line of a file or frame without its newline. */
	if (!len || text[len - 1] != '\n')
		putchar('\n');
}

static int print_all(const struct merge *m)
{
	size_t i;

	for (i = 0; i < m->n && !ferror(stdout); i++)
		print_rec(m, &m->v[i]);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: %s\n", prog,
			strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A record is stamped before it is reserved: a sub-buffer may close in
 * between (an interrupt filling it, a flush), and its record then opens
 * the next one stamped before that close; and where the kernel marks
 * sched_clock unstable two CPUs' clocks agree to about a tick (4 ms).
 * A CPU is taken as known past its last close less this.
 */
#define KNOWN_MARGIN_NS	10000000

/*
 * --follow: the time every CPU of every run is known to have passed,
 * on the output clock: the earliest of their last sub-buffers' closing
 * times (what a CPU writes later is stamped after its last close), less
 * KNOWN_MARGIN_NS.  A CPU not heard from yet knows nothing: INT64_MIN.
 */
static int64_t watermark(const struct merge *m)
{
	int64_t w = INT64_MAX, t;
	unsigned int i, c;

	if (!m->nruns)
		return INT64_MIN;
	for (i = 0; i < m->nruns; i++) {
		const struct run *r = &m->runs[i];

		for (c = 0; c < r->ncpu; c++) {
			if (!r->cpu[c].seen ||
			    to_clock(m, r, r->cpu[c].last_close, &t))
				return INT64_MIN;
			if (t < w)
				w = t;
		}
	}
	return w < INT64_MIN + KNOWN_MARGIN_NS ? INT64_MIN :
	       w - KNOWN_MARGIN_NS;
}

/*
 * --follow: print, in time order, every record no later input can come
 * before (up to the watermark), and every record up to the latest one
 * held back --hold-back long (those before it come out with it, so
 * the order holds and nothing waits longer); @all: everything, the input
 * ended.  Standard output is flushed: each line leaves at once.
 */
static int release_ready(struct merge *m, int all)
{
	double now = mono_now();
	int64_t upto = all ? INT64_MAX : watermark(m);
	size_t i, k;

	for (i = 0; i < m->n && !all; i++)
		if (m->v[i].arrived + m->hold <= now && m->v[i].key > upto)
			upto = m->v[i].key;
	qsort(m->v, m->n, sizeof(*m->v), cmp_rec);
	for (k = 0; k < m->n && m->v[k].key <= upto; k++) {
		if (!ferror(stdout))
			print_rec(m, &m->v[k]);
		free(m->v[k].own);
	}
	memmove(m->v, m->v + k, (m->n - k) * sizeof(*m->v));
	m->n -= k;
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "%s: standard output: %s\n", prog,
			strerror(errno ? errno : EIO));
		return -EIO;
	}
	return 0;
}

/* Milliseconds until the first held record is due, at most 100. */
static int next_due_ms(const struct merge *m)
{
	double now = mono_now(), due = now + 0.1;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].arrived + m->hold < due)
			due = m->v[i].arrived + m->hold;
	return due <= now ? 0 : (int)((due - now) * 1000) + 1;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* --follow: one input, printed as it grows until its end or a signal. */
static int follow_input(struct merge *m, const char *path)
{
	struct sigaction sa = { .sa_handler = on_interrupt };
	const char *name = strcmp(path, "-") ? path : "standard input";
	struct relay_follow *fl;
	struct relay_frame f;
	/* The merge's run of each app of the followed run, as read_input. */
	unsigned int ri[RELAY_MAX_APPS] = { 0 };
	int ret, have_run = 0, end = 0;

	/* No SA_RESTART: a wait ends at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = relay_follow_open(path, &fl);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, name, strerror(-ret));
		return ret;
	}
	while (!end && !interrupted) {
		ret = relay_follow_next(fl, &f, next_due_ms(m));
		m->now = mono_now();
		if (ret == 2) {
			const struct relay_run_header *h =
				relay_follow_header(fl);

			/* The reader checked app_index < RELAY_MAX_APPS. */
			ret = add_run(m, h, relay_follow_name(fl),
				      &ri[h->app_index]);
			have_run = 1;
		} else if (ret == 1) {
			ret = have_run ?
			      add_frame(m, ri[RELAY_FRAME_APP(f.flags)], &f) :
			      -EBADMSG;
		} else if (ret == 0 || ret == -ENODATA) {
			if (ret)
				fprintf(stderr, "%s: %s: the run never "
					"finished (read up to its last whole "
					"frame)\n", prog, relay_follow_name(fl));
			end = 1;
			ret = 0;
		} else if (ret == -EAGAIN) {
			ret = 0;
		}
		if (ret)
			break;
		ret = release_ready(m, end);
		if (ret)
			break;
	}
	if (ret == -EBADMSG || ret == -EPROTONOSUPPORT || ret == -ESTALE) {
		const char *why = relay_follow_error(fl);

		fprintf(stderr, "%s: %s: %s\n", prog, relay_follow_name(fl),
			*why ? why : strerror(-ret));
	} else if (ret < 0 && ret != -ERANGE && ret != -EINVAL &&
		   ret != -EIO) {
		fprintf(stderr, "%s: %s: %s\n", prog, relay_follow_name(fl),
			strerror(-ret));
	}
	/* The end, an error or Ctrl-C: what is held is printed. */
	if (ret != -EIO && release_ready(m, 1))
		ret = -EIO;
	relay_follow_close(fl);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wall", no_argument, NULL, 'T' },
		{ "follow", no_argument, NULL, 'f' },
		{ "hold-back", required_argument, NULL, 'H' },
		{ "clock", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "pid", required_argument, NULL, 'p' },
		{ "app", required_argument, NULL, 'a' },
		{ "comm", required_argument, NULL, 'm' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct merge m = { .clock = RELAY_CLOCK_LOCAL, .hold = 1.0 };
	int opt, err = 0, ret, clock_set = 0;
	unsigned int i;
	size_t k;
	struct stat st;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":TfhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			m.follow = 1;
			break;
		case 'H':
			if (relay_parse_duration(optarg, &m.hold) ||
			    m.hold < 0 || m.hold > 3600)
				usage_error("--hold-back: '%s' is not a time "
					    "up to 1h (500ms, 2s)", optarg);
			break;
		case 'T':
			m.wall = 1;
			break;
		case 'c':
			if (relay_clock_parse(optarg, &m.clock))
				usage_error("--clock: '%s' is not local, boot, "
					    "mono or real", optarg);
			clock_set = 1;
			break;
		case 'h':
			help();
			return fflush(stdout) || ferror(stdout) ? 1 : 0;
		case 'V':
			printf("relay-merge %s\n", relay_version());
			return fflush(stdout) || ferror(stdout) ? 1 : 0;
		case 'p':
			if (merge_filter_pids(&m.filter, optarg))
				usage_error("--pid: '%s' is not a list of "
					    "numbers", optarg);
			break;
		case 'a':
			if (merge_filter_apps(&m.filter, optarg))
				usage_error("--app: '%s' is not a list of "
					    "apps", optarg);
			break;
		case 'm':
			m.filter.comm = optarg;
			m.filter.active = 1;
			break;
		case 'g':
			ret = merge_filter_cgroup(&m.filter, optarg);
			if (ret == -EINVAL)
				usage_error("--cgroup: '%s' is not an id",
					    optarg);
			if (ret) {
				fprintf(stderr, "%s: --cgroup: /sys/fs/cgroup/"
					"%s: %s\n", prog, optarg,
					strerror(-ret));
				return 2;
			}
			break;
		case ':':
			usage_error("%s needs an argument", argv[optind - 1]);
			break;
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (m.wall) {
		if (clock_set && m.clock != RELAY_CLOCK_REAL)
			usage_error("-T is wall-clock time: it conflicts with "
				    "--clock=%s", relay_clock_name(m.clock));
		m.clock = RELAY_CLOCK_REAL;
	}
	if (optind == argc)
		usage_error("%s", "no input: name run files, directories "
			    "or -");
	if (m.follow && argc - optind != 1)
		usage_error("%s", "--follow follows one input: a run file, "
			    "the directory it is written to, or -");
	if (m.follow) {
		ret = follow_input(&m, argv[optind]);
		goto out;
	}
	/*
	 * Every input is read even after one failed (its error said where):
	 * what could be read is printed, and the exit status is 1.
	 */
	for (i = optind; i < (unsigned int)argc; i++) {
		if (strcmp(argv[i], "-") && !stat(argv[i], &st) &&
		    S_ISDIR(st.st_mode))
			ret = read_dir(&m, argv[i]);
		else
			ret = read_input(&m, argv[i]);
		if (ret)
			err = ret;
	}
	ret = check_hosts(&m);
	if (!ret) {
		qsort(m.v, m.n, sizeof(*m.v), cmp_rec);
		ret = print_all(&m);
	}
out:
	if (ret)
		err = ret;
	for (k = 0; k < m.nchunks; k++)
		free(m.chunks[k]);
	free(m.chunks);
	free(m.v);
	for (i = 0; i < m.nruns; i++) {
		free(m.runs[i].host);
		free(m.runs[i].app);
		free(m.runs[i].path);
		free(m.runs[i].cpu);
	}
	free(m.runs);
	return err ? 1 : 0;
}

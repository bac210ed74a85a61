// SPDX-License-Identifier: GPL-2.0
/*
 * relay-collect: collect a relay-app's data in the run format (see
 * relay-collect(1), relayfs-format(5)).  A thin CLI over librelay.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "librelay.h"
#include "fleet.h"

#define RELAYFS_SUPER_MAGIC	0x72656c61	/* kernel/internal.h */
#define EXIT_LOSS		3	/* --fail-on-loss and records lost */

static volatile sig_atomic_t stop_flag, abort_flag;
static int tty;		/* progress rewrites one line on a terminal */
static struct relay_run *snap_run;	/* --snapshot: SIGUSR1's */

/* SIGUSR1 in a snapshot run: a snapshot (relay_run_snapshot is safe). */
static void on_usr1(int sig)
{
	(void)sig;
	if (snap_run)
		relay_run_snapshot(snap_run, "SIGUSR1");
}

static void on_signal(int sig)
{
	/* Stored atomically: librelay's zstd thread reads them too. */
	(void)sig;
	/* A second one stops at once, without draining. */
	if (__atomic_load_n(&stop_flag, __ATOMIC_RELAXED))
		__atomic_store_n(&abort_flag, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELAXED);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: relay-collect [options] APP...\n"
"       relay-collect --snapshot [options] APP\n"
"       relay-collect --trigger APP [REASON]\n"
"       relay-collect --list\n"
"Start APP's relay channel and write its data, one frame per sub-buffer\n"
"of every CPU, to DIR/<base>.relay (relayfs-format(5)) until Ctrl-C or the\n"
"duration; then print a summary.  Several APPs: one run of them all, in\n"
"DIR/<app1>+<app2>....relay, a summary per app.\n"
"\n"
"  -o, --output DIR         output directory (default: .); -d, --dir too\n"
"  -c, --stdout             the frames to standard output, no files\n"
"  -s, --subbuf-size SIZE   sub-buffer size (4096, 64k, 1M, 1MiB; default: APP's)\n"
"  -n, --n-subbufs N        sub-buffers per CPU (default: APP's)\n"
"  -w, --overwrite          flight-recorder mode (oldest data overwritten)\n"
"  -O, --no-overwrite       drop new data when full\n"
"  -t, --duration TIME      stop after this long (500ms, 30s, 5m, 1h)\n"
"  -z, --compress[=zstd[:LEVEL]]  zstd, LEVEL 1..19 (default 3); the\n"
"                           short form takes it with no space: -zzstd:5\n"
"      --rotate-size SIZE   a new file before one exceeds SIZE\n"
"      --rotate-time TIME   a new file every TIME\n"
"      --max-files N        when rotating, keep the newest N files\n"
"      --latency TIME       a record reaches the output within TIME\n"
"                           (10ms .. 120s; see relay-collect(1))\n"
"      --json               the summary as JSON\n"
"      --fail-on-loss       exit 3 if any record was lost\n"
"  -q, --quiet              no progress, no summary\n"
"  -p, --progress           progress lines even when stderr is no terminal\n"
"  -r, --root PATH          relayfs mount (default: " RELAY_DEFAULT_ROOT ")\n"
"      --no-mmap            read() instead of the zero-copy mmap protocol\n"
"      --snapshot           flight recorder: overwrite mode, nothing written\n"
"                           until a trigger, then the buffers' content to\n"
"                           DIR/snapshot-<UTC time>-<N>/ (SIGUSR1, the\n"
"                           kernel's relayfs_app_trigger(), --trigger)\n"
"      --max-snapshots N    stop after N snapshots\n"
"      --snapshot-interval TIME  at least TIME between two snapshots\n"
"      --trigger-match REGEX  a snapshot when a record (line) matches the\n"
"                           POSIX extended REGEX (text apps: klog, tprintk)\n"
"      --trigger APP [REASON]  fire APP's trigger (its --snapshot collector\n"
"                           writes a snapshot) and exit\n"
"      --list               the registered relay-apps and their state\n"
"      --sink nats://HOST:PORT[,...]  publish to a NATS JetStream cluster\n"
"                           instead of files (docs/fleet.md, options below)\n"
"  -V, --version            the version\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 done, 1 runtime or output error, 2 usage error,\n"
"3 records lost (with --fail-on-loss), 4 the NATS cluster refused at start\n"
"(connection, credentials, certificate, stream).\n\n");
	relay_nats_usage(f, 1);
}

/* A usage error: one line, and where to look. */
static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "relay-collect: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'relay-collect --help' for more information.\n");
	return 2;
}

static const char *human(double v, char *buf, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

static unsigned int term_cols(void)
{
	struct winsize ws;

	if (tty && !ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static uint64_t cpu_lost(const struct relay_cpu_result *c)
{
	return c->stats.dropped_records + c->stats.overwritten_records;
}

/*
 * Live progress: one line, rewritten each second on a terminal.  Per CPU
 * while that fits (at most 4 CPUs), else the totals with the busiest CPU.
 */
static void progress(const struct relay_run *run, void *arg)
{
	static uint64_t last_bytes;
	static double last_t;
	double dt = run->elapsed - last_t;
	uint64_t bytes = 0, lost = 0, bl = 0;
	unsigned int i, k, cols = term_cols(), busiest = 0;
	char line[1024], a[32], b[32];
	size_t len;

	(void)arg;
	for (k = 0; k < run->napps; k++) {
		const struct relay_run *r = run->apps[k];

		for (i = 0; i < r->ncpus; i++) {
			bytes += r->cpu[i].bytes;
			lost += cpu_lost(&r->cpu[i]);
			if (r->cpu[i].backlog >= bl) {
				bl = r->cpu[i].backlog;
				busiest = r->cpu[i].cpu;
			}
		}
	}
	len = snprintf(line, sizeof(line), "%6.1fs", run->elapsed);
	if (run->napps > 1) {
		len += snprintf(line + len, sizeof(line) - len,
				" | %u apps %s | backlog max %llu | lost %llu",
				run->napps, human(bytes, a, sizeof(a)),
				(unsigned long long)bl,
				(unsigned long long)lost);
	} else if (run->ncpus <= 4) {
		for (i = 0; i < run->ncpus && len < sizeof(line); i++) {
			const struct relay_cpu_result *c = &run->cpu[i];

			len += snprintf(line + len, sizeof(line) - len,
					" | cpu%u %s bl %llu lost %llu", c->cpu,
					human(c->bytes, a, sizeof(a)),
					(unsigned long long)c->backlog,
					(unsigned long long)cpu_lost(c));
		}
	} else {
		len += snprintf(line + len, sizeof(line) - len,
				" | %u CPUs %s | backlog max %llu (cpu%u) | "
				"lost %llu", run->ncpus,
				human(bytes, a, sizeof(a)),
				(unsigned long long)bl, busiest,
				(unsigned long long)lost);
	}
	/* The rate since the last line; the run's average for a short gap
	 * (the final line, right after the last one).
	 */
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, " | %s/s",
			 human(dt >= 0.5 ? (bytes - last_bytes) / dt :
			       run->elapsed > 0 ? bytes / run->elapsed : 0, b,
			       sizeof(b)));
	if (tty && strlen(line) >= cols)
		line[cols - 1] = '\0';
	fprintf(stderr, "%s%s%s", tty ? "\r" : "", line, tty ? "\033[K" : "\n");
	last_bytes = bytes;
	last_t = run->elapsed;
}

/* A size as -s takes it: "256k", "1M", or bytes. */
static const char *cli_size(size_t v, char *buf, size_t n)
{
	if (v && !(v % (1UL << 20)))
		snprintf(buf, n, "%zuM", v >> 20);
	else if (v && !(v % 1024))
		snprintf(buf, n, "%zuk", v >> 10);
	else
		snprintf(buf, n, "%zu", v);
	return buf;
}

/* local_clock() ns as printk shows it: [seconds.micros] since boot. */
static const char *ktime(uint64_t ns, char *buf, size_t n)
{
	snprintf(buf, n, "[%5llu.%06llu]", (unsigned long long)(ns / 1000000000),
		 (unsigned long long)(ns % 1000000000 / 1000));
	return buf;
}

struct totals {
	uint64_t subbufs, bytes, records, written, dropped, overwritten,
		 unread, not_written;
};

static void sum(const struct relay_run *run, struct totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *c = &run->cpu[i];

		t->subbufs += c->subbufs;
		t->bytes += c->bytes;
		t->records += c->records;
		t->written += c->written_records;
		t->dropped += c->stats.dropped_records;
		t->overwritten += c->stats.overwritten_records;
		t->unread += c->stats.unread_records;
		t->not_written += c->records - c->written_records;
	}
}

/* Records lost, however: dropped, overwritten, unwritten, left unread. */
static uint64_t run_lost(const struct relay_run *run)
{
	struct totals t;
	uint64_t lost = run->out.records_deleted;
	unsigned int k;

	for (k = 0; k < run->napps; k++) {
		sum(run->apps[k], &t);
		lost += t.dropped + t.overwritten + t.not_written + t.unread;
	}
	return lost;
}

/* Records lost by one app of the run. */
static uint64_t app_lost(const struct relay_run *run)
{
	struct totals t;

	sum(run, &t);
	return t.dropped + t.overwritten + t.not_written + t.unread;
}

static void summary(FILE *f, const struct relay_run *run)
{
	struct totals t;
	size_t size, n;
	char a[32], b[32], span[96];
	unsigned int i, k;

	sum(run, &t);
	fprintf(f, "relay-collect: %s: %.2f s, %u CPUs, %zu x %s sub-buffers, "
		"%s, %s\n", run->app, run->elapsed, run->ncpus, run->n_subbufs,
		human(run->subbuf_size, a, sizeof(a)),
		run->overwrite ? "overwrite" : "no-overwrite",
		run->mapped ? "mmap" : "read");
	fprintf(f, "%5s %9s %11s %10s %10s %12s %12s\n", "cpu", "subbufs",
		"bytes", "records", "dropped", "overwritten", "max_backlog");
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *c = &run->cpu[i];
		const struct relayfs_buf_stats *s = &c->stats;

		fprintf(f, "%5u %9llu %11s %10llu %10llu %12llu %12llu\n",
			c->cpu, (unsigned long long)c->subbufs,
			human(c->bytes, a, sizeof(a)),
			(unsigned long long)c->records,
			(unsigned long long)s->dropped_records,
			(unsigned long long)s->overwritten_records,
			(unsigned long long)s->max_backlog);
	}
	fprintf(f, "%5s %9llu %11s %10llu %10llu %12llu\n", "total",
		(unsigned long long)t.subbufs, human(t.bytes, a, sizeof(a)),
		(unsigned long long)t.records,
		(unsigned long long)t.dropped,
		(unsigned long long)t.overwritten);
	if (run->out.stored != run->out.bytes && run->out.bytes)
		fprintf(f, "compressed: %s stored for %s (%.1fx)\n",
			human(run->out.stored, a, sizeof(a)),
			human(run->out.bytes, b, sizeof(b)),
			(double)run->out.bytes / (run->out.stored ?
						  run->out.stored : 1));
	if (run->out.files > 1 || run->out.files_deleted)
		fprintf(f, "files: %llu written, %llu deleted by --max-files "
			"(%llu records in them)\n",
			(unsigned long long)run->out.files,
			(unsigned long long)run->out.files_deleted,
			(unsigned long long)run->out.records_deleted);
	if (!run->anchored)
		fprintf(f, "no clock anchor (the kernel lacks "
			"RELAYFS_IOC_GET_CLOCKS): times stay on the printk "
			"clock\n");
	/* When the losses happened, on the printk clock. */
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *c = &run->cpu[i];

		for (k = 0; k < c->nlosses && k < 4; k++) {
			const struct relay_loss *l = &c->loss[k];

			/* No "after" for a loss before the first one. */
			if (l->after)
				snprintf(span, sizeof(span), "between %s and %s",
					 ktime(l->after, a, sizeof(a)),
					 ktime(l->before, b, sizeof(b)));
			else
				snprintf(span, sizeof(span), "before %s",
					 ktime(l->before, b, sizeof(b)));
			fprintf(f, "cpu%u: lost %llu records, %llu sub-buffers "
				"%s\n", c->cpu, (unsigned long long)l->records,
				(unsigned long long)l->subbufs, span);
		}
		if (c->nlosses > 4)
			fprintf(f, "cpu%u: ... %llu loss spans in all\n",
				c->cpu, (unsigned long long)c->nlosses);
	}
	if (run->error)
		fprintf(f, "the run ended on an error: %s\n"
			"the app was switched off; %llu records were written, "
			"%llu taken from the buffers were not written, %llu "
			"were left unread in them\n", run->error_msg,
			(unsigned long long)t.written,
			(unsigned long long)t.not_written,
			(unsigned long long)t.unread);
	else if (run->aborted)
		fprintf(f, "stopped without draining: %llu records left "
			"unread in the buffers\n",
			(unsigned long long)t.unread);
	if (run->snapshot) {
		/* Overwriting is the point: no advice on sizes. */
		fprintf(f, "snapshots: %llu written, %llu triggers, %llu "
			"coalesced%s%s\n", (unsigned long long)run->snapshots,
			(unsigned long long)run->triggers,
			(unsigned long long)run->coalesced,
			run->snapshots ? "; last: " : "", run->last_snapshot);
		return;
	}
	if (relay_advise(run, &size, &n) > 0)
		fprintf(f, "data was lost: the buffers are too small for this "
			"load; try -s %s -n %zu\n",
			cli_size(size, a, sizeof(a)), n);
	else if (t.dropped)
		fprintf(f, "records were dropped without the buffer being "
			"full (nested writers, or lost by the producer before "
			"writing): bigger buffers would not help\n");
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * @part: one app of a run of several, whose deleted files are the run's;
 * @nats: the NATS sink's context, or NULL.
 */
static void summary_json(FILE *f, const struct relay_run *run, int part,
			 void *nats)
{
	struct totals t;
	size_t size = 0, n = 0;
	unsigned int i;
	int advised = relay_advise(run, &size, &n) > 0;

	sum(run, &t);
	fprintf(f, "{\"app\":");
	json_string(f, run->app);
	fprintf(f, ",\"elapsed\":%.3f,\"subbuf_size\":%zu,\"n_subbufs\":%zu,"
		"\"mode\":\"%s\",\"mapped\":%s,\"anchored\":%s,\"aborted\":%s,"
		"\"snapshots\":%llu,\"triggers\":%llu,\"coalesced\":%llu,"
		"\"error\":", run->elapsed, run->subbuf_size, run->n_subbufs,
		run->overwrite ? "overwrite" : "no-overwrite",
		run->mapped ? "true" : "false",
		run->anchored ? "true" : "false",
		run->aborted ? "true" : "false",
		(unsigned long long)run->snapshots,
		(unsigned long long)run->triggers,
		(unsigned long long)run->coalesced);
	if (run->error)
		json_string(f, run->error_msg);
	else
		fprintf(f, "null");
	fprintf(f, ",\"cpus\":[");
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *c = &run->cpu[i];
		const struct relayfs_buf_stats *s = &c->stats;

		fprintf(f, "%s{\"cpu\":%u,\"subbufs\":%llu,\"bytes\":%llu,"
			"\"records\":%llu,\"written_records\":%llu,"
			"\"dropped\":%llu,\"overwritten\":%llu,\"unread\":%llu,"
			"\"max_backlog\":%llu,\"loss_spans\":%llu}",
			i ? "," : "", c->cpu, (unsigned long long)c->subbufs,
			(unsigned long long)c->bytes,
			(unsigned long long)c->records,
			(unsigned long long)c->written_records,
			(unsigned long long)s->dropped_records,
			(unsigned long long)s->overwritten_records,
			(unsigned long long)s->unread_records,
			(unsigned long long)s->max_backlog,
			(unsigned long long)c->nlosses);
	}
	fprintf(f, "],\"total\":{\"subbufs\":%llu,\"bytes\":%llu,"
		"\"records\":%llu,\"written_records\":%llu,\"dropped\":%llu,"
		"\"overwritten\":%llu,\"unread\":%llu,\"not_written\":%llu,"
		"\"lost\":%llu},\"output\":{\"files\":%llu,\"files_deleted\":%llu,"
		"\"records_deleted\":%llu,\"bytes\":%llu,\"stored\":%llu},"
		"\"advice\":",
		(unsigned long long)t.subbufs, (unsigned long long)t.bytes,
		(unsigned long long)t.records, (unsigned long long)t.written,
		(unsigned long long)t.dropped,
		(unsigned long long)t.overwritten,
		(unsigned long long)t.unread,
		(unsigned long long)t.not_written,
		(unsigned long long)(part ? app_lost(run) : run_lost(run)),
		(unsigned long long)run->out.files,
		(unsigned long long)run->out.files_deleted,
		(unsigned long long)run->out.records_deleted,
		(unsigned long long)run->out.bytes,
		(unsigned long long)run->out.stored);
	if (advised)
		fprintf(f, "{\"subbuf_size\":%zu,\"n_subbufs\":%zu}", size,
			n);
	else
		fprintf(f, "null");
	if (nats) {
		struct relay_nats_stats st;

		relay_nats_sink_stats(nats, &st);
		fprintf(f, ",\"nats\":");
		relay_nats_stats_print(f, &st, 1);
	}
	fprintf(f, "}");
}

/*
 * The summary of every app of the run: one app's as before; several
 * apps' one after the other (text), or {"apps":[...],"lost":N} (JSON).
 * @nats: the NATS sink's context (one app only), or NULL.
 */
static void summaries(FILE *f, const struct relay_run *run, int json,
		      void *nats)
{
	unsigned int k;

	if (run->napps < 2) {
		if (json) {
			summary_json(f, run, 0, nats);
			fputc('\n', f);
		} else {
			summary(f, run);
		}
		return;
	}
	if (json)
		fprintf(f, "{\"apps\":[");
	for (k = 0; k < run->napps; k++) {
		if (json) {
			if (k)
				fputc(',', f);
			summary_json(f, run->apps[k], 1, NULL);
		} else {
			summary(f, run->apps[k]);
		}
	}
	if (json)
		fprintf(f, "],\"lost\":%llu}\n",
			(unsigned long long)run_lost(run));
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !v)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "zstd" or "zstd:LEVEL", or nothing: the level. */
static int parse_compress(const char *s, int *level)
{
	unsigned long v;

	if (!s || !strcmp(s, "zstd")) {
		*level = 3;
		return 0;
	}
	if (strncmp(s, "zstd:", 5) || parse_count(s + 5, &v) || v > 19)
		return -EINVAL;
	*level = v;
	return 0;
}

static int list_apps(const char *root)
{
	struct relay_app_info apps[256];
	int n = relay_app_list(root, apps, 256), i;
	char a[32];

	if (n < 0) {
		fprintf(stderr, "relay-collect: %s: %s\n",
			root ? root : RELAY_DEFAULT_ROOT, strerror(-n));
		return 1;
	}
	printf("%-24s %-8s %10s %6s %-12s %5s %6s\n", "app", "state",
	       "subbuf", "n", "mode", "cpus", "runs");
	for (i = 0; i < n && i < 256; i++)
		printf("%-24s %-8s %10s %6zu %-12s %5u %6llu\n", apps[i].name,
		       apps[i].running ? "running" : "idle",
		       human(apps[i].subbuf_size, a, sizeof(a)),
		       apps[i].n_subbufs,
		       apps[i].overwrite ? "overwrite" : "no-overwrite",
		       apps[i].cpus, apps[i].runs);
	if (!n)
		printf("(no relay-app registered)\n");
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}

/*
 * relayfs at @root: the module loaded, and mounted there (mounting it as
 * perf mounts tracefs).  Returns 0, or prints why not and returns 1.
 */
static int ensure_mounted(const char *root)
{
	struct statfs sfs;
	struct stat st;

	if (stat(root, &st) || !S_ISDIR(st.st_mode)) {
		if (!strcmp(root, RELAY_DEFAULT_ROOT) &&
		    stat("/sys/module/relayfs", &st))
			fprintf(stderr, "relay-collect: the relayfs module is "
				"not loaded (modprobe relayfs)\n");
		else
			fprintf(stderr, "relay-collect: %s: %s\n", root,
				strerror(errno ? errno : ENOTDIR));
		return 1;
	}
	if (!statfs(root, &sfs) && sfs.f_type == RELAYFS_SUPER_MAGIC)
		return 0;
	/* Only relayfs's own place is mounted: never over another -r. */
	if (strcmp(root, RELAY_DEFAULT_ROOT)) {
		fprintf(stderr, "relay-collect: relayfs is not mounted at %s "
			"(mount -t relayfs relayfs %s)\n", root, root);
		return 1;
	}
	if (mount("relayfs", root, "relayfs", 0, NULL)) {
		fprintf(stderr, "relay-collect: relayfs is not mounted at %s, "
			"and mounting it failed: %s (mount -t relayfs relayfs "
			"%s)\n", root, strerror(errno), root);
		return 1;
	}
	return 0;
}

static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	for (i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

enum {
	OPT_NO_MMAP = 256, OPT_ROTATE_SIZE, OPT_ROTATE_TIME, OPT_MAX_FILES,
	OPT_JSON, OPT_FAIL_ON_LOSS, OPT_LIST, OPT_LATENCY, OPT_SNAPSHOT,
	OPT_MAX_SNAPSHOTS, OPT_SNAPSHOT_INTERVAL, OPT_TRIGGER_MATCH, OPT_TRIGGER,
	OPT_SINK,
};

/* The options that may be given once (the rest: flags, or checked). */
static int once_only(int opt)
{
	return (opt < 256 && strchr("snwOtzr", opt)) ||
	       opt == OPT_ROTATE_SIZE ||
	       opt == OPT_ROTATE_TIME || opt == OPT_MAX_FILES ||
	       opt == OPT_LATENCY || opt == OPT_MAX_SNAPSHOTS ||
	       opt == OPT_SNAPSHOT_INTERVAL || opt == OPT_TRIGGER_MATCH;
}

/* "-s/--subbuf-size", or "--rotate-size" for a long-only option. */
static const char *opt_name(int opt, const struct option *longopts)
{
	static char name[64];

	for (; longopts->name; longopts++) {
		if (longopts->val != opt)
			continue;
		if (opt < 256)
			snprintf(name, sizeof(name), "-%c/--%s", opt,
				 longopts->name);
		else
			snprintf(name, sizeof(name), "--%s", longopts->name);
		return name;
	}
	return "an option";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'd' },
		{ "stdout", no_argument, NULL, 'c' },
		{ "subbuf-size", required_argument, NULL, 's' },
		{ "n-subbufs", required_argument, NULL, 'n' },
		{ "overwrite", no_argument, NULL, 'w' },
		{ "no-overwrite", no_argument, NULL, 'O' },
		{ "duration", required_argument, NULL, 't' },
		{ "compress", optional_argument, NULL, 'z' },
		{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
		{ "rotate-time", required_argument, NULL, OPT_ROTATE_TIME },
		{ "max-files", required_argument, NULL, OPT_MAX_FILES },
		{ "latency", required_argument, NULL, OPT_LATENCY },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "fail-on-loss", no_argument, NULL, OPT_FAIL_ON_LOSS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "no-mmap", no_argument, NULL, OPT_NO_MMAP },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "snapshot", no_argument, NULL, OPT_SNAPSHOT },
		{ "max-snapshots", required_argument, NULL, OPT_MAX_SNAPSHOTS },
		{ "snapshot-interval", required_argument, NULL,
		  OPT_SNAPSHOT_INTERVAL },
		{ "trigger-match", required_argument, NULL, OPT_TRIGGER_MATCH },
		{ "trigger", no_argument, NULL, OPT_TRIGGER },
		{ "sink", required_argument, NULL, OPT_SINK },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct relay_app_opts o = {
		.size = sizeof(o), .out_fd = -1, .stop = &stop_flag,
		.abort = &abort_flag,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	int quiet = 0, progress_lines = 0, json = 0, fail_on_loss = 0;
	int list = 0, trigger = 0, opt, err, ret, i, k, nats_given = 0;
	int not_trigger = 0;	/* an option --trigger does not take */
	const char *dir_opt = NULL, *mode_opt = NULL;
	unsigned long v;
	struct relay_run *run;
	char tool[64], seen[OPT_SINK + 1] = { 0 }, nerr[600];
	struct relay_nats_opts nats;
	struct relay_nats_out nout = { 0 };
	struct option *allopts = relay_nats_merge_longopts(longopts);
	FILE *out;

	relay_nats_opts_init(&nats);
	nats.abort = &abort_flag;
	if (!allopts)
		return 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:d:cs:n:wOt:z::qpr:Vh",
				  allopts, NULL)) != -1) {
		/* Given twice is refused, not settled by the last one. */
		if (opt > 0 && opt < (int)sizeof(seen) && once_only(opt)) {
			if (seen[opt])
				return bad_usage("%s given twice",
						 opt_name(opt, longopts));
			seen[opt] = 1;
		}
		/* --trigger takes --root and nothing else (below). */
		if (opt != OPT_TRIGGER && opt != 'r' && opt != ':' &&
		    !not_trigger)
			not_trigger = opt;
		switch (opt) {
		case 'o':
		case 'd':
			if (dir_opt)
				return bad_usage("-o/--output given twice");
			dir_opt = optarg;
			o.dir = optarg;
			break;
		case 'c':
			o.out_fd = STDOUT_FILENO;
			break;
		case 's':
			if (relay_parse_size(optarg, &o.subbuf_size) ||
			    !o.subbuf_size)
				return bad_usage("bad size for -s: '%s'",
						 optarg);
			break;
		case 'n':
			if (parse_count(optarg, &v))
				return bad_usage("bad count for -n: '%s'",
						 optarg);
			o.n_subbufs = v;
			break;
		case 'w':
		case 'O':
			if (mode_opt && (o.mode == RELAY_MODE_OVERWRITE) !=
			    (opt == 'w'))
				return bad_usage("--overwrite and "
						 "--no-overwrite conflict");
			mode_opt = "set";
			o.mode = opt == 'w' ? RELAY_MODE_OVERWRITE :
					      RELAY_MODE_NO_OVERWRITE;
			break;
		case 't':
			if (relay_parse_duration(optarg, &o.duration) ||
			    !(o.duration > 0))
				return bad_usage("bad duration for -t: '%s' "
						 "(500ms, 30s, 5m, 1h)", optarg);
			break;
		case 'z':
			if (parse_compress(optarg, &o.compress))
				return bad_usage("bad --compress: '%s' (zstd or "
						 "zstd:1..19)", optarg);
			break;
		case OPT_ROTATE_SIZE: {
			size_t sz;

			if (relay_parse_size(optarg, &sz) || sz < 4096)
				return bad_usage("bad --rotate-size: '%s' (at "
						 "least 4k)", optarg);
			o.rotate_size = sz;
			break;
		}
		case OPT_ROTATE_TIME:
			if (relay_parse_duration(optarg, &o.rotate_time) ||
			    !(o.rotate_time > 0))
				return bad_usage("bad --rotate-time: '%s'",
						 optarg);
			break;
		case OPT_MAX_FILES:
			if (parse_count(optarg, &v) || v > 1000000)
				return bad_usage("bad --max-files: '%s'",
						 optarg);
			o.max_files = v;
			break;
		case OPT_LATENCY:
			if (relay_parse_duration(optarg, &o.latency) ||
			    o.latency < 0.01 || o.latency > 120)
				return bad_usage("bad --latency: '%s' (10ms "
						 "to 120s)", optarg);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_FAIL_ON_LOSS:
			fail_on_loss = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'p':
			progress_lines = 1;
			break;
		case 'r':
			o.root = optarg;
			break;
		case OPT_NO_MMAP:
			o.reader_flags |= RELAY_READER_NO_MMAP;
			break;
		case OPT_LIST:
			list = 1;
			break;
		case OPT_SNAPSHOT:
			o.snapshot = 1;
			break;
		case OPT_MAX_SNAPSHOTS:
			if (parse_count(optarg, &v) || !v || v > UINT32_MAX)
				return bad_usage("bad --max-snapshots: '%s'",
						 optarg);
			o.max_snapshots = v;
			break;
		case OPT_SNAPSHOT_INTERVAL:
			if (relay_parse_duration(optarg,
						 &o.snapshot_interval))
				return bad_usage("bad --snapshot-interval: "
						 "'%s'", optarg);
			break;
		case OPT_TRIGGER_MATCH: {
			regex_t re;

			if (regcomp(&re, optarg, REG_EXTENDED | REG_NOSUB))
				return bad_usage("bad --trigger-match: '%s' "
						 "(a POSIX extended regular "
						 "expression)", optarg);
			regfree(&re);
			o.trigger_match = optarg;
			break;
		}
		case OPT_TRIGGER:
			trigger = 1;
			break;
		case OPT_SINK:
			if (nats.url)
				return bad_usage("--sink given twice");
			nats.url = optarg;
			break;
		case 'V':
			printf("relay-collect (relayfs) %s\n", relay_version());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			if (optopt && optopt < 256)
				return bad_usage("option '-%c' needs a value",
						 optopt);
			return bad_usage("option '%s' needs a value",
					 argv[optind - 1]);
		default:
			if (opt >= RELAY_NOPT_SUBJECT && opt < RELAY_NOPT_END) {
				if (relay_nats_parse(&nats, opt, optarg, nerr,
						     sizeof(nerr)))
					return bad_usage("%s", nerr);
				nats_given = 1;
				break;
			}
			if (optopt)
				return bad_usage("unknown option '-%c'",
						 optopt);
			return bad_usage("unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	/* Conflicts are refused, not settled by the last one. */
	if (list) {
		if (optind != argc)
			return bad_usage("--list takes no APP");
		if (ensure_mounted(o.root ? o.root : RELAY_DEFAULT_ROOT))
			return 1;
		return list_apps(o.root);
	}
	if (trigger) {
		if (optind == argc || argc - optind > 2)
			return bad_usage("--trigger takes APP and an optional "
					 "REASON");
		if (not_trigger)
			return bad_usage("--trigger takes no option but "
					 "--root (%s given)",
					 opt_name(not_trigger, allopts));
		if (argc - optind == 2 && strlen(argv[optind + 1]) >=
		    RELAY_TRIGGER_REASON_MAX)
			return bad_usage("REASON longer than %d bytes",
					 RELAY_TRIGGER_REASON_MAX - 1);
		err = relay_app_trigger(o.root, argv[optind],
					argc - optind == 2 ?
					argv[optind + 1] : NULL);
		if (err) {
			fprintf(stderr, "relay-collect: %s: trigger: %s%s\n",
				argv[optind], strerror(-err),
				err == -ENOTCONN ? " (no collector runs it)" :
				"");
			return 1;
		}
		return 0;
	}
	if (optind == argc)
		return bad_usage("no APP given (relay-collect --list shows "
				 "them)");
	if (argc - optind > RELAY_MAX_APPS)
		return bad_usage("at most %d APPs", RELAY_MAX_APPS);
	for (i = optind + 1; i < argc; i++)
		for (k = optind; k < i; k++)
			if (!strcmp(argv[i], argv[k]))
				return bad_usage("APP '%s' named twice",
						 argv[i]);
	if (o.out_fd >= 0 && dir_opt)
		return bad_usage("-c/--stdout and -o/--output conflict");
	if (o.out_fd >= 0 && (o.rotate_size || o.rotate_time > 0))
		return bad_usage("-c/--stdout cannot rotate");
	if (o.max_files && !o.rotate_size && !(o.rotate_time > 0))
		return bad_usage("--max-files needs --rotate-size or "
				 "--rotate-time");
	if (o.snapshot && o.out_fd >= 0)
		return bad_usage("--snapshot writes directories: not with "
				 "-c/--stdout");
	if (o.snapshot && (o.rotate_size || o.rotate_time > 0))
		return bad_usage("--snapshot does not rotate");
	if (o.snapshot && o.mode == RELAY_MODE_NO_OVERWRITE)
		return bad_usage("--snapshot runs in overwrite mode: not "
				 "with -O/--no-overwrite");
	if (!o.snapshot && (o.max_snapshots || o.snapshot_interval > 0 ||
			    o.trigger_match))
		return bad_usage("--max-snapshots, --snapshot-interval and "
				 "--trigger-match need --snapshot");
	if (o.snapshot && argc - optind > 1)
		return bad_usage("--snapshot takes one APP");
	if (quiet && (json || progress_lines))
		return bad_usage("-q/--quiet conflicts with %s",
				 json ? "--json" : "-p/--progress");
	if (nats_given && !nats.url)
		return bad_usage("NATS options need --sink nats://...");
	if (nats.url && (o.out_fd >= 0 || o.rotate_size ||
			 o.rotate_time > 0))
		return bad_usage("--sink conflicts with -c and rotation");
	if (nats.url && (o.snapshot || argc - optind > 1))
		return bad_usage("--sink takes one APP, not --snapshot");
	if (nats.url && relay_nats_check(&nats, nerr, sizeof(nerr)))
		return bad_usage("%s", nerr);
	if (nats.url && !nats.spool)
		nats.spool = dir_opt ? dir_opt : ".";
	o.app = argv[optind];
	if (argc - optind > 1) {
		o.apps = (const char *const *)&argv[optind];
		o.napps = argc - optind;
	}
	snprintf(tool, sizeof(tool), "relay-collect %s", relay_version());
	o.tool = tool;
	o.cmdline = join_args(argc, argv);
	tty = isatty(STDERR_FILENO);
	if (!quiet && (tty || progress_lines))
		o.progress = progress;
	if (ensure_mounted(o.root ? o.root : RELAY_DEFAULT_ROOT))
		return 1;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A reader of -c that went away: the run ends, the write fails. */
	sigaction(SIGPIPE, &sa, NULL);

	if (nats.url) {
		/* The cluster's refusals are clear at start: exit 4. */
		err = relay_nats_out_open(&nats, o.compress, &nout, nerr,
					  sizeof(nerr));
		if (err) {
			fprintf(stderr, "relay-collect: %s\n", nerr);
			return RELAY_EXIT_NATS;
		}
		o.sink = nout.sink;
	}
	err = relay_run_create(&o, &run);
	if (err) {
		fprintf(stderr, "relay-collect: %s: %s%s\n", o.app,
			strerror(-err), err == -EINVAL && o.napps ?
			" (an APP named twice?)" : "");
		return 1;
	}
	if (o.snapshot) {
		struct sigaction su = { .sa_handler = on_usr1,
					.sa_flags = SA_RESTART };

		snap_run = run;
		sigaction(SIGUSR1, &su, NULL);
	}
	err = relay_run_collect(run);
	if (o.snapshot) {
		/* The run is over (and freed below): a later SIGUSR1 is
		 * nothing, neither a snapshot nor the default's exit. */
		signal(SIGUSR1, SIG_IGN);
		snap_run = NULL;
	}
	if (o.progress && tty)
		fputc('\n', stderr);
	if (err && !run->subbuf_size) {
		/* It never started: nothing to summarize. */
		fprintf(stderr, "relay-collect: %s%s\n", run->error_msg,
			err == -EBUSY ? " (another collector is running, or "
			"the last run's files are still open)" :
			err == -ENOENT ? " (no such relay-app; relay-collect "
			"--list shows them)" :
			err == -EACCES ? " (as root, or as a member of the group "
			"relayfs is mounted with collect_gid= for: relayfs(7))" :
			"");
		relay_run_free(run);
		free((char *)o.cmdline);
		return 1;
	}
	ret = err ? 1 : 0;
	if (err)
		fprintf(stderr, "relay-collect: %s\n", nout.ctx &&
			relay_nats_sink_error(nout.ctx) ?
			relay_nats_sink_error(nout.ctx) : run->error_msg);
	out = o.out_fd >= 0 ? stderr : stdout;
	if (json || !quiet)
		summaries(out, run, json, nout.ctx);
	if (!json && !quiet && nout.ctx) {
		struct relay_nats_stats st;

		relay_nats_sink_stats(nout.ctx, &st);
		relay_nats_stats_print(out, &st, 0);
	}
	/* A summary that did not get out is an error too. */
	if ((fflush(out) || ferror(out)) && !ret) {
		fprintf(stderr, "relay-collect: writing the summary: %s\n",
			strerror(errno));
		ret = 1;
	}
	if (!ret && fail_on_loss && run_lost(run))
		ret = EXIT_LOSS;
	relay_run_free(run);
	relay_nats_out_close(&nout);
	free(allopts);
	free((char *)o.cmdline);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * relay-collect: collect a relay-app's data to files (see relay-collect(1)).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "librelay.h"

static volatile sig_atomic_t stop_flag;
static int tty;		/* progress rewrites one line on a terminal */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: relay-collect [options] APP\n"
"Start APP's relay channel, write each CPU's data to DIR/<base>.<cpu> with\n"
"an index beside it, until Ctrl-C or the duration; then print a summary.\n"
"\n"
"  -s, --subbuf-size SIZE   sub-buffer size (k/M suffixes; default: APP's)\n"
"  -n, --n-subbufs N        sub-buffers per CPU (default: APP's)\n"
"  -o, --overwrite          flight-recorder mode (oldest data overwritten)\n"
"  -O, --no-overwrite       drop new data when full\n"
"  -d, --dir DIR            output directory (default: .)\n"
"  -t, --duration SECONDS   stop after this long\n"
"  -c, --stdout             stream the data to standard output, no files\n"
"  -q, --quiet              no progress, no summary\n"
"  -p, --progress           progress lines even when stderr is no terminal\n"
"  -r, --root PATH          relayfs mount (default: " RELAY_DEFAULT_ROOT ")\n"
"      --no-mmap            read() instead of the zero-copy mmap protocol\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 done, 1 runtime error, 2 usage error.\n");
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

/* Live progress on a terminal: one line, rewritten each second. */
static void progress(const struct relay_run *run, void *arg)
{
	static uint64_t last_bytes;
	static double last_t;
	double dt = run->elapsed - last_t;
	uint64_t bytes = 0;
	char a[32], b[32];
	unsigned int i;

	(void)arg;
	fprintf(stderr, "%s%6.1fs", tty ? "\r" : "", run->elapsed);
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *c = &run->cpu[i];

		bytes += c->bytes;
		fprintf(stderr, " | cpu%u %s bl %llu lost %llu", i,
			human(c->bytes, a, sizeof(a)),
			(unsigned long long)c->backlog,
			(unsigned long long)(c->stats.dropped_records +
					     c->stats.overwritten_records));
	}
	/* The rate since the last line; the run's average for a short gap
	 * (the final line, right after the last one).
	 */
	fprintf(stderr, " | %s/s%s",
		human(dt >= 0.5 ? (bytes - last_bytes) / dt :
		      run->elapsed > 0 ? bytes / run->elapsed : 0, b, sizeof(b)),
		tty ? "\033[K" : "\n");
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

static void summary(FILE *f, const struct relay_run *run)
{
	struct relayfs_buf_stats t = { 0 };
	uint64_t subbufs = 0, bytes = 0;
	size_t size, n;
	char a[32], b[32], span[96];
	unsigned int i, k;

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

		fprintf(f, "%5u %9llu %11s %10llu %10llu %12llu %12llu\n", i,
			(unsigned long long)c->subbufs,
			human(c->bytes, a, sizeof(a)),
			(unsigned long long)s->consumed_records,
			(unsigned long long)s->dropped_records,
			(unsigned long long)s->overwritten_records,
			(unsigned long long)s->max_backlog);
		subbufs += c->subbufs;
		bytes += c->bytes;
		t.consumed_records += s->consumed_records;
		t.dropped_records += s->dropped_records;
		t.overwritten_records += s->overwritten_records;
	}
	fprintf(f, "%5s %9llu %11s %10llu %10llu %12llu\n", "total",
		(unsigned long long)subbufs, human(bytes, a, sizeof(a)),
		(unsigned long long)t.consumed_records,
		(unsigned long long)t.dropped_records,
		(unsigned long long)t.overwritten_records);
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
				"%s\n", i, (unsigned long long)l->records,
				(unsigned long long)l->subbufs, span);
		}
		if (c->nlosses > 4)
			fprintf(f, "cpu%u: ... %llu loss spans in all\n", i,
				(unsigned long long)c->nlosses);
	}
	if (relay_advise(run, &size, &n) > 0)
		fprintf(f, "data was lost: the buffers are too small for this "
			"load; try -s %s -n %zu\n",
			cli_size(size, a, sizeof(a)), n);
	else if (t.dropped_records)
		fprintf(f, "records were dropped without the buffer being "
			"full (nested writers, or lost by the producer before "
			"writing): bigger buffers would not help\n");
}

static int parse_count(const char *s, size_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || !v)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "subbuf-size", required_argument, NULL, 's' },
		{ "n-subbufs", required_argument, NULL, 'n' },
		{ "overwrite", no_argument, NULL, 'o' },
		{ "no-overwrite", no_argument, NULL, 'O' },
		{ "dir", required_argument, NULL, 'd' },
		{ "duration", required_argument, NULL, 't' },
		{ "stdout", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "no-mmap", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct relay_app_opts o = { .out_fd = -1, .stop = &stop_flag };
	struct sigaction sa = { .sa_handler = on_signal };
	struct relay_run *run;
	int quiet = 0, progress_lines = 0, opt, err;
	char *end;

	while ((opt = getopt_long(argc, argv, "s:n:oOd:t:cqpr:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			if (relay_parse_size(optarg, &o.subbuf_size) ||
			    !o.subbuf_size)
				goto bad;
			break;
		case 'n':
			if (parse_count(optarg, &o.n_subbufs))
				goto bad;
			break;
		case 'o':
			o.mode = RELAY_MODE_OVERWRITE;
			break;
		case 'O':
			o.mode = RELAY_MODE_NO_OVERWRITE;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 't':
			o.duration = strtod(optarg, &end);
			if (*end || end == optarg || !(o.duration > 0))
				goto bad;
			break;
		case 'c':
			o.out_fd = STDOUT_FILENO;
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
		case 'M':
			o.reader_flags |= RELAY_READER_NO_MMAP;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	o.app = argv[optind];
	tty = isatty(STDERR_FILENO);
	if (!quiet && (tty || progress_lines))
		o.progress = progress;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = relay_app_run(&o, &run);
	if (o.progress && tty)
		fputc('\n', stderr);
	if (err) {
		fprintf(stderr, "relay-collect: %s: %s%s\n", o.app,
			strerror(-err),
			err == -EBUSY ? " (another collector is running, or "
			"the last run's files are still open)" :
			err == -ENOENT ? " (no such relay-app, or relayfs not "
			"mounted there)" : "");
		return 1;
	}
	if (!quiet)
		summary(o.out_fd >= 0 ? stderr : stdout, run);
	relay_run_free(run);
	return 0;

bad:
	fprintf(stderr, "relay-collect: bad value for -%c: '%s'\n", opt,
		optarg);
	usage(stderr);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * relay-merge: the merged, chronological text of a klog or tprintk run
 * (see relay-merge(1)).
 *
 * Reads every <dir>/<base>.<cpu>, splits it into records (a line that
 * starts with "[seconds.micros]" and the tab-indented lines after it),
 * adds a marker where <base>.<cpu>.idx shows records dropped or
 * sub-buffers overwritten, sorts all of them by timestamp (CPU, then file
 * order, breaking ties) and prints them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define MAX_CPUS	4096

struct rec {
	uint64_t ns;
	unsigned int cpu;
	uint64_t order;
	const char *text;	/* in a data file, or owned (a marker) */
	size_t len;
	int owned;
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static int push(struct recs *r, const struct rec *x)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 1024;
		struct rec *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
	return 0;
}

/* "[sec.micros]" at @p: nanoseconds, or -1 if @p does not start a record. */
static int64_t parse_ts(const char *p, size_t n)
{
	unsigned long long sec, us;
	char buf[40];

	if (!n || p[0] != '[')
		return -1;
	n = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (sscanf(buf, "[%llu.%llu]", &sec, &us) != 2)
		return -1;
	return (int64_t)(sec * 1000000000ULL + us * 1000ULL);
}

static int add_data(struct recs *r, const char *data, size_t size,
		    unsigned int cpu)
{
	size_t pos = 0, order = 0;

	while (pos < size) {
		struct rec x = { .cpu = cpu, .text = data + pos };
		int64_t ns = parse_ts(data + pos, size - pos);
		const char *nl;
		size_t end = pos;

		/* The record: its line and the tab-indented ones after it. */
		do {
			nl = memchr(data + end, '\n', size - end);
			end = nl ? (size_t)(nl - data) + 1 : size;
		} while (end < size && data[end] == '\t');
		x.len = end - pos;
		x.ns = ns < 0 ? 0 : ns;
		x.order = order++;
		if (push(r, &x))
			return -ENOMEM;
		pos = end;
	}
	return 0;
}

static const char *fmt_ts(uint64_t ns, char *buf, size_t n)
{
	snprintf(buf, n, "[%5" PRIu64 ".%06" PRIu64 "]", ns / 1000000000,
		 ns % 1000000000 / 1000);
	return buf;
}

/* Markers for the losses the index shows. */
static int add_losses(struct recs *r, const char *idx, unsigned int cpu)
{
	unsigned long long seq, off, recs, bytes, t0, t1, drops;
	unsigned long long next = 0, last_drops = 0, last_close = 0;
	char line[256], a[32], b[32], span[80], *text;
	size_t len;
	FILE *f = fopen(idx, "r");

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %llu %zu %llu %llu %llu %llu %llu", &seq,
			   &off, &len, &recs, &bytes, &t0, &t1, &drops) != 8)
			continue;
		if (drops > last_drops || seq > next) {
			struct rec x = { .ns = last_close, .cpu = cpu,
					 .order = UINT64_MAX, .owned = 1 };

			text = malloc(256);
			if (!text) {
				fclose(f);
				return -ENOMEM;
			}
			/* Before the first sub-buffer: no start known. */
			x.ns = last_close ? last_close : t0;
			fmt_ts(x.ns, a, sizeof(a));
			fmt_ts(t0, b, sizeof(b));
			if (last_close)
				snprintf(span, sizeof(span),
					 "between %s and %s", a, b);
			else
				snprintf(span, sizeof(span), "before %s", b);
			x.len = snprintf(text, 256, "%s cpu%u *** lost %llu "
					 "records, %llu sub-buffers, %s ***\n",
					 a, cpu, drops - last_drops,
					 seq - next, span);
			x.text = text;
			if (push(r, &x)) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
		}
		next = seq + 1;
		last_drops = drops;
		last_close = t1;
	}
	fclose(f);
	return 0;
}

static int cmp(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The base name: the one <base>.stats in @dir. */
static int find_base(const char *dir, char *base, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 6 && !strcmp(e->d_name + l - 6, ".stats")) {
			snprintf(base, n, "%.*s", (int)(l - 6), e->d_name);
			found++;
		}
	}
	closedir(d);
	return found == 1 ? 0 : -ENOENT;
}

int main(int argc, char **argv)
{
	struct recs r = { 0 };
	char base[256], path[4096];
	unsigned int cpu, files = 0;
	size_t i;
	int err = 0;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: relay-merge DIR [BASE]\n"
		       "Print the records of DIR/BASE.<cpu> (a relay-collect "
		       "run of klog or tprintk)\nmerged by timestamp, with "
		       "a marker where data was lost.\n");
		return 0;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: relay-merge DIR [BASE]\n");
		return 2;
	}
	if (argc == 3)
		snprintf(base, sizeof(base), "%s", argv[2]);
	else if (find_base(argv[1], base, sizeof(base))) {
		fprintf(stderr, "relay-merge: %s: no single <base>.stats; "
			"name the base\n", argv[1]);
		return 1;
	}
	for (cpu = 0; cpu < MAX_CPUS && !err; cpu++) {
		struct stat st;
		void *map;
		int fd;

		snprintf(path, sizeof(path), "%s/%s.%u", argv[1], base, cpu);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		files++;
		if (fstat(fd, &st)) {
			err = -errno;
		} else if (st.st_size) {
			map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE,
				   fd, 0);
			if (map == MAP_FAILED)
				err = -errno;
			else
				err = add_data(&r, map, st.st_size, cpu);
		}
		close(fd);
		snprintf(path, sizeof(path), "%s/%s.%u.idx", argv[1], base,
			 cpu);
		if (!err)
			err = add_losses(&r, path, cpu);
	}
	if (!err && !files)
		err = -ENOENT;
	if (err) {
		fprintf(stderr, "relay-merge: %s/%s: %s\n", argv[1], base,
			strerror(-err));
		return 1;
	}
	qsort(r.v, r.n, sizeof(*r.v), cmp);
	for (i = 0; i < r.n; i++) {
		fwrite(r.v[i].text, 1, r.v[i].len, stdout);
		if (r.v[i].owned)
			free((void *)r.v[i].text);
	}
	free(r.v);
	return fflush(stdout) ? 1 : 0;
}

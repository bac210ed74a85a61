// SPDX-License-Identifier: GPL-2.0
/* A collected run read through librelay's reader (run.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "run.h"

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *n;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*p, c * size);
	if (!n)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

static int add_frame(struct run_data *rd, const struct relay_frame *f)
{
	struct run_cpu *c;
	struct run_frame *x;

	if (f->cpu >= MAXCPU)
		return -1;
	c = &rd->cpu[f->cpu];
	if (grow((void **)&c->data, &c->cap, c->len + f->len, 1) ||
	    grow((void **)&c->f, &c->capf, c->nf + 1, sizeof(*c->f)) ||
	    grow((void **)&rd->all, &rd->all_cap, rd->all_len + f->len, 1))
		return -1;
	x = &c->f[c->nf++];
	x->flags = f->flags;
	x->seq = f->seq;
	x->t_open = f->t_open;
	x->t_close = f->t_close;
	x->drops = f->drops;
	x->records = f->records;
	x->bytes = f->bytes;
	x->off = c->len;
	x->len = f->len;
	memcpy(c->data + c->len, f->payload, f->len);
	c->len += f->len;
	memcpy(rd->all + rd->all_len, f->payload, f->len);
	rd->all_len += f->len;
	rd->frames++;
	if (f->cpu + 1 > rd->cpus_seen)
		rd->cpus_seen = f->cpu + 1;
	return 0;
}

static void keep_header(struct run_data *rd, const struct relay_run_header *h)
{
	rd->hdr = *h;
	snprintf(rd->host, sizeof(rd->host), "%s", h->host);
	snprintf(rd->kernel, sizeof(rd->kernel), "%s", h->kernel);
	snprintf(rd->app, sizeof(rd->app), "%s", h->app);
	snprintf(rd->base, sizeof(rd->base), "%s", h->base);
	snprintf(rd->cmdline, sizeof(rd->cmdline), "%s", h->cmdline);
	rd->hdr.host = rd->host;
	rd->hdr.kernel = rd->kernel;
	rd->hdr.app = rd->app;
	rd->hdr.base = rd->base;
	rd->hdr.cmdline = rd->cmdline;
	rd->hdr.tool = rd->hdr.library = "";
	rd->headers++;
}

/* With rd->want_app: is this header or frame of another app? */
static bool other_app(struct run_data *rd, const struct relay_run_header *h,
		      const struct relay_frame *f)
{
	if (!rd->want_app)
		return false;
	if (h && !strcmp(h->app, rd->want_app))
		rd->app_index = h->app_index;
	if (h)
		return strcmp(h->app, rd->want_app);
	return RELAY_FRAME_APP(f->flags) != rd->app_index;
}

static int read_files(char *const paths[], unsigned int n,
		      struct run_data *rd)
{
	struct relay_stream *s;
	struct relay_frame f;
	unsigned int i, cpu;
	int ret = 0;

	for (i = 0; i < n; i++) {
		ret = relay_stream_open(paths[i], &s);
		if (ret) {
			printf("# %s: %s\n", paths[i], strerror(-ret));
			return ret;
		}
		rd->files++;
		while ((ret = relay_stream_next(s, &f)) > 0) {
			if (ret == 2 && other_app(rd, relay_stream_header(s),
						  NULL))
				continue;
			if (ret == 1 && other_app(rd, NULL, &f))
				continue;
			if (ret == 2)
				keep_header(rd, relay_stream_header(s));
			else if (add_frame(rd, &f))
				ret = -ENOMEM;
			if (ret < 0)
				break;
		}
		if (relay_stream_trailer(s))
			rd->trailer_flags = relay_stream_trailer(s)->flags;
		for (cpu = 0; !ret && cpu < MAXCPU; cpu++) {
			struct relay_cpu_counters *c = &rd->cpu[cpu].ctr;

			if (relay_stream_counters(s, RELAY_APP_CPU(
					rd->app_index, cpu), c))
				continue;
			c->cpu = cpu;
			rd->cpu[cpu].have_ctr = true;
		}
		if (ret) {
			snprintf(rd->error, sizeof(rd->error), "%s: %s",
				 paths[i], relay_stream_error(s));
			if (ret != -ENODATA)
				printf("# %s\n", rd->error);
		}
		relay_stream_close(s);
		if (ret)
			break;
	}
	rd->end = ret;
	return ret;
}

int run_read_files(char *const paths[], unsigned int n, struct run_data *rd)
{
	memset(rd, 0, sizeof(*rd));
	return read_files(paths, n, rd);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

unsigned int run_files(const char *dir, const char *base, char paths[][256],
		       unsigned int max)
{
	char name[256];
	struct dirent *d;
	unsigned int n = 0, i;
	size_t bl = strlen(base);
	DIR *dp = opendir(dir);

	while (dp && (d = readdir(dp)) && n < max) {
		const char *rest = d->d_name + bl;

		if (strncmp(d->d_name, base, bl) || *rest != '.')
			continue;
		/* .relay, .relay.zst, .NNNNNN.relay, .NNNNNN.relay.zst */
		if (strcmp(rest, ".relay") && strcmp(rest, ".relay.zst") &&
		    !(strlen(rest) >= 13 && rest[7] == '.' &&
		      strspn(rest + 1, "0123456789") == 6 &&
		      (!strcmp(rest + 7, ".relay") ||
		       !strcmp(rest + 7, ".relay.zst"))))
			continue;
		snprintf(name, sizeof(name), "%s", d->d_name);
		memcpy(paths[n++], name, sizeof(name));
	}
	if (dp)
		closedir(dp);
	qsort(paths, n, 256, by_name);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/%s", dir, paths[i]);
		memcpy(paths[i], name, sizeof(name));
	}
	return n;
}

int run_read(const char *dir, const char *base, struct run_data *rd)
{
	static char paths[4096][256];
	char *pp[4096];
	unsigned int n = run_files(dir, base, paths, 4096), i;

	if (!n) {
		memset(rd, 0, sizeof(*rd));
		printf("# %s: no run of %s\n", dir, base);
		return -ENOENT;
	}
	for (i = 0; i < n; i++)
		pp[i] = paths[i];
	return run_read_files(pp, n, rd);
}

int run_read_app(const char *dir, const char *name, const char *app,
		 struct run_data *rd)
{
	static char paths[4096][256];
	char *pp[4096];
	unsigned int n = run_files(dir, name, paths, 4096), i;

	memset(rd, 0, sizeof(*rd));
	if (!n) {
		printf("# %s: no run %s\n", dir, name);
		return -ENOENT;
	}
	for (i = 0; i < n; i++)
		pp[i] = paths[i];
	rd->want_app = app;
	return read_files(pp, n, rd);
}

void run_free(struct run_data *rd)
{
	unsigned int i;

	for (i = 0; i < MAXCPU; i++) {
		free(rd->cpu[i].data);
		free(rd->cpu[i].f);
	}
	free(rd->all);
	memset(rd, 0, sizeof(*rd));
}

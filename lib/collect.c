// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relay_app_run(): the collector in one call.
 *
 * One thread, one epoll loop over every per-CPU buffer (docs/librelay.md
 * says why): a ready buffer is drained of every complete sub-buffer,
 * each written to <dir>/<base>.<cpu> with a line in <dir>/<base>.<cpu>.idx.
 * Stopping writes "stop" to the control file; the kernel then closes the
 * last sub-buffers and every reader reads to its end.  The control file
 * stays open for the whole run: if this process dies, the kernel stops
 * the run when it closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include "librelay.h"
#include "util.h"

/* What the control file says (its "key value" lines). */
struct relay_state {
	char base[64];
	unsigned int cpus;
	size_t subbuf_size, n_subbufs;
	size_t default_subbuf_size, default_n_subbufs;
	int overwrite, default_overwrite, running;
};

struct relay_cpu {
	struct relay_reader *reader;
	int data_fd;
	FILE *idx;
	uint64_t offset;	/* bytes in the data file */
	uint64_t last_drops, last_close, expect;
	int done;
};

struct relay_collector {
	const struct relay_app_opts *o;
	struct relay_run *run;
	struct relay_cpu *cpu;
	int control, ep;
	unsigned int live;	/* readers not at their end */
	double t0;
};

static double relay_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* mkdir -p @dir. */
static int relay_mkdirs(const char *dir)
{
	char path[4096], *p;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int relay_write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p = (const char *)p + w;
		n -= w;
	}
	return 0;
}

static int relay_command(int control, const char *cmd)
{
	ssize_t n = write(control, cmd, strlen(cmd));

	return n < 0 ? -errno : 0;
}

/* Read the state from a fresh descriptor: control has no positions. */
static int relay_read_state(const char *path, struct relay_state *s)
{
	char buf[1024], *line, *save = NULL, word[32];
	unsigned long long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	memset(s, 0, sizeof(*s));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char val[64];

		if (sscanf(line, "%31s %63s", word, val) != 2)
			continue;
		v = strtoull(val, NULL, 10);
		if (!strcmp(word, "state"))
			s->running = !strcmp(val, "running");
		else if (!strcmp(word, "base"))
			snprintf(s->base, sizeof(s->base), "%s", val);
		else if (!strcmp(word, "cpus"))
			s->cpus = v;
		else if (!strcmp(word, "subbuf_size"))
			s->subbuf_size = v;
		else if (!strcmp(word, "n_subbufs"))
			s->n_subbufs = v;
		else if (!strcmp(word, "mode"))
			s->overwrite = !strcmp(val, "overwrite");
		else if (!strcmp(word, "default_subbuf_size"))
			s->default_subbuf_size = v;
		else if (!strcmp(word, "default_n_subbufs"))
			s->default_n_subbufs = v;
		else if (!strcmp(word, "default_mode"))
			s->default_overwrite = !strcmp(val, "overwrite");
	}
	return s->base[0] && s->cpus ? 0 : -EPROTO;
}

/* Start the run; the control file stays open (and ours) until the end. */
static int relay_start(struct relay_collector *c, struct relay_state *s)
{
	const struct relay_app_opts *o = c->o;
	const char *root = o->root ? o->root : RELAY_DEFAULT_ROOT;
	char path[4096], cmd[160];
	int ov, err;

	snprintf(path, sizeof(path), "%s/%s/control", root, o->app);
	c->control = open(path, O_RDWR | O_CLOEXEC);
	if (c->control < 0)
		return -errno;
	err = relay_read_state(path, s);
	if (err)
		return err;
	ov = o->mode == RELAY_MODE_DEFAULT ? s->default_overwrite :
	     o->mode == RELAY_MODE_OVERWRITE;
	snprintf(cmd, sizeof(cmd), "start subbuf_size=%zu n_subbufs=%zu mode=%s\n",
		 o->subbuf_size ? o->subbuf_size : s->default_subbuf_size,
		 o->n_subbufs ? o->n_subbufs : s->default_n_subbufs,
		 ov ? "overwrite" : "no-overwrite");
	err = relay_command(c->control, cmd);
	if (err)
		return err;
	return relay_read_state(path, s);
}

static int relay_open_outputs(struct relay_collector *c, unsigned int i)
{
	const char *dir = c->o->dir ? c->o->dir : ".";
	struct relay_cpu *cpu = &c->cpu[i];
	char path[4096];

	cpu->data_fd = -1;
	if (c->o->out_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.%u", dir, c->run->base, i);
	cpu->data_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			    0644);
	if (cpu->data_fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s.%u.idx", dir, c->run->base, i);
	cpu->idx = fopen(path, "we");
	if (!cpu->idx)
		return -errno;
	fprintf(cpu->idx, "# seq offset length records bytes t_open t_close "
		"drops\n");
	return 0;
}

static int relay_open_cpus(struct relay_collector *c, struct relay_state *s)
{
	const char *root = c->o->root ? c->o->root : RELAY_DEFAULT_ROOT;
	char path[4096];
	unsigned int i;
	int err;

	c->cpu = calloc(s->cpus, sizeof(*c->cpu));
	c->run->cpu = calloc(s->cpus, sizeof(*c->run->cpu));
	if (!c->cpu || !c->run->cpu)
		return -ENOMEM;
	c->run->ncpus = s->cpus;
	for (i = 0; i < s->cpus; i++) {
		struct relay_cpu *cpu = &c->cpu[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		cpu->data_fd = -1;
		c->run->cpu[i].cpu = i;
		snprintf(path, sizeof(path), "%s/%s/%s%u", root, c->o->app,
			 s->base, i);
		err = relay_reader_open(path, c->o->reader_flags,
					&cpu->reader);
		if (err == -ENOENT) {	/* not a possible CPU */
			cpu->done = 1;
			continue;
		}
		if (err)
			return err;
		c->run->mapped = relay_reader_mapped(cpu->reader);
		err = relay_open_outputs(c, i);
		if (err)
			return err;
		if (epoll_ctl(c->ep, EPOLL_CTL_ADD,
			      relay_reader_fd(cpu->reader), &ev))
			return -errno;
		c->live++;
	}
	return 0;
}

/* Note a loss between the previous sub-buffer and @m. */
static void relay_note_loss(struct relay_cpu_result *res,
			    struct relay_cpu *cpu,
			    const struct relayfs_subbuf *m)
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
	relay_loss_keep_worst(&res->worst, &l,
			      relay_reader_info(cpu->reader)->subbuf_size,
			      m->records ? m->bytes / m->records : 1);
}

/*
 * Write out the complete sub-buffers of CPU @i, at most a buffer's worth:
 * against a writer that keeps up with us there would always be one more,
 * and the loop would never get back to its clock (the duration, Ctrl-C)
 * nor to the other CPUs.  What is left keeps the descriptor readable.
 */
static int relay_drain(struct relay_collector *c, unsigned int i)
{
	struct relay_cpu *cpu = &c->cpu[i];
	struct relay_cpu_result *res = &c->run->cpu[i];
	size_t left = c->run->n_subbufs;
	struct relay_subbuf sb;
	int ret = 1, err;

	while (left && (ret = relay_reader_next(cpu->reader, &sb, 0)) == 1) {
		int fd = c->o->out_fd >= 0 ? c->o->out_fd : cpu->data_fd;

		relay_note_loss(res, cpu, &sb.meta);
		err = relay_write_all(fd, sb.data, sb.len);
		if (err)
			return err;
		if (cpu->idx)
			fprintf(cpu->idx, "%llu %llu %zu %llu %llu %llu %llu "
				"%llu\n", (unsigned long long)sb.meta.seq,
				(unsigned long long)cpu->offset, sb.len,
				(unsigned long long)sb.meta.records,
				(unsigned long long)sb.meta.bytes,
				(unsigned long long)sb.meta.t_open,
				(unsigned long long)sb.meta.t_close,
				(unsigned long long)sb.meta.drops);
		cpu->offset += sb.len;
		cpu->last_drops = sb.meta.drops;
		cpu->last_close = sb.meta.t_close;
		cpu->expect = sb.meta.seq + 1;
		res->subbufs++;
		res->bytes += sb.len;
		left--;
	}
	if (ret == 1)
		return 0;	/* a buffer's worth written: more may wait */
	if (ret == 0) {
		cpu->done = 1;
		c->live--;
		epoll_ctl(c->ep, EPOLL_CTL_DEL, relay_reader_fd(cpu->reader),
			  NULL);
		return 0;
	}
	return ret == -EAGAIN ? 0 : ret;
}

static void relay_progress(struct relay_collector *c)
{
	unsigned int i;

	c->run->elapsed = relay_now() - c->t0;
	for (i = 0; i < c->run->ncpus; i++) {
		struct relay_cpu *cpu = &c->cpu[i];
		struct relay_cpu_result *res = &c->run->cpu[i];

		if (!cpu->reader || relay_reader_stats(cpu->reader, &res->stats))
			continue;
		res->backlog = res->stats.subbufs_produced -
			       res->stats.subbufs_consumed -
			       res->stats.subbufs_overwritten;
	}
	if (c->o->progress)
		c->o->progress(c->run, c->o->progress_arg);
}

static int relay_should_stop(struct relay_collector *c)
{
	const struct relay_app_opts *o = c->o;

	return (o->stop && *o->stop) ||
	       (o->duration > 0 && relay_now() - c->t0 >= o->duration);
}

/* Drain until stopped, stop the run, drain to the end. */
static int relay_loop(struct relay_collector *c)
{
	double interval = c->o->progress_interval > 0 ?
			  c->o->progress_interval : 1.0;
	double next_progress = c->t0 + interval;
	struct epoll_event ev[16];
	int stopping = 0, n, i, err;

	while (c->live) {
		if (!stopping && relay_should_stop(c)) {
			stopping = 1;
			/* -ENODEV: the app went away; its run is over. */
			err = relay_command(c->control, "stop\n");
			if (err && err != -ENODEV)
				return err;
		}
		n = epoll_wait(c->ep, ev, 16, 100);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			err = relay_drain(c, ev[i].data.u32);
			if (err)
				return err;
		}
		if (relay_now() >= next_progress) {
			relay_progress(c);
			next_progress += interval;
		}
	}
	return 0;
}

static int relay_write_stats(struct relay_collector *c)
{
	const char *dir = c->o->dir ? c->o->dir : ".";
	struct relay_run *run = c->run;
	char path[4096];
	unsigned int i;
	FILE *f;

	if (c->o->out_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.stats", dir, run->base);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# app %s subbuf_size %zu n_subbufs %zu mode %s "
		"elapsed %.3f\n", run->app, run->subbuf_size, run->n_subbufs,
		run->overwrite ? "overwrite" : "no-overwrite", run->elapsed);
	fprintf(f, "cpu attempted_records accepted_records dropped_records "
		"refused_records consumed_records overwritten_records "
		"unread_records accepted_bytes consumed_bytes subbufs_produced "
		"subbufs_consumed subbufs_overwritten max_backlog "
		"written_subbufs written_bytes\n");
	for (i = 0; i < run->ncpus; i++) {
		const struct relay_cpu_result *r = &run->cpu[i];
		const struct relayfs_buf_stats *s = &r->stats;

		if (!c->cpu[i].reader)
			continue;
		fprintf(f, "%u %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			"%llu %llu %llu %llu %llu %llu\n", i,
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
			(unsigned long long)r->subbufs,
			(unsigned long long)r->bytes);
	}
	return fclose(f) ? -errno : 0;
}

static void relay_collector_close(struct relay_collector *c)
{
	unsigned int i;

	for (i = 0; c->cpu && i < c->run->ncpus; i++) {
		relay_reader_close(c->cpu[i].reader);
		if (c->cpu[i].data_fd >= 0)
			close(c->cpu[i].data_fd);
		if (c->cpu[i].idx)
			fclose(c->cpu[i].idx);
	}
	free(c->cpu);
	if (c->ep >= 0)
		close(c->ep);
	/* Last: closing control ends the run if it is still on. */
	if (c->control >= 0)
		close(c->control);
}

int relay_app_run(const struct relay_app_opts *o, struct relay_run **runp)
{
	struct relay_collector c = { .o = o, .control = -1, .ep = -1 };
	struct relay_state s;
	int err;

	if (!o || !o->app || !*o->app || strchr(o->app, '/'))
		return -EINVAL;
	c.run = calloc(1, sizeof(*c.run));
	if (!c.run)
		return -ENOMEM;
	snprintf(c.run->app, sizeof(c.run->app), "%s", o->app);
	c.ep = epoll_create1(EPOLL_CLOEXEC);
	if (c.ep < 0) {
		err = -errno;
		goto out;
	}
	err = relay_start(&c, &s);
	if (err)
		goto out;
	c.t0 = relay_now();
	snprintf(c.run->base, sizeof(c.run->base), "%s", s.base);
	c.run->subbuf_size = s.subbuf_size;
	c.run->n_subbufs = s.n_subbufs;
	c.run->overwrite = s.overwrite;
	if (o->out_fd < 0 && o->dir) {
		err = relay_mkdirs(o->dir);
		if (err)
			goto out;
	}
	err = relay_open_cpus(&c, &s);
	if (!err)
		err = relay_loop(&c);
	if (!err) {
		relay_progress(&c);	/* the final counters */
		err = relay_write_stats(&c);
	}
out:
	relay_collector_close(&c);
	if (err) {
		relay_run_free(c.run);
		return err;
	}
	*runp = c.run;
	return 0;
}

void relay_run_free(struct relay_run *run)
{
	if (!run)
		return;
	free(run->cpu);
	free(run);
}

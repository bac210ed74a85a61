// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sink interface: a run's header, frames and end go through
 * relay_sink_begin/frame/end to a sink's ops, which count what reached
 * them per CPU, and keep the first error with the path it concerns.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "format.h"
#include "sink.h"

int relay_sink_new(const struct relay_sink_ops *ops, void *ctx,
		   struct relay_sink **sp)
{
	struct relay_sink *s;

	if (!ops || ops->size < offsetof(struct relay_sink_ops, destroy) ||
	    !ops->begin || !ops->frame || !ops->end)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(&s->ops, ops, ops->size < sizeof(s->ops) ? ops->size :
	       sizeof(s->ops));
	s->ctx = ctx;
	pthread_mutex_init(&s->lock, NULL);
	*sp = s;
	return 0;
}

int relay_sink_fail(struct relay_sink *s, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&s->lock);
	if (!s->failed) {
		s->failed = err;
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* The error of the last sink in the chain that failed: the cause. */
const char *relay_sink_error(const struct relay_sink *s)
{
	const struct relay_sink *f = NULL;

	for (; s; s = s->next)
		if (s->failed)
			f = s;
	if (!f)
		return "no error";
	return f->err[0] ? f->err : strerror(-f->failed);
}

static const struct relay_sink *terminal(const struct relay_sink *s)
{
	while (s->next)
		s = s->next;
	return s;
}

/* The index in s->cpu[] of buffer @id (RELAY_APP_CPU), or -1. */
static long sink_index(const struct relay_sink *s, uint32_t id)
{
	if (RELAY_APP_OF(id) >= s->napps || RELAY_CPU_OF(id) >= s->ncpus)
		return -1;
	return (long)RELAY_APP_OF(id) * s->ncpus + RELAY_CPU_OF(id);
}

void relay_sink_totals(const struct relay_sink *s, int cpu,
		       struct relay_sink_totals *t)
{
	struct relay_sink *e = (struct relay_sink *)terminal(s);
	long i;

	memset(t, 0, sizeof(*t));
	pthread_mutex_lock(&e->lock);
	i = cpu < 0 ? -1 : sink_index(e, (uint32_t)cpu);
	if (cpu < 0)
		*t = e->all;
	else if (i >= 0)
		*t = e->cpu[i];
	pthread_mutex_unlock(&e->lock);
}

void relay_sink_count_file(struct relay_sink *s, int deleted,
			   uint64_t frames, uint64_t records)
{
	pthread_mutex_lock(&s->lock);
	if (deleted) {
		s->all.files_deleted++;
		s->all.frames_deleted += frames;
		s->all.records_deleted += records;
	} else {
		s->all.files++;
	}
	pthread_mutex_unlock(&s->lock);
}

int relay_sink_begin(struct relay_sink *s, const struct relay_run_header *h)
{
	struct relay_sink_totals *c;
	size_t n;
	int err;

	if (s->failed)
		return s->failed;
	/* A later app of a run of several: counted in app 0's table. */
	if ((h->flags & RELAY_HDR_APPS) && h->app_index) {
		if (h->app_index >= s->napps || h->ncpus != s->ncpus)
			return relay_sink_fail(s, -EINVAL, "app %u of a run of "
					       "%u, %u CPUs", h->app_index,
					       s->napps, h->ncpus);
		goto begin;
	}
	n = h->flags & RELAY_HDR_APPS ? h->napps : 1;
	if (!n || n > RELAY_MAX_APPS)
		return relay_sink_fail(s, -EINVAL, "%zu apps", n);
	/* as the reader bounds it: the table below cannot wrap */
	if (h->ncpus > RELAY_MAX_CPUS)
		return relay_sink_fail(s, -EINVAL, "%u CPUs", h->ncpus);
	n *= h->ncpus ? h->ncpus : 1;
	pthread_mutex_lock(&s->lock);
	c = realloc(s->cpu, n * sizeof(*c));
	if (c) {
		s->cpu = c;
		memset(c, 0, n * sizeof(*c));
		s->ncpus = h->ncpus;
		s->napps = h->flags & RELAY_HDR_APPS ? h->napps : 1;
	}
	pthread_mutex_unlock(&s->lock);
	if (!c)
		return relay_sink_fail(s, -ENOMEM, "out of memory");
begin:
	err = s->ops.begin(s->ctx, h);
	if (err)
		return relay_sink_fail(s, err, "%s", strerror(-err));
	return 0;
}

int relay_sink_frame(struct relay_sink *s, const struct relay_frame *f)
{
	long i;
	int err;

	if (s->failed)
		return s->failed;
	err = s->ops.frame(s->ctx, f);
	if (err)
		return relay_sink_fail(s, err, "%s", strerror(-err));
	pthread_mutex_lock(&s->lock);
	i = sink_index(s, RELAY_APP_CPU(RELAY_FRAME_APP(f->flags), f->cpu));
	if (i >= 0) {
		s->cpu[i].frames++;
		s->cpu[i].records += f->records;
		s->cpu[i].bytes += f->len;
		s->cpu[i].stored += f->stored;
	}
	s->all.frames++;
	s->all.records += f->records;
	s->all.bytes += f->len;
	s->all.stored += f->stored;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int relay_sink_end(struct relay_sink *s, const struct relay_cpu_counters *c,
		   unsigned int n, uint32_t flags)
{
	int err;

	if (s->failed)
		return s->failed;
	err = s->ops.end(s->ctx, c, n, flags);
	if (err)
		return relay_sink_fail(s, err, "%s", strerror(-err));
	return 0;
}

void relay_sink_free(struct relay_sink *s)
{
	if (!s)
		return;
	if (s->ops.destroy)
		s->ops.destroy(s->ctx);
	pthread_mutex_destroy(&s->lock);
	free(s->cpu);
	free(s);
}

void relay_sink_set_abort(struct relay_sink *s, int (*aborted)(void *),
			  void *arg)
{
	for (; s; s = s->next) {
		s->aborted = aborted;
		s->abort_arg = arg;
	}
}

int relay_sink_aborted(const struct relay_sink *s)
{
	return s && s->aborted && s->aborted(s->abort_arg);
}

/*
 * Before a write to @fd: once the run is aborted, the output must take
 * it within a second (a pipe nobody reads would block the end forever),
 * and *@n is cut to PIPE_BUF, which a writable pipe takes at once.
 */
static int sink_may_write(const struct relay_sink *s, int fd, size_t *n)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	if (!relay_sink_aborted(s))
		return 0;
	if (poll(&p, 1, 1000) != 1)
		return -ECANCELED;
	if (*n > PIPE_BUF)
		*n = PIPE_BUF;
	return 0;
}

int relay_write_full(struct relay_sink *s, int fd, const void *p, size_t n)
{
	while (n) {
		size_t chunk = n;
		ssize_t w;
		int err = sink_may_write(s, fd, &chunk);

		if (err)
			return err;
		w = write(fd, p, chunk);
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

int relay_writev_rest(struct relay_sink *s, int fd, struct iovec *iov, int n,
		      size_t done)
{
	for (;;) {
		size_t chunk = SIZE_MAX;
		ssize_t w;
		int err;

		while (n && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			n--;
		}
		if (!n)
			return 0;
		iov->iov_base = (char *)iov->iov_base + done;
		iov->iov_len -= done;
		err = sink_may_write(s, fd, &chunk);
		if (err)
			return err;
		if (chunk < SIZE_MAX)	/* aborted: a piece at a time */
			w = write(fd, iov->iov_base, iov->iov_len < chunk ?
				  iov->iov_len : chunk);
		else
			w = writev(fd, iov, n);
		if (w < 0) {
			if (errno != EINTR)
				return -errno;
			w = 0;
		}
		done = w;
	}
}

int relay_writev_full(struct relay_sink *s, int fd, struct iovec *iov, int n)
{
	return relay_writev_rest(s, fd, iov, n, 0);
}

int relay_mkdirs(const char *dir)
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

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The zstd stage: frames are copied into a queue and compressed on a
 * thread of its own, each payload into one standard zstd frame (with its
 * content checksum), then passed in order to the next sink.  The caller
 * (the drain loop) waits only when max_queue bytes are already queued;
 * an error of the next sink comes back on the caller's next call.
 *
 * An aborted run (relay_sink_aborted) waits for nothing: the caller's
 * waits give up (-ECANCELED), the end does not drain the queue, and the
 * worker, which may be blocked in a write nobody takes, is cancelled
 * (only inside a job, where it holds no lock).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>
#include "format.h"
#include "sink.h"

enum zjob_type { ZJ_BEGIN, ZJ_FRAME, ZJ_END, ZJ_QUIT };

struct zjob {
	enum zjob_type type;
	struct zjob *next;
	struct relay_frame f;		/* ZJ_FRAME: payload owned */
	struct relay_run_header h;	/* ZJ_BEGIN: strings in hstr */
	char *hstr;
	struct relay_cpu_counters *c;	/* ZJ_END */
	unsigned int n;
	uint32_t flags;
};

struct zstd_stage {
	struct relay_sink *self, *next;
	int level;
	size_t max_queue;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more, room, idle;
	struct zjob *head, *tail;
	size_t queued;			/* payload bytes queued */
	int busy;			/* the worker holds a job */
	int err;			/* the next sink's, sticky */
	int quit;			/* aborted: the worker ends now */
	ZSTD_CCtx *cctx;
	uint8_t *out;
	size_t out_cap;
};

static void zjob_free(struct zjob *j)
{
	free((void *)j->f.payload);
	free(j->hstr);
	free(j->c);
	free(j);
}

static int zstd_compress(struct zstd_stage *z, struct relay_frame *f)
{
	size_t bound = ZSTD_compressBound(f->len), n;

	if (z->out_cap < bound) {
		uint8_t *o = realloc(z->out, bound);

		if (!o)
			return -ENOMEM;
		z->out = o;
		z->out_cap = bound;
	}
	n = ZSTD_compress2(z->cctx, z->out, bound, f->payload, f->len);
	if (ZSTD_isError(n))
		return relay_sink_fail(z->self, -EIO, "zstd: %s",
				       ZSTD_getErrorName(n));
	f->flags |= RELAY_FRAME_ZSTD;
	f->payload = z->out;
	f->stored = n;
	return 0;
}

static int zjob_run(struct zstd_stage *z, struct zjob *j)
{
	struct relay_frame f;
	int err;

	switch (j->type) {
	case ZJ_BEGIN:
		j->h.flags |= RELAY_HDR_COMPRESSED;
		return relay_sink_begin(z->next, &j->h);
	case ZJ_FRAME:
		f = j->f;
		err = zstd_compress(z, &f);
		return err ? err : relay_sink_frame(z->next, &f);
	case ZJ_END:
		return relay_sink_end(z->next, j->c, j->n, j->flags);
	default:
		return 0;
	}
}

static void zjob_cleanup(void *j)
{
	zjob_free(j);
}

/* zjob_run(), where an abort may cancel the worker (@j freed then). */
static int zjob_run_cancellable(struct zstd_stage *z, struct zjob *j)
{
	int err;

	pthread_cleanup_push(zjob_cleanup, j);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	err = zjob_run(z, j);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_cleanup_pop(0);
	return err;
}

/* Wait on @cond for at most 100 ms: the caller looks at the abort. */
static void zstd_wait(struct zstd_stage *z, pthread_cond_t *cond)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(cond, &z->lock, &ts);
}

static void *zstd_worker(void *arg)
{
	struct zstd_stage *z = arg;
	struct zjob *j;
	int quit = 0, err;

	/* Cancelled only inside a job's output (see the top). */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	while (!quit) {
		pthread_mutex_lock(&z->lock);
		while (!z->head && !z->quit)
			pthread_cond_wait(&z->more, &z->lock);
		if (z->quit) {
			pthread_mutex_unlock(&z->lock);
			break;
		}
		j = z->head;
		z->head = j->next;
		if (!z->head)
			z->tail = NULL;
		z->busy = 1;
		err = z->err;
		pthread_mutex_unlock(&z->lock);

		quit = j->type == ZJ_QUIT;
		/* After an error the rest is dropped: the caller counts it. */
		if (!err)
			err = zjob_run_cancellable(z, j);

		pthread_mutex_lock(&z->lock);
		if (j->type == ZJ_FRAME)
			z->queued -= j->f.len;
		if (err && !z->err)
			z->err = err;
		z->busy = 0;
		pthread_cond_broadcast(&z->room);
		if (!z->head)
			pthread_cond_broadcast(&z->idle);
		pthread_mutex_unlock(&z->lock);
		zjob_free(j);
	}
	return NULL;
}

/* Queue @j; wait for room first if it carries a payload. */
static int zstd_push(struct zstd_stage *z, struct zjob *j)
{
	int err;

	pthread_mutex_lock(&z->lock);
	while (j->type == ZJ_FRAME && z->queued && !z->err &&
	       z->queued + j->f.len > z->max_queue &&
	       !relay_sink_aborted(z->self))
		zstd_wait(z, &z->room);
	err = z->err;
	if (!err && j->type == ZJ_FRAME && relay_sink_aborted(z->self) &&
	    z->queued && z->queued + j->f.len > z->max_queue)
		err = -ECANCELED;
	if (!err || j->type == ZJ_QUIT) {
		if (j->type == ZJ_FRAME)
			z->queued += j->f.len;
		if (z->tail)
			z->tail->next = j;
		else
			z->head = j;
		z->tail = j;
		pthread_cond_signal(&z->more);
		j = NULL;
	}
	pthread_mutex_unlock(&z->lock);
	if (j)
		zjob_free(j);
	return j ? err : 0;
}

/* Wait until the worker has done everything queued; its error. */
static int zstd_wait_idle(struct zstd_stage *z)
{
	int err;

	pthread_mutex_lock(&z->lock);
	while ((z->head || z->busy) && !relay_sink_aborted(z->self))
		zstd_wait(z, &z->idle);
	err = z->err;
	if (!err && (z->head || z->busy))
		err = -ECANCELED;
	pthread_mutex_unlock(&z->lock);
	return err;
}

static struct zjob *zjob_new(enum zjob_type type)
{
	struct zjob *j = calloc(1, sizeof(*j));

	if (j)
		j->type = type;
	return j;
}

static int zstd_begin(void *ctx, const struct relay_run_header *h)
{
	struct zstd_stage *z = ctx;
	const char *src[7] = { h->host, h->kernel, h->app, h->base, h->tool,
			       h->library, h->cmdline };
	struct zjob *j = zjob_new(ZJ_BEGIN);
	const char **dst[7];
	size_t len = 0, off = 0;
	unsigned int i;

	if (!j)
		return -ENOMEM;
	for (i = 0; i < 7; i++)
		len += (src[i] ? strlen(src[i]) : 0) + 1;
	j->hstr = malloc(len);
	if (!j->hstr) {
		zjob_free(j);
		return -ENOMEM;
	}
	/* A 1.0 caller's header ends before trigger (then app_index): read
	 * what its flags say it has, the rest stays zero. */
	memcpy(&j->h, h, h->flags & RELAY_HDR_APPS ? sizeof(*h) :
	       h->flags & RELAY_HDR_SNAPSHOT ?
	       offsetof(struct relay_run_header, app_index) :
	       offsetof(struct relay_run_header, trigger));
	dst[0] = &j->h.host;
	dst[1] = &j->h.kernel;
	dst[2] = &j->h.app;
	dst[3] = &j->h.base;
	dst[4] = &j->h.tool;
	dst[5] = &j->h.library;
	dst[6] = &j->h.cmdline;
	for (i = 0; i < 7; i++) {
		const char *v = src[i] ? src[i] : "";

		strcpy(j->hstr + off, v);
		*dst[i] = j->hstr + off;
		off += strlen(v) + 1;
	}
	return zstd_push(z, j);
}

static int zstd_frame(void *ctx, const struct relay_frame *f)
{
	struct zstd_stage *z = ctx;
	struct zjob *j = zjob_new(ZJ_FRAME);
	void *p = malloc(f->len ? f->len : 1);

	if (!j || !p) {
		free(j);
		free(p);
		return -ENOMEM;
	}
	memcpy(p, f->payload, f->len);
	j->f = *f;
	j->f.payload = p;
	j->f.stored = f->len;
	return zstd_push(z, j);
}

static int zstd_cancelled(struct zstd_stage *z)
{
	size_t queued;

	pthread_mutex_lock(&z->lock);
	queued = z->queued;
	pthread_mutex_unlock(&z->lock);
	return relay_sink_fail(z->self, -ECANCELED, "aborted while the "
			       "output took no more data: %zu bytes queued "
			       "for it were not written", queued);
}

static int zstd_end(void *ctx, const struct relay_cpu_counters *c,
		    unsigned int n, uint32_t flags)
{
	struct zstd_stage *z = ctx;
	struct zjob *j;
	int err;

	/* Aborted: what is queued is not drained (the caller counts it). */
	if (relay_sink_aborted(z->self))
		return zstd_cancelled(z);
	j = zjob_new(ZJ_END);
	if (!j)
		return -ENOMEM;
	j->c = malloc((n ? n : 1) * sizeof(*c));
	if (!j->c) {
		zjob_free(j);
		return -ENOMEM;
	}
	if (n)		/* none: @c may be NULL */
		memcpy(j->c, c, n * sizeof(*c));
	j->n = n;
	j->flags = flags;
	err = zstd_push(z, j);
	if (!err)
		err = zstd_wait_idle(z);
	return err == -ECANCELED ? zstd_cancelled(z) : err;
}

static void zstd_destroy(void *ctx)
{
	struct zstd_stage *z = ctx;
	struct zjob *j;

	if (relay_sink_aborted(z->self)) {
		/* It may be blocked in a write: cancelled there. */
		pthread_mutex_lock(&z->lock);
		z->quit = 1;
		pthread_cond_broadcast(&z->more);
		pthread_mutex_unlock(&z->lock);
		pthread_cancel(z->thread);
		pthread_join(z->thread, NULL);
		while ((j = z->head)) {
			z->head = j->next;
			zjob_free(j);
		}
	} else if ((j = zjob_new(ZJ_QUIT))) {
		zstd_push(z, j);
		pthread_join(z->thread, NULL);
	}	/* else the thread stays: out of memory at exit */
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	relay_sink_free(z->next);
	pthread_mutex_destroy(&z->lock);
	pthread_cond_destroy(&z->more);
	pthread_cond_destroy(&z->room);
	pthread_cond_destroy(&z->idle);
	free(z);
}

static const struct relay_sink_ops zstd_ops = {
	.size = sizeof(struct relay_sink_ops),
	.begin = zstd_begin,
	.frame = zstd_frame,
	.end = zstd_end,
	.destroy = zstd_destroy,
};

int relay_sink_zstd(int level, size_t max_queue, struct relay_sink *next,
		    struct relay_sink **sp)
{
	struct zstd_stage *z;
	int err;

	if (!next || level < 0 || level > ZSTD_maxCLevel())
		return -EINVAL;
	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	z->level = level ? level : 3;
	z->max_queue = max_queue ? max_queue : 64 << 20;
	z->cctx = ZSTD_createCCtx();
	if (!z->cctx ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
						ZSTD_c_compressionLevel,
						z->level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
						ZSTD_c_checksumFlag, 1))) {
		ZSTD_freeCCtx(z->cctx);
		free(z);
		return -ENOMEM;
	}
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->more, NULL);
	pthread_cond_init(&z->room, NULL);
	pthread_cond_init(&z->idle, NULL);
	z->next = next;
	err = relay_sink_new(&zstd_ops, z, &z->self);
	if (!err) {
		err = -pthread_create(&z->thread, NULL, zstd_worker, z);
		if (err) {	/* no worker to stop: free it here */
			z->self->ops.destroy = NULL;
			relay_sink_free(z->self);
		}
	}
	if (err) {	/* @next stays the caller's */
		pthread_mutex_destroy(&z->lock);
		pthread_cond_destroy(&z->more);
		pthread_cond_destroy(&z->room);
		pthread_cond_destroy(&z->idle);
		ZSTD_freeCCtx(z->cctx);
		free(z);
		return err;
	}
	z->self->next = next;
	*sp = z->self;
	return 0;
}

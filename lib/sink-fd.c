// SPDX-License-Identifier: LGPL-2.1-or-later
/* The fd sink: the run format to a descriptor (standard output, a pipe). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>
#include "format.h"
#include "sink.h"

struct fd_sink {
	struct relay_sink *self;
	int fd;
	uint64_t frames, bytes;
};

static int fd_fail(struct fd_sink *f, int err)
{
	return relay_sink_fail(f->self, err, "%s: %s", f->fd == 1 ?
			       "standard output" : "output descriptor",
			       err == -ECANCELED ? "aborted while it took no "
			       "more data" : strerror(-err));
}

static int fd_begin(void *ctx, const struct relay_run_header *h)
{
	struct fd_sink *f = ctx;
	uint8_t *b;
	size_t n;
	int err = relay_encode_run(h, &b, &n);

	if (err)
		return err;
	err = relay_write_full(f->self, f->fd, b, n);
	free(b);
	f->frames = f->bytes = 0;
	return err ? fd_fail(f, err) : 0;
}

static int fd_frame(void *ctx, const struct relay_frame *fr)
{
	struct fd_sink *f = ctx;
	uint8_t hdr[RELAY_FRAME_HDR_LEN];
	struct iovec iov[2] = {
		{ hdr, sizeof(hdr) },
		{ (void *)fr->payload, fr->stored },
	};
	int err;

	relay_encode_frame(hdr, fr, fr->stored);
	err = relay_writev_full(f->self, f->fd, iov, 2);
	if (err)
		return fd_fail(f, err);
	f->frames++;
	f->bytes += fr->len;
	return 0;
}

static int fd_end(void *ctx, const struct relay_cpu_counters *c,
		  unsigned int n, uint32_t flags)
{
	struct fd_sink *f = ctx;
	struct relay_trailer t = { .flags = flags, .frames = f->frames,
				   .bytes = f->bytes };
	uint8_t *b;
	size_t len;
	int err = relay_encode_end(c, n, &t, &b, &len);

	if (err)
		return err;
	err = relay_write_full(f->self, f->fd, b, len);
	free(b);
	return err ? fd_fail(f, err) : 0;
}

static void fd_destroy(void *ctx)
{
	free(ctx);
}

static const struct relay_sink_ops fd_ops = {
	.size = sizeof(struct relay_sink_ops),
	.begin = fd_begin,
	.frame = fd_frame,
	.end = fd_end,
	.destroy = fd_destroy,
};

int relay_sink_fd(int fd, struct relay_sink **sp)
{
	struct fd_sink *f = calloc(1, sizeof(*f));
	int err;

	if (!f)
		return -ENOMEM;
	f->fd = fd;
	err = relay_sink_new(&fd_ops, f, &f->self);
	if (err) {
		free(f);
		return err;
	}
	*sp = f->self;
	return 0;
}

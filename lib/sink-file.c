// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The files sink: the run format to <dir>/<name>.relay, or rotated to
 * <dir>/<name>.<N>.relay by size or time, the oldest deleted beyond
 * max_files.  Every file starts with the run header (its file_index
 * set) and, once complete, ends with a trailer (CONTINUED when the run
 * goes on in the next one).  A frame is one writev(2); a write that
 * fails is cut back to the last whole frame, so what is on disk always
 * reads back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include "format.h"
#include "sink.h"

struct kept {
	unsigned int index;
	uint64_t frames, records;
};

struct file_sink {
	struct relay_sink *self;
	struct relay_file_opts o;
	char *dir, *name;
	int rotating;
	uint8_t *hdr;		/* the run header block */
	size_t hdr_len;
	int fd;
	char path[4096];
	unsigned int index;	/* of the open file */
	uint64_t size, frames, records, bytes;	/* in the open file */
	double t0;		/* when it was opened */
	struct kept *kept;	/* files on disk, oldest first */
	unsigned int nkept;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* After a failed write: the file ends with its last whole block. */
static void cut_back(int fd, off_t size)
{
	if (ftruncate(fd, size)) {
		/* Nothing more to do: the reader stops at the cut. */
	}
}

static int file_fail(struct file_sink *f, int err)
{
	return relay_sink_fail(f->self, err, "%s: %s", f->path,
			       strerror(-err));
}

static void file_path(struct file_sink *f, unsigned int index, char *p,
		      size_t n)
{
	const char *ext = f->o.compressed ? ".relay.zst" : ".relay";

	if (f->rotating)
		snprintf(p, n, "%s/%s.%06u%s", f->dir, f->name, index, ext);
	else
		snprintf(p, n, "%s/%s%s", f->dir, f->name, ext);
}

static int file_open(struct file_sink *f, unsigned int index)
{
	int err;

	file_path(f, index, f->path, sizeof(f->path));
	f->fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return file_fail(f, -errno);
	f->index = index;
	f->size = f->frames = f->records = f->bytes = 0;
	f->t0 = mono_now();
	relay_reindex_runs(f->hdr, f->hdr_len, index);
	err = relay_write_full(f->self, f->fd, f->hdr, f->hdr_len);
	if (err) {
		cut_back(f->fd, 0);
		return file_fail(f, err);
	}
	f->size = f->hdr_len;
	relay_sink_count_file(f->self, 0, 0, 0);
	return 0;
}

/* Finish the open file with @n counters blocks and a trailer. */
static int file_close(struct file_sink *f, const struct relay_cpu_counters *c,
		      unsigned int n, uint32_t flags)
{
	struct relay_trailer t = { .flags = flags, .frames = f->frames,
				   .bytes = f->bytes };
	uint8_t *b;
	size_t len;
	int err, fd = f->fd;

	f->fd = -1;
	err = relay_encode_end(c, n, &t, &b, &len);
	if (err) {
		close(fd);
		return err;
	}
	err = relay_write_full(f->self, fd, b, len);
	free(b);
	if (err)
		cut_back(fd, f->size);
	if (close(fd) && !err)
		err = -errno;
	return err ? file_fail(f, err) : 0;
}

/* Keep at most max_files: delete the oldest to make room for one more. */
static int file_make_room(struct file_sink *f)
{
	char path[4096];

	if (!f->o.max_files || f->nkept < f->o.max_files)
		return 0;
	file_path(f, f->kept[0].index, path, sizeof(path));
	if (unlink(path) && errno != ENOENT)
		return relay_sink_fail(f->self, -errno, "%s: %s", path,
				       strerror(errno));
	relay_sink_count_file(f->self, 1, f->kept[0].frames,
			      f->kept[0].records);
	memmove(f->kept, f->kept + 1, --f->nkept * sizeof(*f->kept));
	return 0;
}

static int file_rotate(struct file_sink *f)
{
	struct kept *k;
	int err;

	k = realloc(f->kept, (f->nkept + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	f->kept = k;
	f->kept[f->nkept++] = (struct kept){ f->index, f->frames, f->records };
	err = file_close(f, NULL, 0, RELAY_TRAILER_CONTINUED);
	if (!err)
		err = file_make_room(f);
	if (!err)
		err = file_open(f, f->index + 1);
	return err;
}

/* Add app @h's run header to those every file starts with. */
static int file_add_header(struct file_sink *f,
			   const struct relay_run_header *h)
{
	uint8_t *b, *all;
	size_t n;
	int err = relay_encode_run(h, &b, &n);

	if (err)
		return err;
	all = realloc(f->hdr, f->hdr_len + n);
	if (!all) {
		free(b);
		return -ENOMEM;
	}
	memcpy(all + f->hdr_len, b, n);
	free(b);
	f->hdr = all;
	f->hdr_len += n;
	return h->app_index + 1 == h->napps ? file_open(f, 0) : 0;
}

static int file_begin(void *ctx, const struct relay_run_header *h)
{
	struct file_sink *f = ctx;
	int err;

	err = relay_mkdirs(f->dir);
	if (err)
		return relay_sink_fail(f->self, err, "%s: %s", f->dir,
				       strerror(-err));
	/* A later app of a run of several: its header after the others. */
	if ((h->flags & RELAY_HDR_APPS) && h->app_index)
		return file_add_header(f, h);
	free(f->hdr);
	err = relay_encode_run(h, &f->hdr, &f->hdr_len);
	if (err)
		return err;
	/* Opened when the last app's header is in (all go in every file). */
	if ((h->flags & RELAY_HDR_APPS) && h->napps > 1)
		return 0;
	return file_open(f, 0);
}

static int file_frame(void *ctx, const struct relay_frame *fr)
{
	struct file_sink *f = ctx;
	uint8_t hdr[RELAY_FRAME_HDR_LEN];
	size_t len = sizeof(hdr) + fr->stored;
	struct iovec iov[2] = {
		{ hdr, sizeof(hdr) },
		{ (void *)fr->payload, fr->stored },
	};
	int err;

	if (f->fd < 0)
		return -EBADF;
	if (f->rotating && f->frames &&
	    ((f->o.rotate_size && f->size + len > f->o.rotate_size) ||
	     (f->o.rotate_time > 0 && mono_now() - f->t0 >= f->o.rotate_time))) {
		err = file_rotate(f);
		if (err)
			return err;
	}
	relay_encode_frame(hdr, fr, fr->stored);
	/* One writev(2); if the disk takes only part, the rest, or cut. */
	err = relay_writev_full(f->self, f->fd, iov, 2);
	if (err) {
		cut_back(f->fd, f->size);
		return file_fail(f, err);
	}
	f->size += len;
	f->frames++;
	f->records += fr->records;
	f->bytes += fr->len;
	return 0;
}

static int file_end(void *ctx, const struct relay_cpu_counters *c,
		    unsigned int n, uint32_t flags)
{
	struct file_sink *f = ctx;

	if (f->fd < 0)
		return -EBADF;
	return file_close(f, c, n, flags);
}

static void file_destroy(void *ctx)
{
	struct file_sink *f = ctx;

	if (f->fd >= 0)
		close(f->fd);
	free(f->hdr);
	free(f->kept);
	free(f->dir);
	free(f->name);
	free(f);
}

static const struct relay_sink_ops file_ops = {
	.size = sizeof(struct relay_sink_ops),
	.begin = file_begin,
	.frame = file_frame,
	.end = file_end,
	.destroy = file_destroy,
};

int relay_sink_files(const struct relay_file_opts *o, struct relay_sink **sp)
{
	struct file_sink *f;
	int err;

	if (!o || !o->size || !o->name || !*o->name || strchr(o->name, '/'))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	memcpy(&f->o, o, o->size < sizeof(f->o) ? o->size : sizeof(f->o));
	f->fd = -1;
	f->dir = strdup(o->dir ? o->dir : ".");
	f->name = strdup(o->name);
	f->rotating = f->o.rotate_size || f->o.rotate_time > 0;
	if (!f->dir || !f->name) {
		file_destroy(f);
		return -ENOMEM;
	}
	err = relay_sink_new(&file_ops, f, &f->self);
	if (err) {
		file_destroy(f);
		return err;
	}
	*sp = f->self;
	return 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One per-CPU buffer: zero-copy through mmap + RELAYFS_IOC_CONSUME, or
 * read() + RELAYFS_IOC_GET_SUBBUF where mmap is unavailable.
 *
 * mmap, no-overwrite: a batch of complete sub-buffers is handed out in
 * place; the next RELAYFS_IOC_CONSUME acknowledges it when the caller
 * asks for more, so each sub-buffer stays valid until the next call.
 * mmap, overwrite: writers may take any unread sub-buffer, so the batch
 * is copied out, acknowledged, and only the copies the kernel validated
 * (seq >= valid_from) are handed out (docs/abi.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "librelay.h"

#define RELAY_BATCH	16	/* sub-buffers per ioctl, no-overwrite */
#define RELAY_OW_BATCH	4	/* copied per ioctl, overwrite */

struct relay_reader {
	int fd;
	unsigned int flags;
	struct relayfs_buf_info info;
	uint8_t *map;		/* NULL: read() mode */
	size_t map_len;
	uint8_t *copy;		/* overwrite copies, or the read() buffer */
	struct relayfs_subbuf e[RELAY_BATCH];
	unsigned int n, next;	/* entries in e[], the next to hand out */
	uint64_t ack;		/* the next RELAYFS_IOC_CONSUME's ack */
	uint64_t expect;	/* seq expected next: gaps are losses */
	uint64_t lost;
	ssize_t pending;	/* read() bytes in copy, metadata not yet had */
	int eof;
};

/*
 * The kernel takes the buffer's read_mutex interruptibly: a signal gives
 * EINTR even without waiting.  The call is repeated with the same ack,
 * which gets the same answer (docs/abi.md); a wait interrupted is the
 * caller's to see (-EINTR), the position unchanged.
 */
static int relay_consume(struct relay_reader *r, uint32_t flags,
			 uint32_t max, struct relayfs_consume *c)
{
	int err;

	do {
		memset(c, 0, sizeof(*c));
		c->version = RELAYFS_ABI_VERSION;
		c->flags = flags;
		c->ack = r->ack;
		c->entries = (uintptr_t)r->e;
		c->max_entries = max;
		err = ioctl(r->fd, RELAYFS_IOC_CONSUME, c) ? -errno : 0;
	} while (err == -EINTR && !(flags & RELAYFS_CONSUME_WAIT));
	return err;
}

int relay_reader_open(const char *path, unsigned int flags,
		      struct relay_reader **rp)
{
	struct relay_reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	r->flags = flags;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = -errno;
		goto err_free;
	}
	if (ioctl(r->fd, RELAYFS_IOC_GET_INFO, &r->info)) {
		err = errno == EINVAL ? -ENOTTY : -errno;
		goto err_close;
	}
	r->map_len = (size_t)r->info.buf_size;
	if (!(flags & RELAY_READER_NO_MMAP)) {
		r->map = mmap(NULL, r->map_len, PROT_READ, MAP_SHARED, r->fd,
			      0);
		if (r->map == MAP_FAILED)
			r->map = NULL;	/* read() instead */
	}
	if (!r->map || (r->info.flags & RELAYFS_BUF_OVERWRITE)) {
		size_t n = r->map ? RELAY_OW_BATCH : 1;

		r->copy = malloc(n * r->info.subbuf_size);
		if (!r->copy) {
			err = -ENOMEM;
			goto err_unmap;
		}
	}
	*rp = r;
	return 0;

err_unmap:
	if (r->map)
		munmap(r->map, r->map_len);
err_close:
	close(r->fd);
err_free:
	free(r);
	return err;
}

int relay_reader_fd(const struct relay_reader *r)
{
	return r->fd;
}

const struct relayfs_buf_info *relay_reader_info(const struct relay_reader *r)
{
	return &r->info;
}

int relay_reader_mapped(const struct relay_reader *r)
{
	return r->map != NULL;
}

uint64_t relay_reader_lost(const struct relay_reader *r)
{
	return r->lost;
}

int relay_reader_stats(struct relay_reader *r, struct relayfs_buf_stats *st)
{
	return ioctl(r->fd, RELAYFS_IOC_GET_STATS, st) ? -errno : 0;
}

/* Hand out @meta with its bytes at @data, counting any gap before it. */
static int relay_hand_out(struct relay_reader *r, struct relay_subbuf *sb,
			  const void *data, const struct relayfs_subbuf *meta)
{
	sb->data = data;
	sb->len = meta->used;
	sb->meta = *meta;
	r->lost += meta->seq - r->expect;
	r->expect = meta->seq + 1;
	return 1;
}

/* RELAYFS_IOC_GET_SUBBUF of the read() just done, retrying EINTR. */
static int relay_get_subbuf(struct relay_reader *r, struct relayfs_subbuf *m)
{
	int err;

	do {
		err = ioctl(r->fd, RELAYFS_IOC_GET_SUBBUF, m) ? -errno : 0;
	} while (err == -EINTR);
	return err;
}

static int relay_next_read(struct relay_reader *r, struct relay_subbuf *sb,
			   int wait)
{
	struct relayfs_subbuf meta;
	ssize_t n;
	int err;

	/* A sub-buffer read whose metadata failed: not lost, asked again. */
	if (r->pending) {
		n = r->pending;
		goto meta;
	}
	do {
		if (!wait) {
			/* One non-blocking read, whatever the file's flags. */
			int fl = fcntl(r->fd, F_GETFL);

			if (fl < 0 || fcntl(r->fd, F_SETFL, fl | O_NONBLOCK))
				return -errno;
			n = read(r->fd, r->copy, r->info.subbuf_size);
			if (fcntl(r->fd, F_SETFL, fl) && n >= 0)
				return -errno;
		} else {
			n = read(r->fd, r->copy, r->info.subbuf_size);
		}
	} while (n < 0 && errno == EINTR && !wait);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
meta:
	r->pending = n;
	err = relay_get_subbuf(r, &meta);
	if (err)
		return err;
	r->pending = 0;
	/* read() returns one whole sub-buffer per call of this size. */
	if (meta.used != (size_t)n)
		return -EIO;
	return relay_hand_out(r, sb, r->copy, &meta);
}

/* Overwrite mode: copy a snapshot, validate it with the ack. */
static int relay_fill_overwrite(struct relay_reader *r,
				struct relayfs_consume *c)
{
	unsigned int i, k = 0, n = c->n_entries;
	uint64_t valid, ack = r->ack;
	int err;

	for (i = 0; i < n; i++)
		memcpy(r->copy + (size_t)i * r->info.subbuf_size,
		       r->map + r->e[i].offset, r->e[i].used);
	r->ack = r->e[n - 1].seq + 1;
	err = relay_consume(r, 0, 0, c);
	if (err) {
		/*
		 * Not validated: none of the copies may be handed out.  The
		 * position did not move; the next call takes a new snapshot
		 * from the last ack that succeeded.
		 */
		r->ack = ack;
		r->n = r->next = 0;
		return err;
	}
	valid = c->valid_from;
	/* Keep the validated copies, in place of their entries. */
	for (i = 0; i < n; i++) {
		if (r->e[i].seq < valid)
			continue;
		if (k != i) {
			memmove(r->copy + (size_t)k * r->info.subbuf_size,
				r->copy + (size_t)i * r->info.subbuf_size,
				r->e[i].used);
			r->e[k] = r->e[i];
		}
		k++;
	}
	return k;
}

int relay_reader_next(struct relay_reader *r, struct relay_subbuf *sb,
		      int wait)
{
	struct relayfs_consume c;
	int ow = r->info.flags & RELAYFS_BUF_OVERWRITE;
	unsigned int i;
	int err;

	if (r->eof)
		return 0;
	if (!r->map)
		return relay_next_read(r, sb, wait);
	while (r->next == r->n) {
		/* Acknowledge the last batch, take the next. */
		err = relay_consume(r, wait ? RELAYFS_CONSUME_WAIT : 0,
				    ow ? RELAY_OW_BATCH : RELAY_BATCH, &c);
		if (err)
			return err;
		if (c.status & RELAYFS_CONSUME_EOF) {
			r->eof = 1;
			return 0;
		}
		r->next = 0;
		r->n = c.n_entries;
		if (!r->n) {
			if (!wait)
				return -EAGAIN;
			continue;	/* woken, but lapped meanwhile */
		}
		if (ow) {
			err = relay_fill_overwrite(r, &c);
			if (err < 0)
				return err;
			r->n = err;
		} else {
			r->ack = r->e[r->n - 1].seq + 1;
		}
	}
	i = r->next++;
	if (ow)
		return relay_hand_out(r, sb, r->copy + (size_t)i *
				      r->info.subbuf_size, &r->e[i]);
	return relay_hand_out(r, sb, r->map + r->e[i].offset, &r->e[i]);
}

void relay_reader_close(struct relay_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	free(r->copy);
	close(r->fd);
	free(r);
}

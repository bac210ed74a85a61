// SPDX-License-Identifier: GPL-2.0
/*
 * Memory report: what a channel's buffers hold in kernel memory, for the
 * relay-app control file ("memory BYTES").  Pages of sub-buffers, the
 * per-sub-buffer arrays, the page array, the reader's bounce buffer and
 * the buffer structure itself, summed over the channel's buffers (one per
 * possible CPU).
 */
#include <linux/mm.h>
#include "internal.h"

/* Bytes one buffer holds; its geometry is fixed for its life. */
size_t relayfs_buf_memory(struct relayfs_buf *buf)
{
	size_t per_subbuf = sizeof(*buf->commit) + sizeof(*buf->done_at) +
			    sizeof(*buf->meta);

	return sizeof(*buf) + ((size_t)buf->n_pages << PAGE_SHIFT) +
	       buf->n_pages * sizeof(*buf->pages) +
	       buf->n_subbufs * per_subbuf +
	       (READ_ONCE(buf->bounce) ? buf->subbuf_size : 0);
}

/* Bytes all buffers of @chan hold.  The caller keeps @chan alive. */
size_t relayfs_chan_memory(struct relayfs_chan *chan)
{
	size_t bytes = sizeof(*chan);
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = relayfs_chan_buf(chan, cpu);

		if (buf)
			bytes += relayfs_buf_memory(buf);
	}
	return bytes;
}

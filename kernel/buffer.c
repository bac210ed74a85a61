// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer memory, state and lifetime, and the deferred work of a buffer.
 *
 * A buffer's sub-buffers are individual zeroed pages from the CPU's NUMA
 * node, charged to the caller's memcg, mapped contiguously with vmap() so
 * the write path computes an address with a shift and an add.  A buffer is
 * reference counted: the channel holds one reference and every open file
 * one more, so readers drain it after the channel is closed.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/topology.h>
#include <linux/poll.h>
#include <linux/moduleparam.h>
#include <relayfs/relayfs_objlog.h>
#include "internal.h"

/* Test support: log buffers and channels (include/relayfs/relayfs_objlog.h). */
bool relayfs_log_objects;
module_param_named(log_objects, relayfs_log_objects, bool, 0444);
MODULE_PARM_DESC(log_objects, "log allocations for the test harness");

static atomic_long_t relayfs_mem_used = ATOMIC_LONG_INIT(0);

/* Charge @bytes against the module-wide cap (relayfs_mem_limit). */
int relayfs_mem_charge(size_t bytes)
{
	if (atomic_long_add_return(bytes, &relayfs_mem_used) >
	    READ_ONCE(relayfs_mem_limit)) {
		atomic_long_sub(bytes, &relayfs_mem_used);
		return -ENOMEM;
	}
	return 0;
}

void relayfs_mem_uncharge(size_t bytes)
{
	atomic_long_sub(bytes, &relayfs_mem_used);
}

/*
 * Empty buffer: no sub-buffer open, every slot complete and free.  The
 * nest count is left alone: zero from the allocation, or RFS_NEST_RESET
 * during a reset, which turns writes back on afterwards; writers nesting
 * in here (NMI) see it and touch nothing.
 */
void relayfs_buf_init_state(struct relayfs_buf *buf)
{
	unsigned long tail = local_read(&buf->tail);
	unsigned int i;

	/*
	 * The sub-buffer left open keeps its bytes in its slot, never
	 * closed: its next lap must zero them where it pads (meta->dirty,
	 * rfs_zero_padding()).  The closed ones say so already.
	 */
	if (rfs_tail_off(tail) <= buf->subbuf_size) {
		struct relayfs_meta *m = &buf->meta[rfs_tail_idx(tail)];

		m->dirty = max_t(u32, m->dirty, rfs_tail_off(tail));
	}
	for (i = 0; i < buf->n_subbufs; i++) {
		struct relayfs_meta *m = &buf->meta[i];

		local_set(&buf->commit[i], 0);
		m->commit_base = -(unsigned long)(buf->subbuf_size + 1);
		buf->done_at[i] = 0;	/* complete: commit 0 == base + size + 1 */
		local_set(&m->void_bytes, 0);
		m->void_base = 0;
		m->seq = U64_MAX;	/* the first sub-buffer gets seq 0 */
		m->padding = 0;
		m->t_open = m->t_close = m->drops = 0;
	}
	/* "Last sub-buffer closed": the first write opens sub-buffer 0. */
	local_set(&buf->tail, ((unsigned long)(buf->n_subbufs - 1)
			       << RFS_OFF_BITS) | RFS_OFF_CLOSED);
	local_set(&buf->accepted_records, 0);
	local_set(&buf->accepted_bytes, 0);
	local_set(&buf->dropped_records, 0);
	local_set(&buf->dropped_bytes, 0);
	local_set(&buf->nested_records, 0);
	local_set(&buf->full_records, 0);
	local_set(&buf->refused_records, 0);
	local_set(&buf->refused_bytes, 0);
	local_set(&buf->overwritten_records, 0);
	local_set(&buf->overwritten_bytes, 0);
	local_set(&buf->discarded_records, 0);
	local_set(&buf->subbufs_produced, 0);
	local_set(&buf->subbufs_overwritten, 0);
	local_set(&buf->want_full_cb, 0);
	buf->full_reported = false;
	atomic64_set(&buf->consumed, 0);
	buf->reading = false;
	buf->read_sb_valid = false;
	buf->ack_pos = buf->ack_valid = 0;
	buf->consumed_records = buf->consumed_bytes = 0;
	buf->subbufs_consumed = 0;
	local_set(&buf->max_backlog, 0);
	buf->delivered_seq = 0;
	buf->timer_live = false;
}

/*
 * Deferred work of a buffer, run in hardirq context on the buffer's CPU
 * (irq_work): writers in any context, NMI included, can queue it.  It wakes
 * readers, hands completed sub-buffers to ->deliver in order, reports
 * ->buf_full and arms the flush timer.  Writers queue it only when one of
 * those is needed (write.c, rfs_subbuf_done()).
 */
void relayfs_work_fn(struct irq_work *work)
{
	struct relayfs_buf *buf = container_of(work, struct relayfs_buf, work);
	struct relayfs_chan *chan = READ_ONCE(buf->chan);
	struct relayfs_lap lap;
	unsigned int n;

	/*
	 * Cleared before the wakeup, whose lock orders it before any new
	 * "I wait" of a reader it does not wake: that reader's store wins.
	 */
	WRITE_ONCE(buf->waiting, 0);
	wake_up_interruptible_poll(&buf->read_wait, EPOLLIN | EPOLLRDNORM);
	if (!chan)
		return;

	for (n = 0; chan->cb.deliver && n < buf->n_subbufs; n++) {
		u64 seq = buf->delivered_seq;
		struct relayfs_meta *m = &buf->meta[rfs_seq_idx(buf, seq)];

		if (!relayfs_subbuf_ready(buf, seq, &lap)) {
			/* Overwritten before we saw it: skip ahead. */
			if (READ_ONCE(m->seq) != U64_MAX &&
			    READ_ONCE(m->seq) > seq) {
				buf->delivered_seq++;
				continue;
			}
			break;
		}
		chan->cb.deliver(buf, seq, chan->attr.private_data);
		buf->delivered_seq++;
	}

	if (local_xchg(&buf->want_full_cb, 0) && chan->cb.buf_full)
		chan->cb.buf_full(buf, chan->attr.private_data);

	/* A record waits in an open sub-buffer: bound its delay. */
	if (!buf->overwrite && !READ_ONCE(buf->dying)) {
		unsigned long off = rfs_tail_off(local_read(&buf->tail));

		if (off > buf->header_size && off <= buf->subbuf_size) {
			WRITE_ONCE(buf->timer_live, true);
			if (!timer_pending(&buf->timer))
				mod_timer(&buf->timer,
					  jiffies + buf->flush_jiffies);
		}
	}
}

/*
 * The flush timer, pinned to the buffer's CPU (softirq): close the
 * sub-buffer being filled if it holds a record.
 *
 * It is armed by the irq_work when a writer opened a sub-buffer while
 * buf->timer_live was false, and it clears that flag as it fires, before
 * it looks at the tail: every sub-buffer opened while the flag was true
 * is either closed here or was closed by then, and a writer that opens
 * one after the flag went false (an interrupt landing here included: all
 * of this runs on the one CPU) queues the work that arms the timer
 * again.  So a record waits at most one flush interval, and a busy
 * buffer costs one irq_work per interval instead of one per switch.
 */
void relayfs_timer_fn(struct timer_list *t)
{
	struct relayfs_buf *buf = from_timer(buf, t, timer);

	WRITE_ONCE(buf->timer_live, false);
	barrier();	/* the flag before the tail, against our own writers */
	relayfs_buf_close_subbuf(buf, true);
}

static void relayfs_buf_free_pages(struct relayfs_buf *buf)
{
	unsigned int i;

	if (buf->data)
		vunmap(buf->data);
	/* A failed allocation stops anywhere: no array, or a partial one. */
	for (i = 0; buf->pages && i < buf->n_pages && buf->pages[i]; i++)
		__free_page(buf->pages[i]);
	kvfree(buf->pages);
}

static void relayfs_buf_release(struct kref *kref)
{
	struct relayfs_buf *buf = container_of(kref, struct relayfs_buf, kref);

	relayfs_objlog_del(relayfs_log_objects, buf->data);
	relayfs_objlog_del(relayfs_log_objects, buf);
	relayfs_buf_free_pages(buf);
	kvfree(buf->commit);
	kvfree(buf->done_at);
	kvfree(buf->meta);
	kvfree(buf->bounce);
	relayfs_mem_uncharge((size_t)buf->n_pages << PAGE_SHIFT);
	if (buf->app)
		relayfs_app_buf_drop(buf->app);
	kfree(buf);
}

void relayfs_buf_put(struct relayfs_buf *buf)
{
	kref_put(&buf->kref, relayfs_buf_release);
}

static int relayfs_buf_alloc_pages(struct relayfs_buf *buf, int node)
{
	unsigned int i;

	buf->pages = kvzalloc_node(array_size(buf->n_pages,
					      sizeof(*buf->pages)),
				   GFP_KERNEL_ACCOUNT, node);
	if (!buf->pages)
		return -ENOMEM;
	for (i = 0; i < buf->n_pages; i++) {
		buf->pages[i] = alloc_pages_node(node, GFP_KERNEL_ACCOUNT |
						 __GFP_ZERO, 0);
		if (!buf->pages[i])
			return -ENOMEM;
	}
	buf->data = vmap(buf->pages, buf->n_pages, VM_MAP, PAGE_KERNEL);
	if (!buf->data)
		return -ENOMEM;
	relayfs_objlog_add(relayfs_log_objects, "buffer-data", buf->data,
			   (size_t)buf->n_pages << PAGE_SHIFT);
	return 0;
}

/**
 * relayfs_buf_alloc - allocate the buffer of @chan for @cpu
 * @chan: channel with its geometry in chan->attr
 * @cpu: the CPU
 *
 * Process context.  Returns the buffer (one reference) or an ERR_PTR.
 */
struct relayfs_buf *relayfs_buf_alloc(struct relayfs_chan *chan,
				      unsigned int cpu)
{
	int node = cpu_to_node(cpu);
	struct relayfs_buf *buf;
	size_t bytes = chan->attr.subbuf_size * chan->attr.n_subbufs;
	int err;

	err = relayfs_mem_charge(bytes);
	if (err)
		return ERR_PTR(err);
	buf = kzalloc_node(sizeof(*buf), GFP_KERNEL_ACCOUNT, node);
	if (!buf) {
		relayfs_mem_uncharge(bytes);
		return ERR_PTR(-ENOMEM);
	}
	relayfs_objlog_add(relayfs_log_objects, "buf", buf, sizeof(*buf));
	kref_init(&buf->kref);
	buf->chan = chan;
	buf->owner = chan->attr.owner;
	buf->app = chan->app;
	if (buf->app)
		relayfs_app_buf_hold(buf->app);
	buf->cpu = cpu;
	buf->subbuf_size = chan->attr.subbuf_size;
	buf->subbuf_order = ilog2(buf->subbuf_size);
	buf->n_subbufs = chan->attr.n_subbufs;
	buf->header_size = chan->attr.header_size;
	buf->max_len = buf->subbuf_size - buf->header_size;
	buf->overwrite = chan->attr.overwrite;
	buf->wake_always = chan->cb.deliver;
	buf->flush_jiffies = max(1UL,
			msecs_to_jiffies(chan->attr.flush_interval_ms));
	buf->n_pages = bytes >> PAGE_SHIFT;
	mutex_init(&buf->read_mutex);
	spin_lock_init(&buf->stats_lock);
	init_waitqueue_head(&buf->read_wait);
	init_irq_work(&buf->work, relayfs_work_fn);
	timer_setup(&buf->timer, relayfs_timer_fn, TIMER_PINNED);

	/* From here on, the release function undoes everything. */
	buf->commit = kvzalloc_node(array_size(buf->n_subbufs,
					       sizeof(*buf->commit)),
				    GFP_KERNEL_ACCOUNT, node);
	buf->done_at = kvzalloc_node(array_size(buf->n_subbufs,
						sizeof(*buf->done_at)),
				     GFP_KERNEL_ACCOUNT, node);
	buf->meta = kvzalloc_node(array_size(buf->n_subbufs,
					     sizeof(*buf->meta)),
				  GFP_KERNEL_ACCOUNT, node);
	if (!buf->commit || !buf->done_at || !buf->meta) {
		err = -ENOMEM;
		goto err_put;
	}
	err = relayfs_buf_alloc_pages(buf, node);
	if (err)
		goto err_put;
	relayfs_buf_init_state(buf);
	return buf;

err_put:
	relayfs_buf_put(buf);
	return ERR_PTR(err);
}

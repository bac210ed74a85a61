// SPDX-License-Identifier: GPL-2.0
/*
 * Channels: creation with checked and rounded geometry, the per-CPU files,
 * and the operations that act on every CPU's buffer (flush, reset, close).
 *
 * local_t operations are atomic only on their own CPU, so anything that
 * changes a buffer's write state runs on that buffer's CPU: through
 * smp_call_function_single() for an online CPU, directly for an offline one
 * (no writer can run there) with cpus_read_lock() held so it stays offline.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/cpu.h>
#include <linux/smp.h>
#include <linux/ctype.h>
#include <linux/overflow.h>
#include <linux/log2.h>
#include <linux/rcupdate.h>
#include <linux/poll.h>
#include <relayfs/relayfs_objlog.h>
#include "internal.h"

unsigned long relayfs_mem_limit = 512UL << 20;
module_param_named(mem_limit, relayfs_mem_limit, ulong, 0644);
MODULE_PARM_DESC(mem_limit, "bytes all channel buffers may use together");

/* Serialises file opens against channel close (inode->i_private). */
DEFINE_MUTEX(relayfs_files_lock);

/* Run @fn(@buf) on @buf's own CPU.  Process context, cpus_read_lock(). */
static void rfs_run_on_cpu(smp_call_func_t fn, struct relayfs_buf *buf)
{
	if (cpu_online(buf->cpu))
		smp_call_function_single(buf->cpu, fn, buf, 1);
	else
		fn(buf);
}

/* Run @fn(buf) on each buffer's own CPU.  Process context. */
static void rfs_run_on_cpus(smp_call_func_t fn, struct relayfs_chan *chan)
{
	unsigned int cpu;

	might_sleep();
	cpus_read_lock();
	for_each_possible_cpu(cpu)
		rfs_run_on_cpu(fn, relayfs_chan_buf(chan, cpu));
	cpus_read_unlock();
}

static void rfs_close_if_data(void *buf)
{
	relayfs_buf_close_subbuf(buf, true);
}

/*
 * RELAYFS_IOC_FLUSH: relayfs_flush() for one buffer.  Process context.
 * On an online CPU the close runs in the IPI, which nests on a writer of
 * that CPU exactly as an interrupt-context writer does (the same close the
 * flush timer and a full sub-buffer use); an offline CPU's buffer was
 * closed by the hotplug teardown and nothing writes there, so the close
 * finds nothing to do.  A buffer whose channel is closed is closed too.
 */
void relayfs_buf_flush(struct relayfs_buf *buf)
{
	might_sleep();
	cpus_read_lock();
	rfs_run_on_cpu(rfs_close_if_data, buf);
	cpus_read_unlock();
}

/**
 * relayfs_flush - make everything written so far readable
 * @chan: the channel
 *
 * Process context.  Closes every CPU's current sub-buffer that holds data.
 */
void relayfs_flush(struct relayfs_chan *chan)
{
	if (IS_ERR_OR_NULL(chan))
		return;
	rfs_run_on_cpus(rfs_close_if_data, chan);
}
EXPORT_SYMBOL_GPL(relayfs_flush);

/*
 * Writes off or on, on the buffer's own CPU: the nest count is a local_t
 * that its writers change without a lock prefix.  Off for a close
 * (RFS_NEST_OFF: drops counted) or a reset (RFS_NEST_RESET: nothing
 * touched).
 */
static void rfs_writes_off_one(void *buf)
{
	local_add(RFS_NEST_OFF, &((struct relayfs_buf *)buf)->nest);
}

static void rfs_resetting_one(void *buf)
{
	local_add(RFS_NEST_RESET, &((struct relayfs_buf *)buf)->nest);
}

static void rfs_reset_done_one(void *buf)
{
	local_sub(RFS_NEST_RESET, &((struct relayfs_buf *)buf)->nest);
}

/* Stop writers: after this no writer is inside the channel. */
static void rfs_writers_off(struct relayfs_chan *chan, smp_call_func_t off)
{
	rfs_run_on_cpus(off, chan);
	/*
	 * Writers run with preemption disabled (or in hardirq/NMI), which
	 * RCU treats as read-side critical sections: once this returns,
	 * every writer that did not see the bias has finished.
	 */
	synchronize_rcu();
}

/* Quiesce a buffer's deferred work.  Process context. */
static void rfs_buf_quiesce(struct relayfs_buf *buf)
{
	WRITE_ONCE(buf->dying, true);
	irq_work_sync(&buf->work);
	del_timer_sync(&buf->timer);
}

static void rfs_reset_one(void *buf)
{
	relayfs_buf_init_state(buf);
}

/* Give back the reader slots taken by rfs_hold_readers(), up to @end. */
static void rfs_release_readers(struct relayfs_chan *chan, unsigned int end)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (cpu == end)
			break;
		atomic_set(&relayfs_chan_buf(chan, cpu)->readers, 0);
	}
}

/* Take every buffer's reader slot, or none: -EBUSY if one is in use. */
static int rfs_hold_readers(struct relayfs_chan *chan)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (atomic_cmpxchg(&relayfs_chan_buf(chan, cpu)->readers, 0, 1)) {
			rfs_release_readers(chan, cpu);
			return -EBUSY;
		}
	}
	return 0;
}

/**
 * relayfs_reset - empty every buffer and zero its counters
 * @chan: the channel
 *
 * Process context.  Writers racing with the reset drop their records
 * and count nothing: they belong to the history that the reset erases
 * (RFS_NEST_RESET).  Both counter equations hold exactly afterwards.
 *
 * Return: 0, or -EBUSY while a reader has a buffer open.
 */
int relayfs_reset(struct relayfs_chan *chan)
{
	unsigned int cpu;
	int ret;

	if (IS_ERR_OR_NULL(chan))
		return -EINVAL;
	ret = rfs_hold_readers(chan);
	if (ret)
		return ret;
	rfs_writers_off(chan, rfs_resetting_one);
	for_each_possible_cpu(cpu)
		rfs_buf_quiesce(relayfs_chan_buf(chan, cpu));
	rfs_run_on_cpus(rfs_reset_one, chan);
	for_each_possible_cpu(cpu)
		WRITE_ONCE(relayfs_chan_buf(chan, cpu)->dying, false);
	rfs_run_on_cpus(rfs_reset_done_one, chan);
	rfs_release_readers(chan, nr_cpu_ids);
	return 0;
}
EXPORT_SYMBOL_GPL(relayfs_reset);

/**
 * relayfs_subbufs_consumed - a kernel consumer is done with @n sub-buffers
 * @chan: the channel
 * @cpu: whose buffer
 * @n: how many, in order, from the oldest unread
 *
 * Return: 0; -EBUSY while a reader owns the buffer; -EINVAL if @n is more
 * than are complete.
 */
int relayfs_subbufs_consumed(struct relayfs_chan *chan, unsigned int cpu,
			     size_t n)
{
	struct relayfs_buf *buf;
	struct relayfs_lap lap;
	size_t i;
	u64 seq;

	if (IS_ERR_OR_NULL(chan) || cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -EINVAL;
	buf = relayfs_chan_buf(chan, cpu);
	if (atomic_cmpxchg(&buf->readers, 0, 1))
		return -EBUSY;
	mutex_lock(&buf->read_mutex);
	/* All or nothing: a bad count changes nothing. */
	seq = atomic64_read(&buf->consumed);
	for (i = 0; i < n; i++)
		if (!relayfs_subbuf_ready(buf, seq + i, &lap))
			break;
	if (i == n) {
		for (i = 0; i < n; i++) {
			seq = atomic64_read(&buf->consumed);
			if (relayfs_subbuf_ready(buf, seq, &lap))
				relayfs_buf_consume(buf, seq, &lap);
		}
	}
	mutex_unlock(&buf->read_mutex);
	atomic_set(&buf->readers, 0);
	return i == n ? 0 : -EINVAL;
}
EXPORT_SYMBOL_GPL(relayfs_subbufs_consumed);

/**
 * relayfs_buf_full - would the next sub-buffer switch on @cpu drop?
 * @chan: the channel
 * @cpu: whose buffer
 *
 * Any context.  Always false in overwrite mode.
 */
bool relayfs_buf_full(struct relayfs_chan *chan, unsigned int cpu)
{
	struct relayfs_buf *buf;
	unsigned long tail;
	u64 next;

	if (IS_ERR_OR_NULL(chan) || cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return false;
	buf = relayfs_chan_buf(chan, cpu);
	if (buf->overwrite)
		return false;
	tail = local_read(&buf->tail);
	next = READ_ONCE(buf->meta[rfs_tail_idx(tail)].seq) + 1;
	return rfs_slot_unread(buf, next, atomic64_read(&buf->consumed));
}
EXPORT_SYMBOL_GPL(relayfs_buf_full);

void *relayfs_chan_private(struct relayfs_chan *chan)
{
	return chan->attr.private_data;
}
EXPORT_SYMBOL_GPL(relayfs_chan_private);

unsigned int relayfs_buf_cpu(struct relayfs_buf *buf)
{
	return buf->cpu;
}
EXPORT_SYMBOL_GPL(relayfs_buf_cpu);

/* Check and round the geometry; the caller's attr gets the result. */
static int rfs_check_attr(const char *base, struct relayfs_attr *attr)
{
	size_t len, total;

	if (!base || !attr)
		return -EINVAL;
	len = strlen(base);
	/*
	 * Kept whole in chan->base, never cut: a cut name could end in a
	 * digit or be another channel's.  Room is left for "<cpu>" and
	 * ".stats" within NAME_MAX.
	 */
	if (len >= sizeof_field(struct relayfs_chan, base))
		return -ENAMETOOLONG;
	/* "klog1" + "0" would clash with "klog" + "10". */
	if (!len || isdigit(base[len - 1]) || strchr(base, '/'))
		return -EINVAL;
	if (!attr->subbuf_size ||
	    attr->subbuf_size > (1UL << RFS_MAX_SUBBUF_ORDER) ||
	    attr->n_subbufs < 2 || attr->n_subbufs > RFS_MAX_SUBBUFS)
		return -EINVAL;
	attr->subbuf_size = max_t(size_t, PAGE_SIZE,
				  roundup_pow_of_two(attr->subbuf_size));
	if (attr->header_size >= attr->subbuf_size)
		return -EINVAL;
	if (check_mul_overflow(attr->subbuf_size, attr->n_subbufs, &total) ||
	    check_mul_overflow(total, (size_t)num_possible_cpus(), &total))
		return -EINVAL;
	if (total > READ_ONCE(relayfs_mem_limit))
		return -ENOMEM;
	if (!attr->mode)
		attr->mode = 0400;
	attr->mode &= 0444;	/* the per-CPU files are read-only */
	if (!attr->flush_interval_ms)
		attr->flush_interval_ms = 1000;
	return 0;
}

/*
 * Create a channel file.  The channel holds the dentry itself: the client
 * may remove the parent directory (and the file with it) before
 * relayfs_close(), which must still find the dentry and inode.
 */
static struct dentry *rfs_publish(struct relayfs_chan *chan, const char *name,
				  void *data, const struct file_operations *fops)
{
	struct dentry *d = relayfs_create_entry(name, S_IFREG | chan->attr.mode,
						chan->parent, data, fops);
	int err;

	if (IS_ERR(d))
		return d;
	err = relayfs_hold_entry(d);
	if (err) {
		relayfs_remove_file(d);
		return ERR_PTR(err);
	}
	return d;
}

/*
 * Remove a channel file; an open racing with us then finds no data behind
 * it (the open paths read i_private under relayfs_files_lock).  @buf, if
 * given, stops pointing at the channel at the same moment.  Removing a
 * file that went with its directory already does nothing more.
 */
static void rfs_unpublish(struct dentry **dp, struct relayfs_buf *buf)
{
	struct dentry *dentry = *dp;

	if (!dentry)
		return;
	*dp = NULL;
	mutex_lock(&relayfs_files_lock);
	d_inode(dentry)->i_private = NULL;
	if (buf)
		WRITE_ONCE(buf->chan, NULL);
	mutex_unlock(&relayfs_files_lock);
	relayfs_remove_file(dentry);
	relayfs_drop_entry(dentry);
}

/*
 * A relay-app's channel files to @uid and group @gid: each CPU's with
 * @mode, .stats with @stats_mode (app.c, collect_gid=).  Under the app's
 * lock, which keeps the channel and its files from going away.
 */
void relayfs_chan_set_owner(struct relayfs_chan *chan, kuid_t uid,
			    kgid_t gid, umode_t mode, umode_t stats_mode)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = relayfs_chan_buf(chan, cpu);

		if (buf && buf->dentry)
			relayfs_set_owner(buf->dentry, uid, gid, mode);
	}
	if (chan->stats_dentry)
		relayfs_set_owner(chan->stats_dentry, uid, gid, stats_mode);
}

/* Remove the files; the buffers stop pointing at the channel. */
static void rfs_chan_unpublish(struct relayfs_chan *chan)
{
	unsigned int cpu;

	rfs_unpublish(&chan->stats_dentry, NULL);
	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = relayfs_chan_buf(chan, cpu);

		if (buf)
			rfs_unpublish(&buf->dentry, buf);
	}
}

/*
 * The channel is gone: readers of its buffers get EOF once drained,
 * poll EPOLLHUP.  After rfs_chan_unpublish(): no callback runs any more.
 */
static void rfs_chan_closed(struct relayfs_chan *chan)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = relayfs_chan_buf(chan, cpu);

		if (!buf)
			continue;
		/* Release: the last sub-buffers before the flag (file.c). */
		smp_store_release(&buf->closed, true);
		wake_up_interruptible_poll(&buf->read_wait,
					   EPOLLIN | EPOLLHUP);
	}
}

/* Remove the files and drop the channel's references.  Process context. */
static void rfs_chan_free(struct relayfs_chan *chan)
{
	unsigned int cpu;

	rfs_chan_unpublish(chan);
	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = relayfs_chan_buf(chan, cpu);

		if (buf)
			relayfs_buf_put(buf);
	}
	free_percpu(chan->bufs);
	relayfs_objlog_del(relayfs_log_objects, chan);
	kfree(chan);
}

static int rfs_chan_create_files(struct relayfs_chan *chan)
{
	char name[NAME_MAX + 1];
	struct dentry *d;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = relayfs_buf_alloc(chan, cpu);

		if (IS_ERR(buf))
			return PTR_ERR(buf);
		*per_cpu_ptr(chan->bufs, cpu) = buf;
		snprintf(name, sizeof(name), "%s%u", chan->base, cpu);
		d = rfs_publish(chan, name, buf, &relayfs_buf_fops);
		if (IS_ERR(d))
			return PTR_ERR(d);
		buf->dentry = d;
	}
	snprintf(name, sizeof(name), "%s.stats", chan->base);
	d = rfs_publish(chan, name, chan, &relayfs_stats_fops);
	if (IS_ERR(d))
		return PTR_ERR(d);
	chan->stats_dentry = d;
	return 0;
}

/*
 * Create a channel; @app, if given, is told about each of its buffers'
 * allocation and release (app.c).
 */
struct relayfs_chan *relayfs_open_app(const char *base, struct dentry *parent,
				      struct relayfs_attr *attr,
				      struct relayfs_app_state *app)
{
	struct relayfs_chan *chan;
	int err;

	might_sleep();
	err = rfs_check_attr(base, attr);
	if (err)
		return ERR_PTR(err);
	chan = kzalloc(sizeof(*chan), GFP_KERNEL_ACCOUNT);
	if (!chan)
		return ERR_PTR(-ENOMEM);
	relayfs_objlog_add(relayfs_log_objects, "chan", chan, sizeof(*chan));
	strscpy(chan->base, base, sizeof(chan->base));	/* fits: checked */
	chan->parent = parent;
	chan->attr = *attr;
	chan->app = app;
	if (attr->cb)
		chan->cb = *attr->cb;
	chan->bufs = alloc_percpu(struct relayfs_buf *);
	if (!chan->bufs) {
		relayfs_objlog_del(relayfs_log_objects, chan);
		kfree(chan);
		return ERR_PTR(-ENOMEM);
	}
	err = rfs_chan_create_files(chan);
	if (err)
		goto err_files;
	err = relayfs_hotplug_add(chan);
	if (err)
		goto err_files;
	return chan;

err_files:
	/*
	 * A reader may have opened a file created before the failure: it
	 * keeps its buffer, empty, and must see the end of it, not wait for
	 * ever (holding a relay-app's buffer, which makes its next start
	 * -EBUSY).
	 */
	rfs_chan_unpublish(chan);
	rfs_chan_closed(chan);
	rfs_chan_free(chan);
	return ERR_PTR(err);
}

/**
 * relayfs_open_attr - create a channel
 * @base: file name prefix; the files are <base><cpu> and <base>.stats;
 *	must not end in a digit
 * @parent: relayfs directory, or NULL for the root
 * @attr: geometry and options; subbuf_size, mode and flush_interval_ms
 *	are written back as used
 *
 * Process context.  Buffers are zeroed, on each CPU's node, charged to the
 * caller's memcg.
 *
 * Return: the channel, or ERR_PTR(-EINVAL) for bad sizes or name,
 * -ENAMETOOLONG for a base of more than NAME_MAX - 17 bytes, -ENOMEM over
 * the mem_limit cap or out of memory, -EEXIST if a name is taken.
 */
struct relayfs_chan *relayfs_open_attr(const char *base,
				       struct dentry *parent,
				       struct relayfs_attr *attr)
{
	return relayfs_open_app(base, parent, attr, NULL);
}
EXPORT_SYMBOL_GPL(relayfs_open_attr);

/**
 * relayfs_open - create a channel, 2005 style
 * @base: file name prefix (see relayfs_open_attr())
 * @parent: relayfs directory, or NULL
 * @subbuf_size: sub-buffer size, rounded up
 * @n_subbufs: sub-buffers per CPU
 * @overwrite: flight-recorder mode
 * @cb: callbacks, or NULL
 *
 * Return: as relayfs_open_attr().
 */
struct relayfs_chan *relayfs_open(const char *base, struct dentry *parent,
				  size_t subbuf_size, size_t n_subbufs,
				  bool overwrite,
				  const struct relayfs_callbacks *cb)
{
	struct relayfs_attr attr = {
		.subbuf_size = subbuf_size,
		.n_subbufs = n_subbufs,
		.overwrite = overwrite,
		.cb = cb,
	};

	return relayfs_open_attr(base, parent, &attr);
}
EXPORT_SYMBOL_GPL(relayfs_open);

/**
 * relayfs_close - close a channel
 * @chan: the channel; NULL or an ERR_PTR is ignored
 *
 * Process context.  Returns once no writer, callback, timer or irq_work
 * can touch the channel or its private data.  The files disappear at once
 * (the names may be reused); files still open keep their buffer and read
 * it to EOF.
 */
void relayfs_close(struct relayfs_chan *chan)
{
	unsigned int cpu;

	if (IS_ERR_OR_NULL(chan))
		return;
	relayfs_hotplug_remove(chan);
	rfs_writers_off(chan, rfs_writes_off_one);
	for_each_possible_cpu(cpu)
		rfs_buf_quiesce(relayfs_chan_buf(chan, cpu));
	/* The last sub-buffers become readable. */
	rfs_run_on_cpus(rfs_close_if_data, chan);
	/* The final close may have queued work: let it finish. */
	for_each_possible_cpu(cpu)
		irq_work_sync(&relayfs_chan_buf(chan, cpu)->work);
	/*
	 * No callback from here on (buf->chan is NULL), before any reader
	 * can see its end and unmap.
	 */
	rfs_chan_unpublish(chan);
	rfs_chan_closed(chan);
	rfs_chan_free(chan);
}
EXPORT_SYMBOL_GPL(relayfs_close);

// SPDX-License-Identifier: GPL-2.0
/*
 * The per-CPU file: read, poll and ioctl for the one consumer of a buffer.
 *
 * read() hands out complete sub-buffers in order, padding removed, never
 * more than one sub-buffer per call, so a consumer reading subbuf_size
 * bytes at a time sees where each sub-buffer (and its header) starts.  In
 * no-overwrite mode the writer never reuses a sub-buffer before the reader
 * has advanced buf->consumed past it, so read() copies straight from the
 * buffer.  In overwrite mode a writer may take any unread sub-buffer at any
 * time, so read() uses copy-then-validate: it copies the sub-buffer to a
 * private bounce buffer, then claims it with a cmpxchg on buf->consumed;
 * a writer claims a sub-buffer the same way before overwriting it, so
 * exactly one of them wins, and a reader that loses drops its copy and
 * moves on to the oldest sub-buffer still there.  Data a writer is
 * overwriting is thus never returned, and the sub-buffers lost are
 * counted exactly (subbufs_overwritten).
 *
 * The same reader may instead map the buffer (mmap.c) and consume it with
 * RELAYFS_IOC_CONSUME (consume.c); both move the one reader position.
 * splice and sendfile copy through read_iter.
 *
 * "Closed and drained" is decided by loading buf->closed (acquire) before
 * looking for data: relayfs_close() completes the last sub-buffers before
 * it sets the flag (release), so a reader that sees the flag also sees
 * them, and never reports EOF with data left.
 */
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/uio.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/sched/clock.h>
#include <linux/timekeeping.h>
#include "internal.h"

/**
 * relayfs_buf_consume - account sub-buffer @seq as consumed
 * @buf: the buffer
 * @seq: the oldest unread sub-buffer
 * @lap: what it holds
 *
 * Return: false if a writer claimed it for overwriting first.
 */
bool relayfs_buf_consume(struct relayfs_buf *buf, u64 seq,
			 struct relayfs_lap *lap)
{
	bool won;

	lockdep_assert_held(&buf->read_mutex);
	/* With the counters: a stats snapshot sees both moves or neither. */
	spin_lock(&buf->stats_lock);
	/* Fully ordered: our reads of the sub-buffer are done before a
	 * writer can see it free (pairs with the acquire in rfs_open_next).
	 */
	won = atomic64_cmpxchg(&buf->consumed, seq, seq + 1) == seq;
	if (won) {
		buf->consumed_records += lap->records;
		buf->consumed_bytes += lap->bytes;
		buf->subbufs_consumed++;
	}
	spin_unlock(&buf->stats_lock);
	if (!won)
		return false;
	/* A slot is free: the next time it is full is news again. */
	if (READ_ONCE(buf->full_reported))
		WRITE_ONCE(buf->full_reported, false);
	return true;
}

/**
 * relayfs_read_lock - take a buffer's read_mutex, interruptibly
 * @buf: the buffer
 *
 * Its holder may wait in a user page fault: see the lock order in
 * internal.h.  No global lock may be held here.
 *
 * Return: 0, or -ERESTARTSYS for a signal.
 */
int relayfs_read_lock(struct relayfs_buf *buf)
{
	lockdep_assert_not_held(&relayfs_files_lock);
	if (mutex_lock_interruptible(&buf->read_mutex))
		return -ERESTARTSYS;
	return 0;
}

static void *rfs_subbuf(struct relayfs_buf *buf, u64 seq)
{
	return rfs_subbuf_addr(buf, rfs_seq_idx(buf, seq));
}

/*
 * Make the oldest complete sub-buffer the one being read.  Returns false
 * if there is none.
 */
static bool rfs_load_next(struct relayfs_buf *buf)
{
	struct relayfs_subbuf sb;
	struct relayfs_lap lap;
	u64 seq;

	lockdep_assert_held(&buf->read_mutex);
	for (;;) {
		seq = atomic64_read(&buf->consumed);
		if (!relayfs_subbuf_ready(buf, seq, &lap))
			return false;
		/*
		 * Into a local: one that loses its claim below was
		 * overwritten, and GET_SUBBUF must keep describing the last
		 * sub-buffer read() returned.
		 */
		relayfs_subbuf_describe(buf, seq, &lap, &sb);
		if (buf->overwrite) {
			memcpy(buf->bounce, rfs_subbuf(buf, seq), lap.used);
			/* Validates the metadata copy too. */
			if (!relayfs_buf_consume(buf, seq, &lap))
				continue;	/* overwritten under us */
		}
		buf->read_sb = sb;
		buf->read_sb_valid = true;
		WRITE_ONCE(buf->reading, true);
		buf->read_seq = seq;
		buf->read_lap = lap;
		buf->read_pos = 0;
		buf->read_end = lap.used;
		return true;
	}
}

/* Done with the loaded sub-buffer. */
static void rfs_read_done(struct relayfs_buf *buf)
{
	WRITE_ONCE(buf->reading, false);
	if (!buf->overwrite)
		relayfs_buf_consume(buf, buf->read_seq, &buf->read_lap);
	WRITE_ONCE(buf->ack_pos, buf->read_seq + 1);
	buf->ack_valid = buf->read_seq;
}

/*
 * The reader leaves (its file's last reference): nothing of its position
 * may outlive it, or the next reader (a new open, or the client's
 * relayfs_subbufs_consumed()) would go on in the middle of a sub-buffer
 * whose slot the writer may have reused.  A sub-buffer read() had started
 * counts as consumed by the reader that started it, in both modes (in
 * overwrite mode read() claimed it when it loaded it): the next reader
 * starts at a whole sub-buffer, with its ack starting at 0 again.
 */
static void rfs_reader_reset(struct relayfs_buf *buf)
{
	mutex_lock(&buf->read_mutex);
	if (buf->reading)
		rfs_read_done(buf);
	buf->read_sb_valid = false;
	WRITE_ONCE(buf->ack_pos, 0);
	buf->ack_valid = 0;
	mutex_unlock(&buf->read_mutex);
}

/* Would read() find data?  Any context. */
bool relayfs_buf_readable(struct relayfs_buf *buf)
{
	struct relayfs_lap lap;

	return READ_ONCE(buf->reading) ||
	       relayfs_subbuf_ready(buf, atomic64_read(&buf->consumed), &lap);
}

/**
 * relayfs_wait_arm - a reader is about to wait: ask for a wakeup
 * @buf: the buffer
 *
 * Writers queue the irq_work that wakes readers only when this flag is
 * set (write.c, rfs_subbuf_done()).  The store, then a full barrier, then
 * the caller looks for data: pairs with the writer's completion, full
 * barrier, then test of the flag.  The work clears the flag as it wakes,
 * so every wait condition arms again each time it is evaluated.
 */
void relayfs_wait_arm(struct relayfs_buf *buf)
{
	WRITE_ONCE(buf->waiting, 1);
	smp_mb();	/* "I wait" before looking: see above */
}

/*
 * read()'s wait condition, which also arms the wakeup; so is poll's and
 * RELAYFS_IOC_CONSUME's (consume.c).
 */
bool relayfs_wait_cond(struct relayfs_buf *buf)
{
	relayfs_wait_arm(buf);
	return relayfs_buf_readable(buf) || READ_ONCE(buf->closed);
}

static ssize_t relayfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct relayfs_buf *buf = iocb->ki_filp->private_data;
	ssize_t copied = 0;
	int ret;

	ret = relayfs_read_lock(buf);
	if (ret)
		return ret;
	while (iov_iter_count(to)) {
		/* Acquire: pairs with relayfs_close(); see the top. */
		bool closed = smp_load_acquire(&buf->closed);
		size_t n, done;
		void *src;

		if (!buf->reading && !rfs_load_next(buf)) {
			if (copied || closed)
				break;
			if (iocb->ki_filp->f_flags & O_NONBLOCK) {
				copied = -EAGAIN;
				break;
			}
			mutex_unlock(&buf->read_mutex);
			/* Interruptible: a slow producer is not a hang. */
			ret = wait_event_interruptible(buf->read_wait,
						       relayfs_wait_cond(buf));
			if (ret)
				return ret;
			ret = relayfs_read_lock(buf);
			if (ret)
				return ret;
			continue;
		}
		src = buf->overwrite ? buf->bounce :
				       rfs_subbuf(buf, buf->read_seq);
		n = min(iov_iter_count(to), buf->read_end - buf->read_pos);
		done = copy_to_iter(src + buf->read_pos, n, to);
		buf->read_pos += done;
		copied += done;
		if (buf->read_pos == buf->read_end) {
			rfs_read_done(buf);
			/* One sub-buffer per call: the caller can tell
			 * where each begins (and find its header).
			 */
			if (done == n && copied)
				break;
		}
		if (done < n) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
	}
	mutex_unlock(&buf->read_mutex);
	if (copied > 0)
		iocb->ki_pos += copied;	/* a tell(), nothing more */
	return copied;
}

static __poll_t relayfs_poll(struct file *file, poll_table *wait)
{
	struct relayfs_buf *buf = file->private_data;
	bool closed;

	poll_wait(file, &buf->read_wait, wait);
	relayfs_wait_arm(buf);
	/* Acquire: pairs with relayfs_close(); see the top. */
	closed = smp_load_acquire(&buf->closed);
	if (relayfs_buf_readable(buf))
		return EPOLLIN | EPOLLRDNORM;
	return closed ? EPOLLHUP : 0;
}

static int relayfs_buf_open(struct inode *inode, struct file *file)
{
	struct relayfs_buf *buf;
	int err = 0;

	if ((file->f_flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	mutex_lock(&relayfs_files_lock);
	buf = inode->i_private;
	if (!buf) {
		err = -ENODEV;		/* the channel is closing */
		goto unlock;
	}
	if (atomic_cmpxchg(&buf->readers, 0, 1)) {
		err = -EBUSY;		/* one consumer per buffer */
		goto unlock;
	}
	/* The client's callbacks may run for this file: pin its module. */
	if (!try_module_get(buf->owner)) {
		atomic_set(&buf->readers, 0);
		err = -ENODEV;
		goto unlock;
	}
	if (buf->overwrite && !buf->bounce) {
		buf->bounce = kvmalloc(buf->subbuf_size, GFP_KERNEL_ACCOUNT);
		if (!buf->bounce) {
			module_put(buf->owner);
			atomic_set(&buf->readers, 0);
			err = -ENOMEM;
			goto unlock;
		}
	}
	relayfs_buf_get(buf);
	file->private_data = buf;
unlock:
	mutex_unlock(&relayfs_files_lock);
	if (err)
		return err;
	/*
	 * A stream without positions: no pread.  FMODE_LSEEK stays (llseek
	 * is a no-op) because sendfile to a file requires it.
	 */
	file->f_mode &= ~(FMODE_PREAD | FMODE_PWRITE);
	return 0;
}

static int relayfs_buf_release(struct inode *inode, struct file *file)
{
	struct relayfs_buf *buf = file->private_data;

	rfs_reader_reset(buf);
	module_put(buf->owner);
	atomic_set(&buf->readers, 0);
	relayfs_buf_put(buf);
	return 0;
}

static void rfs_fill_info(struct relayfs_buf *buf, struct relayfs_buf_info *i)
{
	memset(i, 0, sizeof(*i));
	i->version = RELAYFS_ABI_VERSION;
	i->cpu = buf->cpu;
	i->subbuf_size = buf->subbuf_size;
	i->n_subbufs = buf->n_subbufs;
	i->header_size = buf->header_size;
	i->flags = (buf->overwrite ? RELAYFS_BUF_OVERWRITE : 0) |
		   (READ_ONCE(buf->closed) ? RELAYFS_BUF_CLOSED : 0);
	i->buf_size = (u64)buf->subbuf_size * buf->n_subbufs;
}

/* Metadata of the sub-buffer the last read() loaded. */
static long rfs_ioc_get_subbuf(struct relayfs_buf *buf,
			       struct relayfs_subbuf __user *usb)
{
	struct relayfs_subbuf sb;
	bool valid;
	int ret;

	ret = relayfs_read_lock(buf);
	if (ret)
		return ret;
	sb = buf->read_sb;
	valid = buf->read_sb_valid;
	mutex_unlock(&buf->read_mutex);
	if (!valid)
		return -ENODATA;
	return copy_to_user(usb, &sb, sizeof(sb)) ? -EFAULT : 0;
}

/*
 * One paired reading of local_clock(), the clock of t_open/t_close, and
 * of the POSIX clocks, on this CPU with interrupts off so that nothing
 * runs between the readings: local_ns is the midpoint of two
 * local_clock() readings taken around the three others, and each of those
 * was read within uncertainty_ns of it.  The three are read one after the
 * other (each under its own timekeeping seqcount), not atomically
 * together; the window covers that too.
 */
static void rfs_read_clocks(struct relayfs_clocks *c)
{
	unsigned long flags;
	u64 t0, t1;

	memset(c, 0, sizeof(*c));
	c->version = RELAYFS_ABI_VERSION;
	local_irq_save(flags);
	t0 = local_clock();
	c->realtime_ns = ktime_get_real_ns();
	c->monotonic_ns = ktime_get_ns();
	c->boottime_ns = ktime_get_boottime_ns();
	t1 = local_clock();
	c->cpu = smp_processor_id();
	local_irq_restore(flags);
	/* local_clock() is monotonic on one CPU: t1 >= t0. */
	c->local_ns = t0 + (t1 - t0) / 2;
	c->uncertainty_ns = (t1 - t0 + 1) / 2;
}

static long relayfs_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct relayfs_buf *buf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case RELAYFS_IOC_GET_INFO: {
		struct relayfs_buf_info info;

		rfs_fill_info(buf, &info);
		return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
	}
	case RELAYFS_IOC_GET_STATS: {
		struct relayfs_buf_stats st;

		/* No read_mutex: counters never wait for a reader. */
		relayfs_buf_stats(buf, &st);
		return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
	}
	case RELAYFS_IOC_CONSUME:
		return relayfs_ioc_consume(buf, uarg);
	case RELAYFS_IOC_GET_SUBBUF:
		return rfs_ioc_get_subbuf(buf, uarg);
	case RELAYFS_IOC_FLUSH:
		/* No read_mutex: a waiting reader is woken by the close. */
		relayfs_buf_flush(buf);
		return 0;
	case RELAYFS_IOC_GET_CLOCKS: {
		struct relayfs_clocks clk;

		/* No lock: the buffer plays no part. */
		rfs_read_clocks(&clk);
		return copy_to_user(uarg, &clk, sizeof(clk)) ? -EFAULT : 0;
	}
	}
	return -ENOTTY;
}

const struct file_operations relayfs_buf_fops = {
	.owner		= THIS_MODULE,
	.open		= relayfs_buf_open,
	.release	= relayfs_buf_release,
	.read_iter	= relayfs_read_iter,
	.splice_read	= relayfs_splice_read,
	.llseek		= noop_llseek,
	.mmap		= relayfs_buf_mmap,
	.poll		= relayfs_poll,
	.unlocked_ioctl	= relayfs_ioctl,
	/* Every struct has one layout for 32- and 64-bit callers. */
	.compat_ioctl	= compat_ptr_ioctl,
};

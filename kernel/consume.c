// SPDX-License-Identifier: GPL-2.0
/*
 * Sub-buffer metadata and RELAYFS_IOC_CONSUME, the mmap consumer's one
 * system call per batch: acknowledge what was consumed, then get a
 * snapshot of the complete sub-buffers that follow (optionally waiting for
 * one).  docs/abi.md describes the protocol from the consumer's side.
 *
 * No-overwrite mode: a writer reuses a sub-buffer only after the ack has
 * advanced buf->consumed past it (a fully ordered cmpxchg, so the
 * consumer's loads from the mapping are done before the slot is free), so
 * everything in a snapshot stays intact until acked.
 *
 * Overwrite mode: a writer may claim any unread sub-buffer at any time,
 * by moving buf->consumed past it with a cmpxchg *before* it stores into
 * the slot.  The consumer therefore copies first and validates at the
 * ack: after a full barrier, every acked sub-buffer at or above the value
 * of buf->consumed it then reads cannot have been touched while it was
 * copied; those below may have been.  The ack moves buf->consumed with one
 * cmpxchg from that value, so the kernel's accounting and the consumer
 * agree exactly: acked sub-buffers >= valid_from are consumed, the others
 * were overwritten (and counted so by the writer that claimed them).
 */
#include <linux/uaccess.h>
#include <linux/poll.h>
#include "internal.h"

/**
 * relayfs_subbuf_describe - metadata of a complete sub-buffer
 * @buf: the buffer
 * @seq: the sub-buffer, for which relayfs_subbuf_ready() returned @lap
 * @lap: what it holds
 * @sb: filled in, padding zeroed
 */
void relayfs_subbuf_describe(struct relayfs_buf *buf, u64 seq,
			     const struct relayfs_lap *lap,
			     struct relayfs_subbuf *sb)
{
	unsigned int idx = rfs_seq_idx(buf, seq);
	struct relayfs_meta *m = &buf->meta[idx];

	memset(sb, 0, sizeof(*sb));
	sb->seq = seq;
	sb->offset = (u64)idx << buf->subbuf_order;
	sb->t_open = READ_ONCE(m->t_open);
	sb->t_close = READ_ONCE(m->t_close);
	sb->drops = READ_ONCE(m->drops);
	sb->records = lap->records;
	sb->bytes = lap->bytes;
	sb->used = lap->used;
	sb->padding = buf->subbuf_size - lap->used;
}

/*
 * Describe sub-buffer @seq if it is complete.  In overwrite mode a writer
 * may reopen it while we read its metadata: check it is still the same
 * lap afterwards, so a snapshot never mixes two laps.
 */
static bool rfs_snap_one(struct relayfs_buf *buf, u64 seq,
			 struct relayfs_subbuf *sb)
{
	struct relayfs_lap lap;

	if (!relayfs_subbuf_ready(buf, seq, &lap))
		return false;
	relayfs_subbuf_describe(buf, seq, &lap, sb);
	smp_rmb();	/* metadata loads before the re-check */
	return READ_ONCE(buf->meta[rfs_seq_idx(buf, seq)].seq) == seq;
}

/* No-overwrite ack: all of [consumed, ack) complete, or nothing changes. */
static int rfs_ack_in_place(struct relayfs_buf *buf, u64 ack)
{
	struct relayfs_lap lap;
	u64 seq = atomic64_read(&buf->consumed);

	if (ack - seq > buf->n_subbufs)
		return -EINVAL;
	for (; seq < ack; seq++)
		if (!relayfs_subbuf_ready(buf, seq, &lap))
			return -EINVAL;
	for (seq = atomic64_read(&buf->consumed); seq < ack; seq++) {
		relayfs_subbuf_ready(buf, seq, &lap);
		relayfs_buf_consume(buf, seq, &lap);
	}
	return 0;
}

/*
 * Overwrite ack: validate and consume [max(ack_pos, consumed), ack) with
 * one cmpxchg on buf->consumed.  Returns the first valid seq in @valid.
 */
static int rfs_ack_validate(struct relayfs_buf *buf, u64 ack, u64 *valid)
{
	struct relayfs_lap lap;
	u64 cur, seq, records, bytes;

	/* The consumer's copies (before this call) before the check. */
	smp_mb();
	cur = atomic64_read(&buf->consumed);
	for (;;) {
		seq = max(cur, buf->ack_pos);
		if (seq >= ack) {
			*valid = ack;	/* all overwritten while copied */
			return 0;
		}
		if (ack - seq > buf->n_subbufs)
			return -EINVAL;
		records = bytes = 0;
		for (; seq < ack; seq++) {
			if (!relayfs_subbuf_ready(buf, seq, &lap))
				break;
			records += lap.records;
			bytes += lap.bytes;
		}
		if (seq == ack) {
			u64 from = max(cur, buf->ack_pos);
			bool won;

			/* Unclaimed until here: the laps read are theirs.
			 * With the counters, for a stats snapshot.
			 */
			spin_lock(&buf->stats_lock);
			won = atomic64_try_cmpxchg(&buf->consumed, &cur, ack);
			if (won) {
				buf->consumed_records += records;
				buf->consumed_bytes += bytes;
				buf->subbufs_consumed += ack - from;
			}
			spin_unlock(&buf->stats_lock);
			if (won) {
				*valid = from;
				return 0;
			}
			continue;	/* a writer claimed more: cur is fresh */
		}
		/* Not complete: overwritten meanwhile, or never produced. */
		if (atomic64_read(&buf->consumed) == cur)
			return -EINVAL;
		cur = atomic64_read(&buf->consumed);
	}
}

/* Acknowledge everything before @ack.  Caller holds read_mutex. */
static int rfs_ack(struct relayfs_buf *buf, u64 ack, u64 *valid)
{
	int ret;

	lockdep_assert_held(&buf->read_mutex);
	/*
	 * A read() in the middle of a sub-buffer owns the position, whatever
	 * the ack: first, or a repeated ack would go on to a snapshot that
	 * cannot see that sub-buffer.
	 */
	if (buf->reading)
		return -EBUSY;
	/* Repeated (e.g. a restarted call): the same answer. */
	*valid = buf->ack_valid;
	if (ack == buf->ack_pos)
		return 0;
	if (ack < buf->ack_pos)
		return -EINVAL;		/* backwards */
	if (buf->overwrite) {
		ret = rfs_ack_validate(buf, ack, valid);
	} else {
		*valid = buf->ack_pos;
		ret = rfs_ack_in_place(buf, ack);
	}
	if (!ret) {
		WRITE_ONCE(buf->ack_pos, ack);
		buf->ack_valid = *valid;
	}
	return ret;
}

/*
 * Where the snapshot starts.  Exact under read_mutex; a hint for the wait
 * condition, which re-checks under it.
 */
static u64 rfs_snap_pos(struct relayfs_buf *buf)
{
	return max_t(u64, READ_ONCE(buf->ack_pos),
		     atomic64_read(&buf->consumed));
}

#define RFS_SNAP_BATCH	4

/* Copy out up to @max complete sub-buffers from the reader's position. */
static int rfs_snapshot(struct relayfs_buf *buf, struct relayfs_consume *c,
			struct relayfs_subbuf __user *ue, u32 max)
{
	struct relayfs_subbuf sb[RFS_SNAP_BATCH];
	u64 seq;
	u32 n = 0, k;

	lockdep_assert_held(&buf->read_mutex);
	seq = rfs_snap_pos(buf);
	c->next = seq;
	max = min(max, buf->n_subbufs);
	while (n < max) {
		for (k = 0; k < RFS_SNAP_BATCH && n + k < max; k++)
			if (!rfs_snap_one(buf, seq + n + k, &sb[k]))
				break;
		if (k && copy_to_user(ue + n, sb, k * sizeof(sb[0])))
			return -EFAULT;
		n += k;
		if (k < RFS_SNAP_BATCH)
			break;
	}
	c->n_entries = n;
	return 0;
}

/*
 * The wait condition: exactly what the snapshot would find (a complete
 * sub-buffer at its position), the close, or a read() that took the
 * position meanwhile (-EBUSY then).  Anything looser (read()'s own
 * readable test, true while a read() owns a sub-buffer) lets the loop
 * below spin in the kernel without ever seeing a signal.
 */
static bool rfs_consume_wake(struct relayfs_buf *buf)
{
	struct relayfs_lap lap;

	relayfs_wait_arm(buf);
	return relayfs_subbuf_ready(buf, rfs_snap_pos(buf), &lap) ||
	       READ_ONCE(buf->reading) || READ_ONCE(buf->closed);
}

/* RELAYFS_IOC_CONSUME: ack, then snapshot (optionally waiting). */
long relayfs_ioc_consume(struct relayfs_buf *buf,
			 struct relayfs_consume __user *uc)
{
	struct relayfs_subbuf __user *ue;
	struct relayfs_consume c;
	bool closed = false;
	long ret;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (c.version != RELAYFS_ABI_VERSION || c.__reserved ||
	    (c.flags & ~RELAYFS_CONSUME_WAIT))
		return -EINVAL;
	ue = u64_to_user_ptr(c.entries);
	ret = relayfs_read_lock(buf);
	if (ret)
		return ret;
	ret = rfs_ack(buf, c.ack, &c.valid_from);
	while (!ret) {
		/* A read() took the position while we slept. */
		if (buf->reading) {
			ret = -EBUSY;
			break;
		}
		/* Closed first: data completed before the close is seen. */
		closed = smp_load_acquire(&buf->closed);
		ret = rfs_snapshot(buf, &c, ue, c.max_entries);
		if (ret || c.n_entries || closed || !c.max_entries ||
		    !(c.flags & RELAYFS_CONSUME_WAIT))
			break;
		mutex_unlock(&buf->read_mutex);
		/* Interruptible: a slow producer is not a hang. */
		ret = wait_event_interruptible(buf->read_wait,
					       rfs_consume_wake(buf));
		if (ret)
			return ret;
		ret = relayfs_read_lock(buf);
		if (ret)
			return ret;
	}
	mutex_unlock(&buf->read_mutex);
	if (ret)
		return ret;
	c.status = closed && !c.n_entries ? RELAYFS_CONSUME_EOF : 0;
	c.overwritten = local_read(&buf->subbufs_overwritten);
	return copy_to_user(uc, &c, sizeof(c)) ? -EFAULT : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The lock-free write path.
 *
 * Writers append to their own CPU's buffer with preemption disabled and
 * interrupts left enabled.  Any context may interrupt a writer and write
 * itself (softirq, hardirq, NMI), so every step is one local_t operation
 * that is atomic against such nesting on the same CPU: a reservation is a
 * local_cmpxchg on buf->tail, a commit a local_add_return on the
 * sub-buffer's commit count.  No CPU ever writes another CPU's buffer.
 *
 * Sub-buffer life cycle, all on the buffer's CPU:
 *
 *   open	 tail: CLOSED(idx) -> OPENING(idx+1), claim the slot, write
 *		 its metadata, tail -> (idx+1, header_size), fill the header.
 *		 A writer nested inside the OPENING window drops its record
 *		 (counted): it may not wait for the context it interrupted.
 *		 Interrupts are masked for that window, so only an NMI can
 *		 nest there; the record path itself leaves them enabled.
 *   write	 tail: off -> off + len (cmpxchg), copy, commit count += len.
 *   close	 tail: off -> CLOSED (cmpxchg); the closer writes padding,
 *		 close time and drop count, then adds padding + 1 (the close
 *		 token) to the commit count.
 *
 * A sub-buffer is complete when its commit count for the lap reaches
 * subbuf_size + 1: every byte reserved in it has been committed or voided
 * and it was closed.  Only then may a reader see it.
 *
 * Memory ordering: a writer stores the record, then smp_wmb(), then adds
 * to the commit count (release).  A reader loads the metadata's sequence
 * number with acquire, loads the commit count, then smp_rmb() before it
 * reads the metadata and data the count covers (relayfs_subbuf_ready()).
 * The metadata of a new lap is written before its sequence number is
 * published with smp_wmb() in between.
 */
#include <linux/kprobes.h>
#include <linux/sched/clock.h>
#include <linux/preempt.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include "internal.h"

#define RFS_OFF_OPENING		(RFS_OFF_CLOSED - 1)

/*
 * The kernel may be built to zero every automatic variable; a reservation
 * on the write path is always filled before use, so skip that.
 */
#if __has_attribute(__uninitialized__)
#define rfs_noinit	__attribute__((__uninitialized__))
#else
#define rfs_noinit
#endif

/*
 * Have the buffer's irq_work run (wake readers, deliver, report full, arm
 * the flush timer), queued on this CPU.
 *
 * Not on a CPU going offline: its last irq_works ran in
 * smpcfd_dying_cpu(), after cpu_online() was cleared (take_cpu_down());
 * one queued after that would never run, and irq_work_sync() on it in
 * relayfs_cpu_dead() or relayfs_close() would spin for ever.  A writer
 * there then (an NMI, or whatever runs once stop_machine turns
 * interrupts back on before the CPU parks) leaves the work to
 * relayfs_cpu_dead(), which runs it on the control CPU.  The test costs
 * a bit test once per sub-buffer, never per record.
 */
static notrace void rfs_queue_work(struct relayfs_buf *buf)
{
	if (likely(cpu_online(raw_smp_processor_id())))
		irq_work_queue(&buf->work);
}
NOKPROBE_SYMBOL(rfs_queue_work);

/*
 * The largest backlog, complete sub-buffers not consumed, at each
 * completion (@produced of them so far).  A cmpxchg loop: a writer
 * nesting in here may raise it meanwhile.
 */
static notrace void rfs_note_backlog(struct relayfs_buf *buf, long produced)
{
	long backlog = produced - (long)atomic64_read(&buf->consumed);
	long max = local_read(&buf->max_backlog);

	while (backlog > max) {
		long seen = local_cmpxchg(&buf->max_backlog, max, backlog);

		if (seen == max)
			break;
		max = seen;
	}
}
NOKPROBE_SYMBOL(rfs_note_backlog);

/*
 * A sub-buffer is complete.  The irq_work runs only if someone needs it:
 * a reader that said it waits (buf->waiting), or a ->deliver callback.
 * A switch nobody waits for costs no interrupt.
 *
 * The wakeup rule, as the ftrace ring buffer's: the reader publishes
 * "I wait" and then looks for data (relayfs_wait_cond()); the writer
 * publishes the completion (the commit count, just added) and then looks
 * for a waiter.  A full barrier on each side between its store and its
 * load (a store may pass a later load, even on x86) means at least one
 * of them sees the other's store: the reader finds the data, or the
 * writer finds the waiter and wakes it.
 */
static notrace void rfs_subbuf_done(struct relayfs_buf *buf)
{
	rfs_note_backlog(buf, local_inc_return(&buf->subbufs_produced));
	smp_mb();	/* the completion before the waiter test: see above */
	if (READ_ONCE(buf->wake_always) || READ_ONCE(buf->waiting))
		rfs_queue_work(buf);
}
NOKPROBE_SYMBOL(rfs_subbuf_done);

/*
 * Add @val (never 0) to sub-buffer @idx's commit count; deliver it when
 * complete.
 *
 * The lap's completion value is read before the add: until our share is
 * in, the lap cannot complete and its metadata stays.  Once it is in, a
 * writer nesting here may fill the other sub-buffers and reopen this slot
 * (overwrite mode, or a reader that was quick), setting done_at for the
 * next lap: compared with that, the completion would be missed, neither
 * counted nor delivered.
 */
static notrace void rfs_commit_add(struct relayfs_buf *buf, unsigned int idx,
				   unsigned long val)
{
	u32 done_at = READ_ONCE(buf->done_at[idx]);
	unsigned long v;

	/* The record (or metadata) before the count: pairs with smp_rmb()
	 * in relayfs_subbuf_ready().
	 */
	smp_wmb();
	v = local_add_return(val, &buf->commit[idx]);
	rfs_inject(buf, COUNTED);
	if ((u32)v == done_at)
		rfs_subbuf_done(buf);
}
NOKPROBE_SYMBOL(rfs_commit_add);

/*
 * A reader sees only what the client wrote in this lap, or zeros: zero
 * the padding [@off, subbuf_size) of the sub-buffer being closed where an
 * earlier lap may have left bytes.  meta->dirty bounds them (the pages
 * start zeroed), so the cost is paid only for bytes that were written,
 * once per lap: a sub-buffer closed full costs nothing, one closed early
 * by a flush at most the records of its previous lap, in the closer's
 * context (NMI included: a plain memset of memory that is ours until the
 * close token is committed, no lock).
 */
static notrace void rfs_zero_padding(struct relayfs_buf *buf,
				     unsigned int idx, unsigned long off)
{
	struct relayfs_meta *m = &buf->meta[idx];
	u32 dirty = min(m->dirty, buf->subbuf_size);

	if (dirty > off)
		memset(rfs_subbuf_addr(buf, idx) + off, 0, dirty - off);
	m->dirty = off;
}
NOKPROBE_SYMBOL(rfs_zero_padding);

/*
 * Close the sub-buffer @old points at.  Returns false if @old is stale (a
 * nested writer moved the tail first); the caller re-reads it.
 *
 * @now and the drop count are read before the cmpxchg that closes: a
 * writer nesting in after it may switch and stamp newer values, and ours
 * must not be newer than theirs.  One nesting in before it moves the tail
 * and makes us retry with fresh values.
 */
static notrace bool rfs_close(struct relayfs_buf *buf, unsigned long old,
			      u64 now)
{
	unsigned long off = rfs_tail_off(old);
	unsigned int idx = rfs_tail_idx(old);
	struct relayfs_meta *m = &buf->meta[idx];
	unsigned long closed = (old & ~RFS_OFF_MASK) | RFS_OFF_CLOSED;
	u64 drops = local_read(&buf->dropped_records);

	rfs_inject(buf, CLOSE);
	barrier();	/* the reads above before the cmpxchg, for nesting */
	if (local_cmpxchg(&buf->tail, old, closed) != old)
		return false;
	rfs_inject(buf, CLOSED);
	/* Nobody else writes this slot's metadata until it is complete. */
	rfs_zero_padding(buf, idx, off);
	m->padding = buf->subbuf_size - off;
	/*
	 * Not before its opening: a dead CPU's last sub-buffer is closed on
	 * another CPU, whose local_clock() may run behind the one that
	 * stamped t_open (seen under TCG: t_close < t_open by a few us).
	 */
	m->t_close = max(now, m->t_open);
	m->drops = drops;
	rfs_commit_add(buf, idx, m->padding + 1);
	return true;
}
NOKPROBE_SYMBOL(rfs_close);

/*
 * The clock for a switch step on @old, read after the tail was: a nested
 * writer that switches in between moves the tail, so the step's cmpxchg
 * fails and it is retried with a fresh reading; timestamps thus never go
 * backwards in a buffer.  A reading stays good while the tail is still
 * the value our own last step left (@mine), so a whole switch (close,
 * then open) normally reads the clock once.
 */
static notrace u64 rfs_switch_clock(unsigned long old, unsigned long *mine,
				    u64 now)
{
	if (old == *mine)
		return now;
	*mine = old;
	return local_clock();
}
NOKPROBE_SYMBOL(rfs_switch_clock);

/* Overwrite mode: take the unread lap of the next slot from the reader. */
static notrace void rfs_claim_unread(struct relayfs_buf *buf, u64 seq,
				     unsigned int idx, unsigned long commit)
{
	struct relayfs_lap lap;
	s64 c = atomic64_read(&buf->consumed);

	while (rfs_slot_unread(buf, seq, c)) {
		/* Full barrier on success: our later stores to the slot
		 * cannot pass it, and a reader's copy before its own claim
		 * is then known to be stale (file.c).
		 */
		if (atomic64_try_cmpxchg(&buf->consumed, &c,
					 seq - buf->n_subbufs + 1)) {
			relayfs_lap_of(buf, idx, commit, &lap);
			local_add(lap.records, &buf->overwritten_records);
			local_add(lap.bytes, &buf->overwritten_bytes);
			local_inc(&buf->subbufs_overwritten);
			return;
		}
	}
}
NOKPROBE_SYMBOL(rfs_claim_unread);

/*
 * @old may have gone stale since the caller read it: a writer nesting in
 * since then may have opened the next slot itself (so its commit count is
 * no longer complete) or filled the buffer.  A refusal based on @old only
 * stands if the tail still holds it; otherwise the caller re-reads.
 */
static notrace int rfs_refuse(struct relayfs_buf *buf, unsigned long old,
			      int err)
{
	return local_read(&buf->tail) == old ? err : 0;
}
NOKPROBE_SYMBOL(rfs_refuse);

/*
 * Open the sub-buffer after the closed one @old points at.  1: opened; 0:
 * @old was stale (re-read); -ENOSPC: no free sub-buffer (no-overwrite);
 * -EBUSY: the slot still has an uncommitted reservation of a writer we
 * interrupted.
 */
static notrace int rfs_open_next(struct relayfs_buf *buf, unsigned long old,
				 unsigned long *mine, u64 *now)
{
	unsigned int idx = rfs_tail_idx(old), nidx = idx + 1;
	unsigned long base = old & ~(RFS_OFF_MASK | (RFS_IDX_MASK << RFS_OFF_BITS));
	struct relayfs_meta *m;
	unsigned long commit, flags;
	u64 seq;

	if (nidx == buf->n_subbufs) {
		nidx = 0;
		base += RFS_LAP_ONE;
	}
	/*
	 * @old may be stale: a writer nesting in since it was read may have
	 * switched on, even round to these slots, writing their metadata.
	 * Whatever we read then is thrown away (our cmpxchg on the tail
	 * fails), but it is read once, marked (KCSAN found the plain read).
	 */
	seq = READ_ONCE(buf->meta[idx].seq) + 1;
	m = &buf->meta[nidx];
	commit = local_read(&buf->commit[nidx]);
	if ((u32)(commit - READ_ONCE(m->commit_base)) != buf->subbuf_size + 1)
		return rfs_refuse(buf, old, -EBUSY);
	/* Acquire: the reader's loads from the slot are done before we
	 * reuse it.
	 */
	if (!buf->overwrite &&
	    rfs_slot_unread(buf, seq, atomic64_read_acquire(&buf->consumed))) {
		if (!rfs_refuse(buf, old, -ENOSPC))
			return 0;
		/* Once until the reader frees a sub-buffer, not per drop. */
		if (!READ_ONCE(buf->full_reported)) {
			WRITE_ONCE(buf->full_reported, true);
			local_set(&buf->want_full_cb, 1);
			rfs_queue_work(buf);
		}
		return -ENOSPC;
	}
	/* The clock only for a switch that can happen (not per drop). */
	*now = rfs_switch_clock(old, mine, *now);
	base |= (unsigned long)nidx << RFS_OFF_BITS;
	/*
	 * A writer nesting into the OPENING window cannot wait for us and
	 * must drop: keep the window (a few stores, once per sub-buffer)
	 * closed to interrupts, so that only an NMI can land there.  Raw:
	 * this path must not call into tracing.
	 */
	rfs_inject(buf, OPEN);
	raw_local_irq_save(flags);
	if (local_cmpxchg(&buf->tail, old, base | RFS_OFF_OPENING) != old) {
		raw_local_irq_restore(flags);
		return 0;
	}

	/* The slot is ours: nested writers see OPENING and drop. */
	rfs_inject(buf, OPENING);
	if (buf->overwrite)
		rfs_claim_unread(buf, seq, nidx, commit);
	WRITE_ONCE(m->commit_base, commit);
	buf->done_at[nidx] = (u32)(commit + buf->subbuf_size + 1);
	m->void_base = local_read(&m->void_bytes);
	m->padding = 0;
	m->t_open = *now;
	m->t_close = 0;
	m->drops = 0;
	smp_wmb();	/* metadata before the sequence number readers test */
	WRITE_ONCE(m->seq, seq);
	barrier();	/* metadata before nested writers can use the slot */
	local_set(&buf->tail, base | buf->header_size);
	raw_local_irq_restore(flags);

	if (buf->header_size) {
		struct relayfs_chan *chan = buf->chan;
		void *hdr = rfs_subbuf_addr(buf, nidx);

		/* Not the last lap's bytes: what the callback leaves is 0. */
		memset(hdr, 0, buf->header_size);
		if (chan->cb.subbuf_start)
			chan->cb.subbuf_start(buf, hdr, seq,
					      chan->attr.private_data);
		rfs_commit_add(buf, nidx, buf->header_size);
	}
	return 1;
}
NOKPROBE_SYMBOL(rfs_open_next);


/*
 * Each pass of the slow path follows a step taken by a writer that nested
 * in (a failed cmpxchg, a stale tail).  A handful is normal; this many
 * means interrupts are landing in this writer's window every time, and
 * it drops (counted, as -EBUSY) rather than spin on: no context may be
 * held forever, NMI included.  The ftrace ring buffer bounds its retries
 * the same way.
 */
#define RFS_SLOW_PASSES		1000

/* What the slow path returns: in two registers, nothing on the stack. */
struct rfs_slow {
	unsigned long tail;	/* the reserved tail */
	long err;		/* or the errno of the drop */
};

/*
 * The sub-buffer has no room for @len: close it, open the next one and
 * reserve there.
 */
static notrace noinline struct rfs_slow rfs_reserve_slow(struct relayfs_buf *buf,
							 size_t len)
{
	unsigned long mine = RFS_OFF_OPENING;	/* never timed: returns first */
	unsigned int passes = 0;
	bool opened = false;
	u64 now = 0;
	int ret;

	for (;;) {
		unsigned long old = local_read(&buf->tail);
		unsigned long off = rfs_tail_off(old);

		rfs_inject(buf, SLOW);
		if (unlikely(++passes > RFS_SLOW_PASSES))
			return (struct rfs_slow){ .err = -EBUSY };
		if (off + len <= buf->subbuf_size) {
			if (local_cmpxchg(&buf->tail, old, old + len) != old)
				continue;
			/*
			 * A record now waits in the sub-buffer we opened:
			 * unless the flush timer will fire anyway, have the
			 * irq_work arm it (once per flush interval at most,
			 * not per switch: see relayfs_timer_fn()).  Queued
			 * after the reservation, which it checks: it may run
			 * at once.
			 */
			if (opened && !buf->overwrite &&
			    !READ_ONCE(buf->timer_live))
				rfs_queue_work(buf);
			return (struct rfs_slow){ .tail = old };
		}
		if (off == RFS_OFF_OPENING)
			return (struct rfs_slow){ .err = -EBUSY };
		if (off != RFS_OFF_CLOSED) {
			now = rfs_switch_clock(old, &mine, now);
			if (rfs_close(buf, old, now))
				mine = (old & ~RFS_OFF_MASK) | RFS_OFF_CLOSED;
			continue;
		}
		ret = rfs_open_next(buf, old, &mine, &now);
		if (ret < 0)
			return (struct rfs_slow){ .err = ret };
		opened |= ret;
	}
}
NOKPROBE_SYMBOL(rfs_reserve_slow);

static notrace void rfs_drop(struct relayfs_buf *buf, size_t len, int why)
{
	local_inc(&buf->dropped_records);
	local_add(len, &buf->dropped_bytes);
	if (why == -EDEADLK)
		local_inc(&buf->nested_records);
	else if (why == -ENOSPC)
		local_inc(&buf->full_records);
}
NOKPROBE_SYMBOL(rfs_drop);

/* @rsv is the space at tail @old of @buf. */
static __always_inline void rfs_rsv_at(struct relayfs_rsv *rsv,
				       struct relayfs_buf *buf,
				       unsigned long old, size_t len)
{
	rsv->buf = buf;
	rsv->tail = old;
	rsv->len = len;
	rsv->idx = rfs_tail_idx(old);
	rsv->data = rfs_subbuf_addr(buf, rsv->idx) + rfs_tail_off(old);
	rfs_inject(buf, RESERVED);
}

/*
 * The nesting check failed (@depth > RFS_MAX_NEST): too deep, or the
 * channel's writes are off.  Out of line: the fast path only tests.
 * Counted, except while a reset zeroes the counters (RFS_NEST_RESET):
 * then nothing at all is touched.  Counting after leaving is safe: a
 * reset that starts meanwhile waits for us (we run with preemption off)
 * before it zeroes anything.
 */
static __always_inline int rfs_nest_why(long depth)
{
	return depth > RFS_NEST_OFF ? -ESHUTDOWN : -EDEADLK;
}

static notrace noinline void rfs_nest_drop(struct relayfs_buf *buf,
					   size_t len, long depth)
{
	local_dec(&buf->nest);
	if (depth <= RFS_NEST_RESET)
		rfs_drop(buf, len, rfs_nest_why(depth));
}
NOKPROBE_SYMBOL(rfs_nest_drop);

/* A record too big for a sub-buffer, or empty: leave, count the refusal. */
static notrace noinline void rfs_refuse_len(struct relayfs_buf *buf, size_t len)
{
	local_inc(&buf->refused_records);
	local_add(len, &buf->refused_bytes);
	local_dec(&buf->nest);
}
NOKPROBE_SYMBOL(rfs_refuse_len);

/* A reservation that did not happen: leave, and count the drop. */
static __always_inline int rfs_leave_drop(struct relayfs_buf *buf,
					  size_t len, int why)
{
	local_dec(&buf->nest);
	rfs_drop(buf, len, why);
	return why;
}

/*
 * The reservation's fast path; preemption is already disabled.  0: @rsv
 * is reserved; RFS_SWITCH: the record does not fit in the current
 * sub-buffer, rfs_reserve_switch() goes on with @rsv->buf; or the errno
 * of a refusal or drop, counted.
 */
#define RFS_SWITCH	1
static __always_inline int rfs_reserve_fast(struct relayfs_chan *chan,
					    size_t len,
					    struct relayfs_rsv *rsv)
{
	struct relayfs_buf *buf = *this_cpu_ptr(chan->bufs);
	unsigned long old;
	long depth;

	/*
	 * Too deep, or the channel's writes are off: tested before any
	 * counter is touched, so that a writer racing with a reset adds
	 * nothing that the reset zeroes half of (RFS_NEST_RESET).
	 */
	depth = local_inc_return(&buf->nest);
	/*
	 * The errno is worked out here, not returned by the call: the
	 * compiler then knows the error paths never reach the copy, and
	 * keeps the copy's arguments out of saved registers.
	 */
	if (unlikely(depth > RFS_MAX_NEST)) {
		rfs_nest_drop(buf, len, depth);
		return rfs_nest_why(depth);
	}
	rfs_inject(buf, ENTRY);
	/*
	 * Empty, or so big that the offset sum below could wrap: refused
	 * out of line.  Any other record too big for a sub-buffer does not
	 * fit after the header either, and rfs_reserve_switch() refuses it
	 * before it switches anything.  A constant bound: no load.
	 */
	if (unlikely(len - 1 >= RFS_MAX_LEN)) {
		rfs_refuse_len(buf, len);
		return -E2BIG;
	}
	do {
		old = local_read(&buf->tail);
		if (unlikely(rfs_tail_off(old) + len > buf->subbuf_size)) {
			rsv->buf = buf;
			return RFS_SWITCH;
		}
	} while (unlikely(local_cmpxchg(&buf->tail, old, old + len) != old));
	rfs_rsv_at(rsv, buf, old, len);
	return 0;
}

/* After RFS_SWITCH: close, open and reserve there, or drop (counted). */
static __always_inline int rfs_reserve_switch(struct relayfs_buf *buf,
					      size_t len,
					      struct relayfs_rsv *rsv)
{
	struct rfs_slow slow;

	if (unlikely(len > buf->max_len)) {
		rfs_refuse_len(buf, len);
		return -E2BIG;
	}
	slow = rfs_reserve_slow(buf, len);

	if (unlikely(slow.err))
		return rfs_leave_drop(buf, len, slow.err);
	rfs_rsv_at(rsv, buf, slow.tail, len);
	return 0;
}

static __always_inline void rfs_commit(struct relayfs_rsv *rsv)
{
	struct relayfs_buf *buf = rsv->buf;

	rfs_inject(buf, COMMIT);
	local_inc(&buf->accepted_records);
	local_add(rsv->len, &buf->accepted_bytes);
	rfs_commit_add(buf, rsv->idx, RFS_REC_ONE + rsv->len);
	local_dec(&buf->nest);
}

/**
 * relayfs_reserve - reserve space for one record on this CPU
 * @chan: the channel
 * @len: record length, 1 to subbuf_size - header_size
 * @rsv: filled in; write the record to @rsv->data
 *
 * Any context.  On success preemption stays disabled until
 * relayfs_commit() or relayfs_discard(), which must be called exactly once,
 * on this CPU.  The record becomes visible at commit.
 *
 * Return: 0; -E2BIG (refused: too big or empty), -ENOSPC (no free
 * sub-buffer), -EBUSY (interrupted a sub-buffer switch), -EDEADLK (nested
 * too deep), -ESHUTDOWN (channel closing, counted; or resetting, not
 * counted: the reset erases that history): all counted but the last.
 */
notrace int relayfs_reserve(struct relayfs_chan *chan, size_t len,
			    struct relayfs_rsv *rsv)
{
	int ret;

	preempt_disable_notrace();
	ret = rfs_reserve_fast(chan, len, rsv);
	if (unlikely(ret == RFS_SWITCH))
		ret = rfs_reserve_switch(rsv->buf, len, rsv);
	if (ret)
		preempt_enable_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(relayfs_reserve);
NOKPROBE_SYMBOL(relayfs_reserve);

/**
 * relayfs_commit - make a reserved record visible
 * @rsv: from relayfs_reserve()
 */
notrace void relayfs_commit(struct relayfs_rsv *rsv)
{
	rfs_commit(rsv);
	preempt_enable_notrace();
}
EXPORT_SYMBOL_GPL(relayfs_commit);
NOKPROBE_SYMBOL(relayfs_commit);

/**
 * relayfs_discard - void a reservation instead of committing it
 * @rsv: from relayfs_reserve()
 *
 * The record counts as never attempted (and in discarded_records).  If no
 * record was reserved after it, and one was before it in its sub-buffer,
 * its space is given back (zero-filled: it may become padding); otherwise
 * the space is zero-filled, stays in the sub-buffer and is counted as
 * void, not as payload.
 *
 * The first record of a sub-buffer is never given back: the flush timer
 * is armed once, when a record waits in a freshly opened sub-buffer, and
 * finds nothing to flush in an emptied one; the records after it would
 * come on the fast path, which arms nothing, and wait until the
 * sub-buffer fills.  A void keeps the sub-buffer flushable.
 */
notrace void relayfs_discard(struct relayfs_rsv *rsv)
{
	struct relayfs_buf *buf = rsv->buf;
	unsigned long end = rsv->tail + rsv->len;

	/* Never attempted: nothing but the discard is counted. */
	local_inc(&buf->discarded_records);
	/*
	 * Zeros first, whatever becomes of the space: a void, or space given
	 * back that may end up as padding, which a reader sees (mmap) and
	 * which rfs_zero_padding() clears only as far as earlier laps wrote.
	 * Ours until given back: nothing else writes it before the cmpxchg.
	 */
	memset(rsv->data, 0, rsv->len);
	if (rfs_tail_off(rsv->tail) == buf->header_size ||
	    local_cmpxchg(&buf->tail, end, rsv->tail) != end) {
		local_add(rsv->len, &buf->meta[rsv->idx].void_bytes);
		rfs_commit_add(buf, rsv->idx, rsv->len);
	}
	local_dec(&buf->nest);
	preempt_enable_notrace();
}
EXPORT_SYMBOL_GPL(relayfs_discard);
NOKPROBE_SYMBOL(relayfs_discard);

/* relayfs_write() between its reservation and the caller's return. */
static __always_inline void rfs_copy_commit(struct relayfs_rsv *rsv,
					    const void *data)
{
	memcpy(rsv->data, data, rsv->len);
	rfs_commit(rsv);
}

/*
 * A write whose record needs a sub-buffer switch.  Out of line, so that
 * the fast path makes no call before its copy and keeps fewer registers.
 */
static notrace noinline int rfs_write_switch(struct relayfs_buf *buf,
					     const void *data, size_t len)
{
	struct relayfs_rsv rsv rfs_noinit;
	int ret;

	ret = rfs_reserve_switch(buf, len, &rsv);
	if (likely(!ret))
		rfs_copy_commit(&rsv, data);
	return ret;
}
NOKPROBE_SYMBOL(rfs_write_switch);

static __always_inline int rfs_write(struct relayfs_chan *chan,
				     const void *data, size_t len)
{
	struct relayfs_rsv rsv rfs_noinit;
	int ret;

	ret = rfs_reserve_fast(chan, len, &rsv);
	if (likely(!ret)) {
		rfs_copy_commit(&rsv, data);
		return 0;
	}
	if (ret == RFS_SWITCH)
		return rfs_write_switch(rsv.buf, data, len);
	return ret;
}

/**
 * __relayfs_write - write one record; the caller has preemption disabled
 * @chan: the channel
 * @data: the record
 * @len: its length
 *
 * Return: as relayfs_reserve().
 */
notrace int __relayfs_write(struct relayfs_chan *chan, const void *data,
			    size_t len)
{
	return rfs_write(chan, data, len);
}
EXPORT_SYMBOL_GPL(__relayfs_write);
NOKPROBE_SYMBOL(__relayfs_write);

/**
 * relayfs_write - write one record to this CPU's buffer
 * @chan: the channel
 * @data: the record
 * @len: its length
 *
 * Any context, NMI included; never sleeps, takes no lock, leaves
 * interrupts enabled.  The record is written whole or dropped and counted.
 *
 * Return: as relayfs_reserve().
 */
notrace int relayfs_write(struct relayfs_chan *chan, const void *data,
			  size_t len)
{
	int ret;

	preempt_disable_notrace();
	ret = rfs_write(chan, data, len);
	preempt_enable_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(relayfs_write);
NOKPROBE_SYMBOL(relayfs_write);

/**
 * relayfs_count_drops - count records the client lost before writing
 * @chan: the channel
 * @records: how many
 *
 * Any context.  For records that never reached relayfs_write() (a probe
 * that missed a hit, say): they count as attempted and dropped on this
 * CPU, with no bytes, so both counter equations still hold and the
 * sub-buffer metadata places them in time.
 */
notrace void relayfs_count_drops(struct relayfs_chan *chan,
				 unsigned long records)
{
	struct relayfs_buf *buf;

	preempt_disable_notrace();
	buf = *this_cpu_ptr(chan->bufs);
	/* Not while a reset zeroes the counters: see rfs_nest_drop(). */
	if (local_inc_return(&buf->nest) < RFS_NEST_RESET)
		local_add(records, &buf->dropped_records);
	local_dec(&buf->nest);
	preempt_enable_notrace();
}
EXPORT_SYMBOL_GPL(relayfs_count_drops);
NOKPROBE_SYMBOL(relayfs_count_drops);

/**
 * relayfs_buf_close_subbuf - close this CPU's current sub-buffer
 * @buf: a buffer of the current CPU (the caller guarantees it)
 * @only_if_data: leave a sub-buffer that holds no record open
 *
 * Used by flush, the flush timer, switch and close; never concurrent with
 * another CPU, only nested.
 */
notrace void relayfs_buf_close_subbuf(struct relayfs_buf *buf,
				      bool only_if_data)
{
	unsigned long old, off, mine = RFS_OFF_OPENING;
	u64 now = 0;

	do {
		old = local_read(&buf->tail);
		off = rfs_tail_off(old);
		if (off > buf->subbuf_size)	/* closed or opening */
			return;
		if (only_if_data && off <= buf->header_size)
			return;
		now = rfs_switch_clock(old, &mine, now);
	} while (!rfs_close(buf, old, now));
}
NOKPROBE_SYMBOL(relayfs_buf_close_subbuf);

/**
 * relayfs_switch_subbuf - close the current CPU's sub-buffer now
 * @chan: the channel
 *
 * Any context.  The next record opens a new sub-buffer.  Does nothing
 * while the channel's writes are off (close, reset).
 */
notrace void relayfs_switch_subbuf(struct relayfs_chan *chan)
{
	struct relayfs_buf *buf;

	preempt_disable_notrace();
	buf = *this_cpu_ptr(chan->bufs);
	/*
	 * A writer, for the nesting check: an NMI switch landing inside a
	 * reset's relayfs_buf_init_state() would close the old tail onto a
	 * commit count just zeroed, leaving that slot incomplete for good.
	 */
	if (local_inc_return(&buf->nest) < RFS_NEST_OFF)
		relayfs_buf_close_subbuf(buf, false);
	local_dec(&buf->nest);
	preempt_enable_notrace();
}
EXPORT_SYMBOL_GPL(relayfs_switch_subbuf);
NOKPROBE_SYMBOL(relayfs_switch_subbuf);

/*
 * What the current lap of sub-buffer @idx holds, from its commit count.
 *
 * In overwrite mode a writer may start the slot's next lap while a reader
 * is here: commit_base, padding and the void count can then belong to
 * another lap than @commit.  The reader finds out afterwards (its claim
 * fails) and throws the copy away, but what it copies must stay inside
 * the sub-buffer meanwhile: bound @used whatever was read.
 *
 * On the write path too (rfs_claim_unread(), interrupts masked): notrace
 * and not probed, as every function of this file (the notrace suite).
 */
notrace void relayfs_lap_of(struct relayfs_buf *buf, unsigned int idx,
			    unsigned long commit, struct relayfs_lap *lap)
{
	struct relayfs_meta *m = &buf->meta[idx];
	unsigned long delta = commit - READ_ONCE(m->commit_base);
	u32 used = (u32)delta;
	u32 voids = local_read(&m->void_bytes) - READ_ONCE(m->void_base);

	lap->records = delta >> 32;
	if (used == buf->subbuf_size + 1)	/* closed */
		used = buf->subbuf_size -
		       min(READ_ONCE(m->padding), buf->subbuf_size);
	lap->used = min(used, buf->subbuf_size);
	lap->bytes = used > buf->header_size + voids ?
		     used - buf->header_size - voids : 0;
}
NOKPROBE_SYMBOL(relayfs_lap_of);

/**
 * relayfs_subbuf_ready - is sub-buffer @seq complete and still there?
 * @buf: the buffer
 * @seq: sequence number
 * @lap: filled with what it holds when it is
 *
 * Any CPU.  Acquire ordering: data and metadata read after a true return
 * are at least as new as the completion.  The readers' side of the write
 * protocol, kept with it, and like all of this file notrace and not
 * probed.
 */
notrace bool relayfs_subbuf_ready(struct relayfs_buf *buf, u64 seq,
				  struct relayfs_lap *lap)
{
	unsigned int idx = rfs_seq_idx(buf, seq);
	struct relayfs_meta *m = &buf->meta[idx];
	unsigned long commit;

	/* Acquire: pairs with smp_wmb() before the seq store in
	 * rfs_open_next(), so commit_base below belongs to this lap.
	 */
	if (smp_load_acquire(&m->seq) != seq)
		return false;
	commit = local_read(&buf->commit[idx]);
	smp_rmb();	/* pairs with smp_wmb() in rfs_commit_add() */
	if ((u32)(commit - READ_ONCE(m->commit_base)) != buf->subbuf_size + 1)
		return false;
	relayfs_lap_of(buf, idx, commit, lap);
	return true;
}
NOKPROBE_SYMBOL(relayfs_subbuf_ready);

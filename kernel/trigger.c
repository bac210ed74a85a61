// SPDX-License-Identifier: GPL-2.0
/*
 * Triggers of a relay-app: the flight recorder's "now", fired from any
 * context (NMI included) and delivered to the collector through the
 * app's control file.
 *
 * A ring of RELAYFS_TRIGGER_RING slots.  A trigger takes the next
 * sequence number from head (1, 2, ...), which names its slot (seq %
 * RING).  In the slot:
 *
 *   claim	the highest seq that claimed it (atomic64, only grows): a
 *		writer raises it to its own seq with a cmpxchg loop, or finds
 *		a later trigger there and gives up (that trigger wins);
 *   busy	a writer copying into it: the one that takes busy (cmpxchg
 *		0 -> 1) fills the slot; one that finds it taken (an older
 *		writer still copying, on another CPU or the context it
 *		interrupted) writes failed = its seq and gives up;
 *   done	the seq whose copy is complete (release store).
 *
 * Nothing waits: a writer finishes in a bounded number of steps whatever
 * the others do, so an NMI on top of a writer of the same ring is safe.
 * Every trigger either lands in its slot or is superseded or failed, and
 * the reader (under the app's lock, process context) counts the ones it
 * could not take in the next record's missed: coalesced and counted,
 * never silent.  For seq want (tail + 1) the reader looks at its slot:
 *
 *   claim > want		superseded: missed, skip
 *   claim < want		its writer has not claimed yet: wait
 *   claim == want, done == want	copy, then check claim again (a later
 *				writer may have claimed it meanwhile)
 *   claim == want, failed == want	missed, skip
 *   otherwise			being written: wait
 *
 * "wait" is -EAGAIN: the writer is a few stores from done and its wakeup
 * follows.  More than RING triggers ahead of the reader: the oldest are
 * skipped as missed without looking.
 *
 * The wakeup of the control file's pollers is an irq_work: an NMI may
 * not take the wait queue's lock.  Not queued on a CPU going offline (its
 * last irq_work already ran, see rfs_queue_work() in write.c): the
 * trigger is in the ring, and the collector sees it at its next poll.
 */
#include <linux/hardirq.h>
#include <linux/kprobes.h>
#include <linux/poll.h>
#include <linux/sched/clock.h>
#include <linux/smp.h>
#include "internal.h"

static void rfs_trig_wake(struct irq_work *work)
{
	struct relayfs_trig_ring *r =
		container_of(work, struct relayfs_trig_ring, work);

	wake_up_interruptible_poll(&r->wait, EPOLLPRI);
}

void relayfs_trig_init(struct relayfs_trig_ring *r)
{
	memset(r, 0, sizeof(*r));
	init_irq_work(&r->work, rfs_trig_wake);
	init_waitqueue_head(&r->wait);
}

/* Where the caller runs, as struct relayfs_trigger.context says it. */
static notrace u32 rfs_trig_context(void)
{
	if (in_nmi())
		return RELAYFS_TRIGGER_NMI;
	if (in_hardirq())
		return RELAYFS_TRIGGER_HARDIRQ;
	if (in_serving_softirq())
		return RELAYFS_TRIGGER_SOFTIRQ;
	return RELAYFS_TRIGGER_TASK;
}
NOKPROBE_SYMBOL(rfs_trig_context);

/*
 * Fire one trigger.  Any context; preemption off (the caller's RCU rule:
 * the run cannot end under it).  @reason may be NULL; it is cut to
 * RELAYFS_TRIGGER_REASON_MAX - 1 bytes, control characters made '?'.
 */
notrace void relayfs_trig_fire(struct relayfs_trig_ring *r,
			       const char *reason, u32 flags)
{
	u64 now = local_clock();
	u64 seq = atomic64_inc_return(&r->head);
	struct relayfs_trig_slot *sl = &r->slot[seq % RELAYFS_TRIGGER_RING];
	s64 old = atomic64_read(&sl->claim);
	unsigned int i;

	do {
		if (old >= (s64)seq)
			goto wake;	/* a later trigger has the slot */
	} while (!atomic64_try_cmpxchg(&sl->claim, &old, seq));
	if (atomic_cmpxchg(&sl->busy, 0, 1)) {
		WRITE_ONCE(sl->failed, seq);
		goto wake;
	}
	/*
	 * Still ours?  A later trigger may have claimed the slot while this
	 * one was stopped between its claim and busy (an interrupt, a
	 * preempted vCPU), and filled it already: writing now would tear its
	 * record and leave done behind claim for good.  Both cmpxchgs are
	 * full barriers, so of two writers at least one sees the other's
	 * claim here or its busy above, and gives up (superseded: missed).
	 */
	if (atomic64_read(&sl->claim) != (s64)seq) {
		atomic_set_release(&sl->busy, 0);
		goto wake;
	}
	/* Raced by a reader's copy by design (it checks claim after). */
	WRITE_ONCE(sl->time_ns, now);
	WRITE_ONCE(sl->cpu, raw_smp_processor_id());
	WRITE_ONCE(sl->context, rfs_trig_context());
	WRITE_ONCE(sl->flags, flags);
	for (i = 0; reason && reason[i] &&
		    i < RELAYFS_TRIGGER_REASON_MAX - 1; i++) {
		unsigned char c = reason[i];

		WRITE_ONCE(sl->reason[i], c < 0x20 || c == 0x7f ? '?' : c);
	}
	/* Padded: the reader copies all of it, an older reason must not. */
	for (; i < RELAYFS_TRIGGER_REASON_MAX; i++)
		WRITE_ONCE(sl->reason[i], '\0');
	/* The copy before done: pairs with the reader's acquire of done. */
	smp_store_release(&sl->done, seq);
	atomic_set_release(&sl->busy, 0);
wake:
	if (likely(cpu_online(raw_smp_processor_id())))
		irq_work_queue(&r->work);
}
NOKPROBE_SYMBOL(relayfs_trig_fire);

/* A new run: what the last one left untaken is dropped.  Under the lock. */
void relayfs_trig_reset(struct relayfs_trig_ring *r)
{
	WRITE_ONCE(r->tail, atomic64_read(&r->head));
	r->missed = 0;
}

/* Fired and not taken (some may turn out missed).  Any context. */
bool relayfs_trig_pending(struct relayfs_trig_ring *r)
{
	return (u64)atomic64_read(&r->head) > READ_ONCE(r->tail);
}

/*
 * The next trigger into @t.  Under the app's lock.  0, or -EAGAIN when
 * none is ready (none fired, or the next is still being written).
 */
int relayfs_trig_next(struct relayfs_trig_ring *r, struct relayfs_trigger *t)
{
	u64 head = atomic64_read(&r->head);

	while (r->tail < head) {
		u64 want = r->tail + 1;
		struct relayfs_trig_slot *sl =
			&r->slot[want % RELAYFS_TRIGGER_RING];
		u64 claim;

		if (head - r->tail > RELAYFS_TRIGGER_RING) {
			/* Their slots belong to later triggers now. */
			r->missed += head - RELAYFS_TRIGGER_RING - r->tail;
			WRITE_ONCE(r->tail, head - RELAYFS_TRIGGER_RING);
			continue;
		}
		claim = atomic64_read_acquire(&sl->claim);
		if (claim < want)
			return -EAGAIN;
		/* Acquire: done == want means the copy is there to read. */
		if (claim == want && smp_load_acquire(&sl->done) != want) {
			if (READ_ONCE(sl->failed) != want)
				return -EAGAIN;
			claim = 0;	/* failed: missed */
		}
		if (claim == want) {
			memset(t, 0, sizeof(*t));
			t->time_ns = READ_ONCE(sl->time_ns);
			t->cpu = READ_ONCE(sl->cpu);
			t->context = READ_ONCE(sl->context);
			t->flags = READ_ONCE(sl->flags);
			/* Racing a later writer by design: checked below. */
			data_race(memcpy(t->reason, sl->reason,
					 sizeof(t->reason)));
			t->reason[sizeof(t->reason) - 1] = '\0';
			/*
			 * The copy before the second look at claim: a later
			 * writer raises claim (a full barrier) before it
			 * writes the slot, so an unchanged claim means an
			 * untouched copy.
			 */
			smp_rmb();
			if (atomic64_read(&sl->claim) == want) {
				t->version = RELAYFS_ABI_VERSION;
				t->seq = want;
				t->missed = r->missed;
				r->missed = 0;
				WRITE_ONCE(r->tail, want);
				return 0;
			}
		}
		r->missed++;
		WRITE_ONCE(r->tail, want);
	}
	return -EAGAIN;
}

/* No trigger fires any more (the app is gone): let the last wakeup run. */
void relayfs_trig_sync(struct relayfs_trig_ring *r)
{
	irq_work_sync(&r->work);
}

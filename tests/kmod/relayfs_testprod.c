// SPDX-License-Identifier: GPL-2.0
/*
 * Test producer: a relayfs channel driven from user space through
 * <relayfs>/rfstest/ctl, writing self-checking records (rfs_record.h) from
 * task, softirq (timer), hardirq (hrtimer) and NMI context on every online
 * CPU.  Commands, one per write:
 *
 *   open [subbuf=N] [n=M] [overwrite=0|1] [hdr=H] [hdr_cb=0|1] [flush_ms=F]
 *			hdr_cb=0: no subbuf_start callback (the header is
 *			whatever relayfs leaves there)
 *   write len=L count=C ctx=task|softirq|hardirq|nmi|all [cpu=N]
 *	   [mix=1] [resets=1]
 *			mix=1: around each record, now and then, one too
 *			big for a sub-buffer (refused), a relayfs_count_drops(),
 *			a relayfs_switch_subbuf(), a reserve + discard;
 *			resets=1: a thread calls relayfs_reset() in a loop
 *			until the last record is written ("resets" line)
 *   nest		reserve past the nesting limit on this CPU
 *   discard len=L	reserve and discard one record on this CPU
 *   clash cpu=N | clash off
 *			create (remove) a file named as CPU N's channel file
 *			would be, so that the next open fails there
 *   dying burst=B len=L | dying off
 *			test-only hotplug hook: a CPU going offline writes
 *			B records of L bytes (hardirq stream) after its last
 *			irq_work ran, interrupts off, as an NMI landing there
 *			would (the ARM64-only CPUHP_AP_ARM64_ISNDEP_STARTING
 *			slot, just below CPUHP_AP_SMPCFD_DYING, unused on
 *			x86); "dying" line: hooks run, records written
 *   inject every=N [point=P] [burst=B]
 *			with relayfs-inject.ko: every N-th pass of a writer
 *			through injection point P (any if not given) writes
 *			B records (1 if not given) of its own from there
 *			(context "inject"); every=0: off
 *   flush | reset | close
 *
 * Reading ctl gives, per possible CPU and context, the records written by
 * the last "write" and the errors by errno, so tests can check the
 * counters; then "window T0 T1", the local_clock() of that write's start
 * and end; then "maps M U", the buf_mapped/buf_unmapped calls so far;
 * then "inject" and the records injected at each point so far; then
 * "resets R E", the resets of the last write that succeeded and failed;
 * then "dying H W" (see the dying command).
 *
 * Records are accounted to the CPU they are written on (the stream of the
 * running CPU, chosen with preemption off), so a work item that CPU
 * hotplug moves to another CPU still writes consecutive streams there.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>
#include <linux/kthread.h>
#include <linux/irq_work.h>
#include <linux/delay.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/sched/clock.h>
#include <asm/nmi.h>
#include <asm/apic.h>
#include <relayfs/relayfs.h>
#include <relayfs/rfs_record.h>
#include <relayfs/relayfs_inject.h>

#define BATCH		16
/* A reset storm's writers give up after this many turned away in a row. */
#define RESET_TURNED_AWAY_MAX	100000
#define MAX_LEN		65536

struct stream {
	u32 seq;		/* next sequence number */
	u32 shut_run;		/* records a reset turned away in a row */
	unsigned long ok, nospc, busy, nested, big, other;
	unsigned long calls;	/* write_some() records, for mix */
};

struct cpu_state {
	struct stream st[RFS_NR_CTX];
	unsigned long todo[RFS_NR_CTX];	/* records still to write */
	struct work_struct work;
	struct timer_list timer;
	struct hrtimer hrt;
	u8 rec[RFS_NR_CTX][MAX_LEN];	/* one record buffer per context */
	atomic_t nmis_sent;		/* sent to this CPU, not yet seen */
	unsigned int cpu;
};

static DEFINE_MUTEX(ctl_lock);
static struct dentry *dir, *ctl;
static struct relayfs_chan *chan;
static struct cpu_state *cpus[NR_CPUS];
static unsigned int rec_len;
static atomic_t pending;
static DECLARE_WAIT_QUEUE_HEAD(done_wq);
static bool nmi_registered;
static u64 window[2];
static atomic_t mapped_calls, unmapped_calls;
static unsigned int chan_subbuf;	/* as rounded by relayfs */
static bool write_mix, write_resets;
static unsigned long resets_ok, resets_failed;
static int streams;		/* of the last write */
static DECLARE_COMPLETION(first_reset);
static struct dentry *clash_file;

/* The dying hook: what it writes, how often it ran, records written. */
static unsigned int dying_records, dying_len;
static bool dying_on;
static atomic_t dying_hits, dying_written;

/* The injection hook: how often, how deep, and what it did where. */
static void (*inject_set)(relayfs_inject_fn fn);
static unsigned int inject_every, inject_burst;
static int inject_only;		/* one point, or -1 for all */
static DEFINE_PER_CPU(unsigned int, inject_passes);
static DEFINE_PER_CPU(int, inject_depth);
static DEFINE_PER_CPU(int, inject_streak);	/* in a row at INJ_SLOW */
static atomic_t inject_hits[RELAYFS_INJ_NR];

static void hdr_fill(struct relayfs_buf *buf, void *subbuf, u64 seq,
		     void *priv)
{
	/* Header: the sub-buffer's sequence number as 8 bytes. */
	memcpy(subbuf, &seq, sizeof(seq));
}

static void mapped(struct relayfs_buf *buf, void *priv)
{
	atomic_inc(&mapped_calls);
}

static void unmapped(struct relayfs_buf *buf, void *priv)
{
	atomic_inc(&unmapped_calls);
}

/* subbuf_start runs only for channels with a header. */
static const struct relayfs_callbacks test_cb = {
	.subbuf_start = hdr_fill,
	.buf_mapped = mapped,
	.buf_unmapped = unmapped,
};

/* "hdr_cb=0": a header nobody fills. */
static const struct relayfs_callbacks test_cb_nohdr = {
	.buf_mapped = mapped,
	.buf_unmapped = unmapped,
};

static void count(struct stream *s, int ret)
{
	if (!ret) {
		s->ok++;
		s->seq++;
	} else if (ret == -ENOSPC) {
		s->nospc++;
	} else if (ret == -EBUSY) {
		s->busy++;
	} else if (ret == -EDEADLK) {
		s->nested++;
	} else if (ret == -E2BIG) {
		s->big++;
	} else {
		s->other++;
	}
}

static void done_wake(struct irq_work *w)
{
	wake_up(&done_wq);
}

static DEFINE_IRQ_WORK(done_iw, done_wake);

/*
 * One stream (or do_write() itself) is done; the last one wakes
 * do_write().  An NMI must not take the wait queue's lock (it may have
 * interrupted its holder on this CPU; lockdep on the debug kernel
 * reported it): it leaves the wakeup to an irq_work.
 */
static void one_done(void)
{
	if (!atomic_dec_and_test(&pending))
		return;
	if (in_nmi())
		irq_work_queue(&done_iw);
	else
		wake_up(&done_wq);
}

/*
 * mix=1: now and then, before a record, a call of another kind on the
 * same buffer.  Refusals are counted in the stream; the drops counted by
 * relayfs_count_drops() are not (the tests that mix check the counter
 * equations, not the producer's figures).
 */
static notrace void write_extra(struct cpu_state *c, struct stream *s,
				int ctx)
{
	struct relayfs_rsv rsv;
	unsigned long i = s->calls++;

	if (i % 7 == 3 && chan_subbuf < MAX_LEN)
		count(s, relayfs_write(chan, c->rec[ctx], chan_subbuf + 1));
	if (i % 11 == 5)
		relayfs_count_drops(chan, 1);
	if (i % 13 == 7)
		relayfs_switch_subbuf(chan);
	if (i % 17 == 9 && !relayfs_reserve(chan, rec_len, &rsv))
		relayfs_discard(&rsv);
}

/* Write up to @n of @owner's records of context @ctx, on this CPU. */
static notrace void write_some(struct cpu_state *owner, int ctx,
			       unsigned long n)
{
	struct cpu_state *c;
	struct stream *s;
	bool turned_away;
	int ret;

	while (n-- && owner->todo[ctx]) {
		preempt_disable();
		c = cpus[smp_processor_id()];
		s = &c->st[ctx];
		if (write_mix)
			write_extra(c, s, ctx);
		rfs_rec_fill(c->rec[ctx], rec_len, c->cpu, ctx, s->seq);
		ret = relayfs_write(chan, c->rec[ctx], rec_len);
		count(s, ret);
		/*
		 * Records a reset turned away do not count: the writers
		 * would race through their share while writes are off and
		 * end the storm after a reset or two.  Unless writes stay
		 * off (a reset that never turns them back on): then the
		 * storm ends, and its checks fail, instead of running on.
		 */
		turned_away = ret == -ESHUTDOWN && READ_ONCE(write_resets) &&
			      ++s->shut_run < RESET_TURNED_AWAY_MAX;
		if (!turned_away)
			s->shut_run = 0;
		preempt_enable();
		if (turned_away)
			continue;
		if (--owner->todo[ctx] == 0)
			one_done();
	}
}

/*
 * Called by relayfs-inject.ko at each injection point of every writer,
 * on its CPU, preemption disabled, in its context.  Every inject_every-th
 * pass on a CPU writes one record of the "inject" stream from right
 * there, as an interrupt landing in that window would.  One at a time
 * per CPU (an interrupt nesting into the hook's own write passes), so
 * the stream stays in order.
 */
static notrace void inject_fn(struct relayfs_chan *c,
			      enum relayfs_inject_point point)
{
	struct cpu_state *cs;
	struct stream *s;
	unsigned int n;
	int ret;

	if (c != READ_ONCE(chan) || this_cpu_inc_return(inject_depth) > 1)
		goto out;
	if (READ_ONCE(inject_only) >= 0 && point != READ_ONCE(inject_only))
		goto out;
	/*
	 * The slow path re-reads the tail after every nested write: an
	 * interrupt there every single time would never let it finish (it
	 * gives up after RFS_SLOW_PASSES, counted).  Real interrupts do not
	 * recur that way: at most two in a row at this point.
	 */
	if (point != RELAYFS_INJ_SLOW)
		this_cpu_write(inject_streak, 0);
	else if (this_cpu_inc_return(inject_streak) > 2)
		goto out;
	if (this_cpu_inc_return(inject_passes) % READ_ONCE(inject_every))
		goto out;
	cs = cpus[smp_processor_id()];
	s = &cs->st[RFS_CTX_INJECT];
	/* A burst: enough to fill sub-buffers from inside the window. */
	for (n = READ_ONCE(inject_burst); n; n--) {
		rfs_rec_fill(cs->rec[RFS_CTX_INJECT], rec_len, cs->cpu,
			     RFS_CTX_INJECT, s->seq);
		ret = relayfs_write(c, cs->rec[RFS_CTX_INJECT], rec_len);
		count(s, ret);
	}
	atomic_inc(&inject_hits[point]);
out:
	this_cpu_dec(inject_depth);
}

/* Hook off, waiting for hooks still running. */
static void inject_off(void)
{
	if (!inject_set)
		return;
	inject_set(NULL);
	symbol_put(relayfs_inject_set);
	inject_set = NULL;
}

/* Hook on (every > 0) or off; -EOPNOTSUPP without relayfs-inject.ko. */
static int do_inject(unsigned int every, int point, unsigned int burst)
{
	if (point < -1 || point >= RELAYFS_INJ_NR || !burst)
		return -EINVAL;
	if (!every) {
		inject_off();
		return 0;
	}
	if (!inject_set)
		inject_set = symbol_get(relayfs_inject_set);
	if (!inject_set)
		return -EOPNOTSUPP;
	WRITE_ONCE(inject_every, every);
	WRITE_ONCE(inject_only, point);
	WRITE_ONCE(inject_burst, burst);
	inject_set(inject_fn);
	return 0;
}

static void task_fn(struct work_struct *w)
{
	struct cpu_state *c = container_of(w, struct cpu_state, work);

	while (c->todo[RFS_CTX_TASK]) {
		write_some(c, RFS_CTX_TASK, BATCH);
		cond_resched();
	}
}

static void softirq_fn(struct timer_list *t)
{
	struct cpu_state *c = from_timer(c, t, timer);

	write_some(c, RFS_CTX_SOFTIRQ, BATCH);
	if (c->todo[RFS_CTX_SOFTIRQ])
		mod_timer(&c->timer, jiffies + 1);
}

static enum hrtimer_restart hardirq_fn(struct hrtimer *t)
{
	struct cpu_state *c = container_of(t, struct cpu_state, hrt);

	write_some(c, RFS_CTX_HARDIRQ, BATCH);
	if (!c->todo[RFS_CTX_HARDIRQ])
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(200 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int nmi_fn(unsigned int type, struct pt_regs *regs)
{
	struct cpu_state *c = cpus[smp_processor_id()];
	bool ours;

	if (!c)
		return NMI_DONE;
	/* One we sent, even if it comes after the last record. */
	ours = atomic_dec_if_positive(&c->nmis_sent) >= 0;
	if (!READ_ONCE(c->todo[RFS_CTX_NMI]))
		return ours ? NMI_HANDLED : NMI_DONE;
	write_some(c, RFS_CTX_NMI, BATCH);
	return NMI_HANDLED;
}

/* Aim NMIs at every CPU that still has NMI records to write. */
static int nmi_sender(void *unused)
{
	unsigned int cpu;

	while (!kthread_should_stop()) {
		for_each_online_cpu(cpu) {
			struct cpu_state *c = cpus[cpu];

			if (!READ_ONCE(c->todo[RFS_CTX_NMI]))
				continue;
			atomic_inc(&c->nmis_sent);
			apic->send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
		}
		usleep_range(100, 200);
	}
	return 0;
}

/*
 * resets=1: reset the channel in a loop while the writers write, until
 * the first of them is done.  The last reset is the one a test can see
 * the effects of, and it must meet every kind of writer: at the end only
 * the slowest are left, hardirq and NMI ones, which no reset's IPI can
 * interrupt.
 */
static int reset_loop(void *unused)
{
	while (!kthread_should_stop()) {
		if (resets_ok + resets_failed &&
		    atomic_read(&pending) < READ_ONCE(streams))
			break;
		if (!relayfs_reset(chan))
			resets_ok++;
		else
			resets_failed++;
		/* do_write() starts the writers after the first. */
		complete(&first_reset);
		cond_resched();
	}
	/* Only kthread_stop() may end a kthread_run() thread we stop. */
	while (!kthread_should_stop())
		schedule_timeout_idle(1);
	return 0;
}

static void start_hrt(void *info)
{
	struct cpu_state *c = info;

	hrtimer_start(&c->hrt, ns_to_ktime(NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static int do_write(unsigned int len, unsigned long n, int only_ctx,
		    int only_cpu, bool resets)
{
	struct task_struct *sender = NULL, *resetter = NULL;
	unsigned int cpu;
	int ctx;

	if (!chan || len == 0 || len > MAX_LEN)
		return -EINVAL;
	rec_len = len;
	resets_ok = resets_failed = 0;
	WRITE_ONCE(write_resets, resets);
	streams = 0;
	atomic_set(&pending, 1);
	window[0] = local_clock();
	for_each_possible_cpu(cpu) {
		struct cpu_state *c = cpus[cpu];

		for (ctx = 0; ctx < RFS_NR_CTX; ctx++) {
			struct stream *s = &c->st[ctx];
			u32 seq = s->seq;

			memset(s, 0, sizeof(*s));
			s->seq = seq;
			/* The hook writes "inject" records, nobody's todo. */
			if (ctx == RFS_CTX_INJECT ||
			    (only_ctx >= 0 && ctx != only_ctx) ||
			    (only_cpu >= 0 && cpu != only_cpu) ||
			    !cpu_online(cpu))
				continue;
			c->todo[ctx] = n;
			atomic_inc(&pending);
			streams++;
		}
	}
	/*
	 * The resetter first, and the writers once it has reset once: a
	 * writer done before it even started would end it at once.  It
	 * stops when the first writer is done.
	 */
	if (resets) {
		reinit_completion(&first_reset);
		resetter = kthread_run(reset_loop, NULL, "rfstest-reset");
		if (!IS_ERR(resetter))
			wait_for_completion(&first_reset);
	}
	/* Start everything, then drop our own count. */
	for_each_online_cpu(cpu) {
		struct cpu_state *c = cpus[cpu];

		if (c->todo[RFS_CTX_TASK])
			schedule_work_on(cpu, &c->work);
		if (c->todo[RFS_CTX_SOFTIRQ]) {
			c->timer.expires = jiffies + 1;
			add_timer_on(&c->timer, cpu);
		}
		/* A pinned hrtimer runs where it is started: start it there. */
		if (c->todo[RFS_CTX_HARDIRQ])
			smp_call_function_single(cpu, start_hrt, c, 1);
	}
	if (only_ctx < 0 || only_ctx == RFS_CTX_NMI)
		sender = kthread_run(nmi_sender, NULL, "rfstest-nmi");
	one_done();
	/* Idle wait: a slow emulator is not a hung task. */
	wait_event_idle(done_wq, atomic_read(&pending) == 0);
	if (!IS_ERR_OR_NULL(sender))
		kthread_stop(sender);
	if (!IS_ERR_OR_NULL(resetter))
		kthread_stop(resetter);
	/*
	 * The last record woke us, but its writer may still be running: a
	 * timer callback that tests todo after the next write set it would
	 * re-arm a timer that write then adds again (add_timer_on() warns
	 * on a pending timer; the fuzzer found it).  Wait for all of them.
	 */
	for_each_possible_cpu(cpu) {
		del_timer_sync(&cpus[cpu]->timer);
		hrtimer_cancel(&cpus[cpu]->hrt);
		flush_work(&cpus[cpu]->work);
	}
	irq_work_sync(&done_iw);
	window[1] = local_clock();
	return 0;
}

/* Reserve one record more than the nesting limit allows, on this CPU. */
static int do_nest(void)
{
	struct relayfs_rsv rsv[8];
	struct cpu_state *c;
	int i, n, ret = 0;

	preempt_disable();
	c = cpus[smp_processor_id()];
	for (n = 0; n < ARRAY_SIZE(rsv); n++) {
		ret = relayfs_reserve(chan, rec_len ? rec_len : 64, &rsv[n]);
		if (ret) {
			count(&c->st[RFS_CTX_TASK], ret);
			break;
		}
	}
	/* Fill in reservation order, commit in reverse (as nesting does). */
	for (i = 0; i < n; i++) {
		rfs_rec_fill(rsv[i].data, rsv[i].len, c->cpu, RFS_CTX_TASK,
			     c->st[RFS_CTX_TASK].seq++);
		c->st[RFS_CTX_TASK].ok++;
	}
	while (n--)
		relayfs_commit(&rsv[n]);
	preempt_enable();
	return ret == -EDEADLK ? 0 : -EIO;
}

/* Reserve one record on this CPU and discard it. */
static int do_discard(char *args)
{
	struct relayfs_rsv rsv;
	unsigned int len;
	int ret;

	if (!args || sscanf(args, "len=%u", &len) != 1)
		return -EINVAL;
	preempt_disable();
	ret = relayfs_reserve(chan, len, &rsv);
	if (!ret) {
		memset(rsv.data, 0x5a, len);
		relayfs_discard(&rsv);
	}
	preempt_enable();
	return ret;
}

static const struct file_operations clash_fops = {
	.owner	= THIS_MODULE,
};

/* A file where CPU N's channel file would go, or none ("off"). */
static int do_clash(char *args)
{
	char name[16];
	unsigned int cpu;

	if (clash_file) {
		relayfs_remove_file(clash_file);
		clash_file = NULL;
	}
	if (args && !strcmp(args, "off"))
		return 0;
	if (!args || sscanf(args, "cpu=%u", &cpu) != 1)
		return -EINVAL;
	snprintf(name, sizeof(name), "rfs%u", cpu);
	clash_file = relayfs_create_file(name, 0400, dir, NULL, &clash_fops);
	if (IS_ERR(clash_file)) {
		int err = PTR_ERR(clash_file);

		clash_file = NULL;
		return err;
	}
	return 0;
}

/*
 * Teardown of a STARTING slot: on the dying CPU, interrupts off, after
 * CPUHP_AP_SMPCFD_DYING ran its last irq_work.  Only an NMI could write
 * here; qemu delivers none to a CPU whose local APIC take_cpu_down() has
 * soft-disabled (a self-NMI never came), so the hook writes itself, in
 * the hardirq stream (no hardirq writer can run here).  The write path
 * cannot tell the difference: what matters is the CPU's state.
 */
static int dying_cpu(unsigned int cpu)
{
	struct relayfs_chan *ch = READ_ONCE(chan);
	struct cpu_state *c = cpus[cpu];
	struct stream *s = &c->st[RFS_CTX_HARDIRQ];
	unsigned int n = READ_ONCE(dying_records);
	int ret;

	if (!ch)
		return 0;
	while (n--) {
		rfs_rec_fill(c->rec[RFS_CTX_HARDIRQ], dying_len, cpu,
			     RFS_CTX_HARDIRQ, s->seq);
		ret = relayfs_write(ch, c->rec[RFS_CTX_HARDIRQ], dying_len);
		count(s, ret);
		if (!ret)
			atomic_inc(&dying_written);
	}
	atomic_inc(&dying_hits);
	return 0;
}

static void dying_off(void)
{
	if (!dying_on)
		return;
	cpuhp_remove_state_nocalls(CPUHP_AP_ARM64_ISNDEP_STARTING);
	dying_on = false;
}

static int do_dying(char *args)
{
	unsigned int burst, len;
	int ret;

	if (args && !strcmp(args, "off")) {
		dying_off();
		return 0;
	}
	if (!args || sscanf(args, "burst=%u len=%u", &burst, &len) != 2 ||
	    !burst || !len || len > MAX_LEN)
		return -EINVAL;
	WRITE_ONCE(dying_len, len);
	WRITE_ONCE(dying_records, burst);
	if (dying_on)
		return 0;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ARM64_ISNDEP_STARTING,
					"rfstest:dying", NULL, dying_cpu);
	if (ret < 0)
		return ret;
	dying_on = true;
	return 0;
}

static int do_open(char *args)
{
	struct relayfs_attr attr = {
		.subbuf_size = 8192, .n_subbufs = 4, .owner = THIS_MODULE,
	};
	unsigned int ov = 0, hdr = 0, hdr_cb = 1, v;
	char *tok;

	while ((tok = strsep(&args, " ")) != NULL) {
		if (sscanf(tok, "subbuf=%u", &v) == 1)
			attr.subbuf_size = v;
		else if (sscanf(tok, "n=%u", &v) == 1)
			attr.n_subbufs = v;
		else if (sscanf(tok, "overwrite=%u", &v) == 1)
			ov = v;
		else if (sscanf(tok, "hdr=%u", &v) == 1)
			hdr = v;
		else if (sscanf(tok, "hdr_cb=%u", &v) == 1)
			hdr_cb = v;
		else if (sscanf(tok, "flush_ms=%u", &v) == 1)
			attr.flush_interval_ms = v;
		else if (*tok)
			return -EINVAL;
	}
	if (chan)
		return -EBUSY;
	/* Each channel's streams start at sequence number 0. */
	for_each_possible_cpu(v)
		memset(cpus[v]->st, 0, sizeof(cpus[v]->st));
	attr.overwrite = ov;
	attr.header_size = hdr;
	attr.cb = hdr_cb ? &test_cb : &test_cb_nohdr;
	attr.mode = 0400;
	chan = relayfs_open_attr("rfs", dir, &attr);
	if (IS_ERR(chan)) {
		int err = PTR_ERR(chan);

		chan = NULL;
		return err;
	}
	chan_subbuf = attr.subbuf_size;
	return 0;
}

/* "every=N [point=P] [burst=B]" */
static int parse_inject(char *args)
{
	unsigned int every = UINT_MAX, burst = 1;
	int point = -1;
	char *tok;

	while ((tok = strsep(&args, " ")) != NULL) {
		if (sscanf(tok, "every=%u", &every) == 1 ||
		    sscanf(tok, "point=%d", &point) == 1 ||
		    sscanf(tok, "burst=%u", &burst) == 1)
			continue;
		if (*tok)
			return -EINVAL;
	}
	if (every == UINT_MAX)
		return -EINVAL;
	return do_inject(every, point, burst);
}

/* What follows "ctx=..." in a write command. */
static int parse_write_opts(char *args, int *only_cpu, bool *resets)
{
	unsigned int v;
	char *tok;

	write_mix = false;
	while ((tok = strsep(&args, " ")) != NULL) {
		if (sscanf(tok, "cpu=%u", &v) == 1 && v < nr_cpu_ids)
			*only_cpu = v;
		else if (sscanf(tok, "mix=%u", &v) == 1)
			write_mix = v;
		else if (sscanf(tok, "resets=%u", &v) == 1)
			*resets = v;
		else if (*tok)
			return -EINVAL;
	}
	return 0;
}

static int do_cmd(char *line)
{
	char *cmd = strsep(&line, " ");
	unsigned int len = 0, n = 0;
	int only_cpu = -1, k = 0, err;
	char ctxname[16] = "task";
	bool resets = false;
	static const char * const names[] = {
		"task", "softirq", "hardirq", "nmi"
	};
	int ctx;

	BUILD_BUG_ON(ARRAY_SIZE(names) != RFS_CTX_INJECT);

	if (!strcmp(cmd, "open"))
		return do_open(line ? line : "");
	if (!strcmp(cmd, "clash"))
		return do_clash(line);
	if (!strcmp(cmd, "dying"))
		return do_dying(line);
	if (!chan)
		return -ENODEV;
	if (!strcmp(cmd, "close")) {
		struct relayfs_chan *c = chan;

		inject_off();
		/* The dying hook reads it without our lock: gone first. */
		WRITE_ONCE(chan, NULL);
		relayfs_close(c);
		return 0;
	}
	if (!strcmp(cmd, "inject"))
		return parse_inject(line ? line : "");
	if (!strcmp(cmd, "flush")) {
		relayfs_flush(chan);
		return 0;
	}
	if (!strcmp(cmd, "reset"))
		return relayfs_reset(chan);
	if (!strcmp(cmd, "nest"))
		return do_nest();
	if (!strcmp(cmd, "discard"))
		return do_discard(line);
	if (strcmp(cmd, "write") || !line ||
	    sscanf(line, "len=%u count=%u ctx=%15s%n", &len, &n, ctxname,
		   &k) != 3 || !n)
		return -EINVAL;
	err = parse_write_opts(line + k, &only_cpu, &resets);
	if (err)
		return err;
	if (!strcmp(ctxname, "all"))
		return do_write(len, n, -1, only_cpu, resets);
	for (ctx = 0; ctx < ARRAY_SIZE(names); ctx++)
		if (!strcmp(ctxname, names[ctx]))
			return do_write(len, n, ctx, only_cpu, resets);
	return -EINVAL;
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	char line[128];
	int ret;

	if (count >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, count))
		return -EFAULT;
	line[count] = 0;
	strim(line);
	mutex_lock(&ctl_lock);
	ret = do_cmd(line);
	mutex_unlock(&ctl_lock);
	return ret ? ret : count;
}

/* "cpu ctx ok nospc busy nested big other next_seq" per line. */
static ssize_t ctl_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	size_t size = 128 * RFS_NR_CTX * num_possible_cpus() + 512, len = 0;
	unsigned int cpu;
	ssize_t ret;
	char *text;
	int ctx;

	text = kmalloc(size, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	mutex_lock(&ctl_lock);
	for_each_possible_cpu(cpu) {
		for (ctx = 0; ctx < RFS_NR_CTX; ctx++) {
			struct stream *s = &cpus[cpu]->st[ctx];

			len += scnprintf(text + len, size - len,
					 "%u %d %lu %lu %lu %lu %lu %lu %u\n",
					 cpu, ctx, s->ok, s->nospc, s->busy,
					 s->nested, s->big, s->other, s->seq);
		}
	}
	len += scnprintf(text + len, size - len, "window %llu %llu\nmaps %d %d\n",
			 window[0], window[1], atomic_read(&mapped_calls),
			 atomic_read(&unmapped_calls));
	len += scnprintf(text + len, size - len, "inject");
	for (ctx = 0; ctx < RELAYFS_INJ_NR; ctx++)
		len += scnprintf(text + len, size - len, " %d",
				 atomic_read(&inject_hits[ctx]));
	len += scnprintf(text + len, size - len, "\nresets %lu %lu\n",
			 resets_ok, resets_failed);
	len += scnprintf(text + len, size - len, "dying %d %d\n",
			 atomic_read(&dying_hits), atomic_read(&dying_written));
	mutex_unlock(&ctl_lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, text, len);
	kfree(text);
	return ret;
}

static const struct file_operations ctl_fops = {
	.owner	= THIS_MODULE,
	.write	= ctl_write,
	.read	= ctl_read,
	.llseek	= default_llseek,
};

static int __init testprod_init(void)
{
	unsigned int cpu;
	int err = -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct cpu_state *c = vzalloc(sizeof(*c));

		if (!c)
			goto err_cpus;
		c->cpu = cpu;
		INIT_WORK(&c->work, task_fn);
		timer_setup(&c->timer, softirq_fn, TIMER_PINNED);
		hrtimer_init(&c->hrt, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		c->hrt.function = hardirq_fn;
		cpus[cpu] = c;
	}
	err = register_nmi_handler(NMI_LOCAL, nmi_fn, 0, "rfstest");
	if (err)
		goto err_cpus;
	nmi_registered = true;
	dir = relayfs_create_dir("rfstest", NULL);
	if (IS_ERR(dir)) {
		err = PTR_ERR(dir);
		goto err_nmi;
	}
	ctl = relayfs_create_file("ctl", 0600, dir, NULL, &ctl_fops);
	if (IS_ERR(ctl)) {
		err = PTR_ERR(ctl);
		goto err_dir;
	}
	return 0;

err_dir:
	relayfs_remove_dir(dir);
err_nmi:
	unregister_nmi_handler(NMI_LOCAL, "rfstest");
err_cpus:
	for_each_possible_cpu(cpu)
		vfree(cpus[cpu]);
	return err;
}

static void __exit testprod_exit(void)
{
	unsigned int cpu;

	dying_off();
	inject_off();
	relayfs_close(chan);
	relayfs_remove_dir(dir);
	unregister_nmi_handler(NMI_LOCAL, "rfstest");
	irq_work_sync(&done_iw);
	for_each_possible_cpu(cpu) {
		timer_shutdown_sync(&cpus[cpu]->timer);
		hrtimer_cancel(&cpus[cpu]->hrt);
		cancel_work_sync(&cpus[cpu]->work);
		vfree(cpus[cpu]);
	}
}

module_init(testprod_init);
module_exit(testprod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("relayfs test producer: self-checking records from every context");

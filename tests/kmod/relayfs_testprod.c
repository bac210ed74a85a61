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
 *   nest		reserve past the nesting limit on this CPU
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
 * then "inject" and the records injected at each point so far.
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
#include <linux/sched/clock.h>
#include <asm/nmi.h>
#include <asm/apic.h>
#include <relayfs/relayfs.h>
#include <relayfs/rfs_record.h>
#include <relayfs/relayfs_inject.h>

#define BATCH		16
#define MAX_LEN		65536

struct stream {
	u32 seq;		/* next sequence number */
	unsigned long ok, nospc, busy, nested, big, other;
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

/* Write up to @n of @owner's records of context @ctx, on this CPU. */
static notrace void write_some(struct cpu_state *owner, int ctx,
			       unsigned long n)
{
	struct cpu_state *c;
	struct stream *s;
	int ret;

	while (n-- && owner->todo[ctx]) {
		preempt_disable();
		c = cpus[smp_processor_id()];
		s = &c->st[ctx];
		rfs_rec_fill(c->rec[ctx], rec_len, c->cpu, ctx, s->seq);
		ret = relayfs_write(chan, c->rec[ctx], rec_len);
		count(s, ret);
		preempt_enable();
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

static void start_hrt(void *info)
{
	struct cpu_state *c = info;

	hrtimer_start(&c->hrt, ns_to_ktime(NSEC_PER_USEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static int do_write(unsigned int len, unsigned long n, int only_ctx,
		    int only_cpu)
{
	struct task_struct *sender = NULL;
	unsigned int cpu;
	int ctx;

	if (!chan || len == 0 || len > MAX_LEN)
		return -EINVAL;
	rec_len = len;
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
		}
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

static int do_cmd(char *line)
{
	char *cmd = strsep(&line, " ");
	unsigned int len = 0, n = 0;
	int only_cpu = -1, k = 0;
	char ctxname[16] = "task";
	static const char * const names[] = {
		"task", "softirq", "hardirq", "nmi"
	};
	int ctx;

	BUILD_BUG_ON(ARRAY_SIZE(names) != RFS_CTX_INJECT);

	if (!strcmp(cmd, "open"))
		return do_open(line ? line : "");
	if (!chan)
		return -ENODEV;
	if (!strcmp(cmd, "close")) {
		inject_off();
		relayfs_close(chan);
		chan = NULL;
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
	if (strcmp(cmd, "write") || !line ||
	    sscanf(line, "len=%u count=%u ctx=%15s%n", &len, &n, ctxname,
		   &k) != 3 || !n)
		return -EINVAL;
	if (line[k] && (sscanf(line + k, " cpu=%d", &only_cpu) != 1 ||
			only_cpu < 0 || only_cpu >= nr_cpu_ids))
		return -EINVAL;
	if (!strcmp(ctxname, "all"))
		return do_write(len, n, -1, only_cpu);
	for (ctx = 0; ctx < ARRAY_SIZE(names); ctx++)
		if (!strcmp(ctxname, names[ctx]))
			return do_write(len, n, ctx, only_cpu);
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
	size_t size = 128 * RFS_NR_CTX * num_possible_cpus() + 256, len = 0;
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
	len += scnprintf(text + len, size - len, "\n");
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

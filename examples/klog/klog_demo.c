// SPDX-License-Identifier: GPL-2.0
/*
 * klog_demo: log from every context on every online CPU, through klog()
 * or printk(), so that "relay-collect klog" and "relay-collect tprintk"
 * have something to show.
 *
 *   echo 1 > /sys/module/klog_demo/parameters/go
 *
 * writes, on each online CPU, "lines" messages from each context: task
 * (a work item), softirq (a timer), hardirq (an hrtimer) and NMI (NMI
 * IPIs aimed at the CPU).  Each message is
 *
 *   klog_demo: tag=TAG ctx=CTX cpu=N seq=S
 *
 * with S counting from 0 per CPU and context.  The write returns when
 * all are written.  sink=printk sends them to printk instead.
 *
 *   echo TEXT > /sys/module/klog_demo/parameters/say
 *
 * klog()s TEXT once from the writing task itself (its pid, comm, cgroup).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>
#include <linux/kthread.h>
#include <linux/irq_work.h>
#include <linux/delay.h>
#include <linux/cpu.h>
#include <asm/nmi.h>
#include <asm/apic.h>
#include "../include/relayfs_text.h"
#include "klog.h"

#define DEMO_FMT	"klog_demo: tag=%s ctx=%s cpu=%u seq=%u"

enum { CTX_TASK, CTX_SOFTIRQ, CTX_HARDIRQ, CTX_NMI, NR_CTX };
static const char *const ctx_name[NR_CTX] = {
	"task", "softirq", "hardirq", "nmi"
};

static unsigned int lines = 10;
module_param(lines, uint, 0644);
MODULE_PARM_DESC(lines, "messages per CPU and context for each go");
static char sink[16] = "klog";
rtext_param_string(sink, sink);
MODULE_PARM_DESC(sink, "klog or printk");
static char tag[32] = "demo";
rtext_param_string(tag, tag);
MODULE_PARM_DESC(tag, "marks this run's messages");

struct demo_cpu {
	unsigned int seq[NR_CTX];	/* written so far */
	struct work_struct work;
	struct timer_list timer;
	struct hrtimer hrt;
	unsigned int cpu;
};

static struct demo_cpu *cpus[NR_CPUS];
static unsigned int run_lines;
static atomic_t errors[NR_CTX], last_error;
static bool to_printk;
static atomic_t pending;
static DECLARE_WAIT_QUEUE_HEAD(done_wq);
static DEFINE_MUTEX(go_lock);

static void demo_wake(struct irq_work *w)
{
	wake_up(&done_wq);
}

static DEFINE_IRQ_WORK(done_iw, demo_wake);

/*
 * One context's messages are all out: the last one wakes demo_go().  An
 * NMI must not take the wait queue's lock (it may have interrupted its
 * holder on this CPU): it leaves the wakeup to an irq_work.
 */
static void demo_done(void)
{
	if (!atomic_dec_and_test(&pending))
		return;
	if (in_nmi())
		irq_work_queue(&done_iw);
	else
		wake_up(&done_wq);
}

/* klog() failures by context, and the last errno: see "errors". */
static void demo_count(int ctx, int ret)
{
	if (ret) {
		atomic_inc(&errors[ctx]);
		atomic_set(&last_error, ret);
	}
}

static int errors_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "task=%d softirq=%d hardirq=%d nmi=%d last=%d\n",
			  atomic_read(&errors[CTX_TASK]),
			  atomic_read(&errors[CTX_SOFTIRQ]),
			  atomic_read(&errors[CTX_HARDIRQ]),
			  atomic_read(&errors[CTX_NMI]),
			  atomic_read(&last_error));
}

static const struct kernel_param_ops errors_ops = {
	.get = errors_get,
};
module_param_cb(errors, &errors_ops, NULL, 0444);
MODULE_PARM_DESC(errors, "klog() failures by context, and the last errno");

/* Write up to @n more messages of @ctx for @c; true when all are out. */
static bool demo_emit(struct demo_cpu *c, int ctx, unsigned int n)
{
	while (n-- && c->seq[ctx] < run_lines) {
		if (to_printk)
			pr_info(DEMO_FMT "\n", tag, ctx_name[ctx], c->cpu,
				c->seq[ctx]);
		else
			demo_count(ctx, klog(DEMO_FMT, tag, ctx_name[ctx],
					     c->cpu, c->seq[ctx]));
		c->seq[ctx]++;
	}
	if (c->seq[ctx] < run_lines)
		return false;
	demo_done();
	return true;
}

static void demo_task(struct work_struct *w)
{
	struct demo_cpu *c = container_of(w, struct demo_cpu, work);

	while (!demo_emit(c, CTX_TASK, 8))
		cond_resched();
}

static void demo_softirq(struct timer_list *t)
{
	struct demo_cpu *c = from_timer(c, t, timer);

	if (!demo_emit(c, CTX_SOFTIRQ, 8))
		mod_timer(&c->timer, jiffies + 1);
}

static enum hrtimer_restart demo_hardirq(struct hrtimer *t)
{
	struct demo_cpu *c = container_of(t, struct demo_cpu, hrt);

	if (demo_emit(c, CTX_HARDIRQ, 8))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(500 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int demo_nmi(unsigned int type, struct pt_regs *regs)
{
	struct demo_cpu *c = cpus[smp_processor_id()];

	if (!c || READ_ONCE(c->seq[CTX_NMI]) >= READ_ONCE(run_lines))
		return NMI_DONE;
	demo_emit(c, CTX_NMI, 4);
	return NMI_HANDLED;
}

static void demo_start_hrtimer(void *info)
{
	struct demo_cpu *c = info;

	hrtimer_start(&c->hrt, ns_to_ktime(500 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
}

/* Aim NMIs at every CPU that still has NMI messages to write. */
static void demo_send_nmis(void)
{
	unsigned int cpu;
	bool more;

	do {
		more = false;
		for_each_online_cpu(cpu) {
			if (READ_ONCE(cpus[cpu]->seq[CTX_NMI]) >= run_lines)
				continue;
			more = true;
			apic->send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
		}
		usleep_range(200, 400);
	} while (more);
}

static int demo_go(void)
{
	unsigned int cpu;
	int ctx;

	run_lines = lines;
	if (!run_lines)
		return 0;
	to_printk = !strcmp(sink, "printk");
	cpus_read_lock();
	atomic_set(&pending, 1 + NR_CTX * num_online_cpus());
	for_each_online_cpu(cpu) {
		struct demo_cpu *c = cpus[cpu];

		for (ctx = 0; ctx < NR_CTX; ctx++)
			c->seq[ctx] = 0;
	}
	for_each_online_cpu(cpu) {
		struct demo_cpu *c = cpus[cpu];

		schedule_work_on(cpu, &c->work);
		c->timer.expires = jiffies + 1;
		add_timer_on(&c->timer, cpu);
		smp_call_function_single(cpu, demo_start_hrtimer, c, 1);
	}
	demo_send_nmis();
	cpus_read_unlock();
	demo_done();
	/* Idle wait: a slow emulator is not a hung task. */
	wait_event_idle(done_wq, !atomic_read(&pending));
	for_each_online_cpu(cpu)
		flush_work(&cpus[cpu]->work);
	irq_work_sync(&done_iw);
	return 0;
}

static int go_set(const char *val, const struct kernel_param *kp)
{
	int ret;

	mutex_lock(&go_lock);
	ret = demo_go();
	mutex_unlock(&go_lock);
	return ret;
}

static const struct kernel_param_ops go_ops = {
	.set = go_set,
};
module_param_cb(go, &go_ops, NULL, 0200);
MODULE_PARM_DESC(go, "write anything: log the messages now");

/* One message from the writer's own task, to test the record's context. */
static int say_set(const char *val, const struct kernel_param *kp)
{
	int ret = klog("%s", val);

	return ret < 0 ? ret : 0;
}

static const struct kernel_param_ops say_ops = {
	.set = say_set,
};
module_param_cb(say, &say_ops, NULL, 0200);
MODULE_PARM_DESC(say, "write TEXT: klog() it from the writing task");

static int __init demo_init(void)
{
	unsigned int cpu;
	int err = -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct demo_cpu *c = kzalloc(sizeof(*c), GFP_KERNEL);

		if (!c)
			goto err_cpus;
		c->cpu = cpu;
		INIT_WORK(&c->work, demo_task);
		timer_setup(&c->timer, demo_softirq, TIMER_PINNED);
		hrtimer_init(&c->hrt, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		c->hrt.function = demo_hardirq;
		cpus[cpu] = c;
	}
	err = register_nmi_handler(NMI_LOCAL, demo_nmi, 0, "klog_demo");
	if (err)
		goto err_cpus;
	return 0;

err_cpus:
	for_each_possible_cpu(cpu)
		kfree(cpus[cpu]);
	return err;
}

static void __exit demo_exit(void)
{
	unsigned int cpu;

	unregister_nmi_handler(NMI_LOCAL, "klog_demo");
	irq_work_sync(&done_iw);
	for_each_possible_cpu(cpu) {
		timer_shutdown_sync(&cpus[cpu]->timer);
		hrtimer_cancel(&cpus[cpu]->hrt);
		cancel_work_sync(&cpus[cpu]->work);
		kfree(cpus[cpu]);
	}
}

module_init(demo_init);
module_exit(demo_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klog demo: messages from every context on every CPU");

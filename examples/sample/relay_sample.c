// SPDX-License-Identifier: GPL-2.0
/*
 * relay_sample: a relay-app that writes self-checking records
 * (<relayfs/rfs_record.h>: CPU, context, per-stream sequence number,
 * length, checksum) at a chosen offered rate, from chosen contexts, on
 * every online CPU, while a collector runs:
 *
 *   insmod relay_sample.ko rate=2000 len=64 contexts=task,hardirq
 *   relay-collect -o out -t 5s sample
 *
 * rate is records per second per CPU and context.  Generators: task (a
 * kthread bound to the CPU), softirq (a pinned timer, every jiffy) and
 * hardirq (a pinned hrtimer, every millisecond); each writes what the
 * elapsed time owes at its rate, so the offered load holds however late
 * it runs.  The parameters are read at each start.
 *
 * <root>/sample/producer has, per CPU and context, the records written,
 * dropped (by errno class) and the next sequence number, for checking the
 * collector's output exactly.
 *
 * <root>/sample/trigger (root's, write-only) fires the flight recorder's
 * trigger, relayfs_app_trigger(), from a chosen context on a chosen CPU,
 * and writes records on demand, for tests and demos:
 *
 *   task|irq|nmi CPU [REASON]	from a work item bound to CPU, an irq_work
 *				that work item queues there (hardirq, a
 *				self-IPI) or an NMI (x86) aimed at it
 *   write CPU COUNT		COUNT (at most 10000) records of the hardirq
 *				stream, written on CPU from one function call
 *				IPI
 *
 * The write fails with the trigger's error (-ENOTCONN while no run).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>
#include <linux/delay.h>
#include <linux/cpu.h>
#include <linux/workqueue.h>
#include <linux/irq_work.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/nmi.h>
#include <asm/apic.h>
#endif
#include <relayfs/relay_app.h>
#include <relayfs/rfs_record.h>

#define SAMPLE_MAX_LEN	4096
#define SAMPLE_MAX_BURST 4096	/* records per generator wake-up */

static unsigned int rate = 1000;
module_param(rate, uint, 0644);
MODULE_PARM_DESC(rate, "records per second per CPU and context");
static unsigned int len = 64;
module_param(len, uint, 0644);
MODULE_PARM_DESC(len, "record length in bytes (1..4096)");
static char contexts[64] = "task";
module_param_string(contexts, contexts, sizeof(contexts), 0644);
MODULE_PARM_DESC(contexts, "comma-separated: task, softirq, hardirq");

struct sample_stream {
	u32 seq;
	unsigned long ok, dropped, other;
	u64 t0;			/* generator start, ns */
	u64 due_done;		/* records the schedule has paid for */
	u8 rec[SAMPLE_MAX_LEN];
};

struct sample_cpu {
	struct sample_stream st[RFS_NR_CTX];
	struct task_struct *task;
	struct timer_list timer;
	struct hrtimer hrt;
	unsigned int cpu;
};

static struct sample_cpu __percpu *cpus;
static struct relayfs_app sample_app;
static struct dentry *producer_file, *trigger_file;
/* "write": records in one IPI, interrupts off (no RCU stall under TCG). */
#define SAMPLE_WRITE_MAX	10000
static DEFINE_MUTEX(trigger_lock);	/* one trigger command at a time */
static char trig_reason[64];		/* the command's, under trigger_lock */
static int trig_ret;
static unsigned int run_len, run_rate, run_ctx;	/* this run's */
static bool running;

/* Write what the schedule owes @ctx on this CPU.  Preemption is off. */
static notrace void sample_pay(struct sample_cpu *c, int ctx)
{
	struct sample_stream *s = &c->st[ctx];
	u64 due = div_u64((ktime_get_ns() - s->t0) * run_rate, NSEC_PER_SEC);
	unsigned int n = min_t(u64, due - s->due_done, SAMPLE_MAX_BURST);
	int ret;

	s->due_done = due;
	while (n--) {
		rfs_rec_fill(s->rec, run_len, c->cpu, ctx, s->seq);
		ret = relayfs_app_write(&sample_app, s->rec, run_len);
		if (!ret) {
			s->ok++;
			s->seq++;
		} else if (ret == -ENOSPC || ret == -EBUSY ||
			   ret == -EDEADLK || ret == -ESHUTDOWN) {
			s->dropped++;
		} else if (ret != -ENOTCONN) {
			s->other++;
		}
	}
}

static int sample_task(void *arg)
{
	struct sample_cpu *c = arg;

	while (!kthread_should_stop()) {
		preempt_disable();
		sample_pay(c, RFS_CTX_TASK);
		preempt_enable();
		/* Idle sleep: a slow emulator is not a hung task. */
		schedule_timeout_idle(1);
	}
	return 0;
}

static void sample_timer(struct timer_list *t)
{
	struct sample_cpu *c = from_timer(c, t, timer);

	sample_pay(c, RFS_CTX_SOFTIRQ);
	if (READ_ONCE(running))
		mod_timer(&c->timer, jiffies + 1);
}

static enum hrtimer_restart sample_hrtimer(struct hrtimer *t)
{
	struct sample_cpu *c = container_of(t, struct sample_cpu, hrt);

	sample_pay(c, RFS_CTX_HARDIRQ);
	if (!READ_ONCE(running))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ms_to_ktime(1));
	return HRTIMER_RESTART;
}

/* "task,softirq,hardirq" -> bit mask of RFS_CTX_*; 0 if malformed. */
static unsigned int sample_parse_contexts(void)
{
	static const char * const names[] = { "task", "softirq", "hardirq" };
	char buf[sizeof(contexts)], *p = buf, *tok;
	unsigned int mask = 0, i;

	strscpy(buf, contexts, sizeof(buf));
	while ((tok = strsep(&p, ",")) != NULL) {
		tok = strim(tok);
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(tok, names[i]))
				break;
		if (i == ARRAY_SIZE(names))
			return 0;
		mask |= 1U << i;
	}
	return mask;
}

static void sample_start_hrtimer(void *info)
{
	struct sample_cpu *c = info;

	hrtimer_start(&c->hrt, ms_to_ktime(1), HRTIMER_MODE_REL_PINNED_HARD);
}

static void sample_stop_generators(void)
{
	unsigned int cpu;

	WRITE_ONCE(running, false);
	for_each_possible_cpu(cpu) {
		struct sample_cpu *c = per_cpu_ptr(cpus, cpu);

		if (c->task)
			kthread_stop(c->task);
		c->task = NULL;
		del_timer_sync(&c->timer);
		hrtimer_cancel(&c->hrt);
	}
}

/* relay-app start: a collector started a run. */
static int sample_start(struct relayfs_app *app)
{
	u64 now = ktime_get_ns();
	unsigned int cpu;
	int ctx;

	run_ctx = sample_parse_contexts();
	run_len = READ_ONCE(len);
	run_rate = READ_ONCE(rate);
	if (!run_ctx || !run_len || run_len > SAMPLE_MAX_LEN)
		return -EINVAL;
	WRITE_ONCE(running, true);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct sample_cpu *c = per_cpu_ptr(cpus, cpu);

		for (ctx = 0; ctx < RFS_NR_CTX; ctx++) {
			memset(&c->st[ctx], 0, offsetof(struct sample_stream,
							 rec));
			c->st[ctx].t0 = now;
		}
		if (run_ctx & (1U << RFS_CTX_TASK)) {
			c->task = kthread_create_on_cpu(sample_task, c, cpu,
							"relay_sample/%u");
			if (IS_ERR(c->task))
				c->task = NULL;
			else
				wake_up_process(c->task);
		}
		if (run_ctx & (1U << RFS_CTX_SOFTIRQ)) {
			c->timer.expires = jiffies + 1;
			add_timer_on(&c->timer, cpu);
		}
		/* A pinned hrtimer runs where it is started. */
		if (run_ctx & (1U << RFS_CTX_HARDIRQ))
			smp_call_function_single(cpu, sample_start_hrtimer, c,
						 1);
	}
	cpus_read_unlock();
	return 0;
}

/* relay-app stop: the channel is closed; stop writing. */
static void sample_stop(struct relayfs_app *app)
{
	sample_stop_generators();
}

static struct relayfs_app sample_app = {
	.name = "sample",
	.subbuf_size = 64 * 1024,
	.n_subbufs = 8,
	.start = sample_start,
	.stop = sample_stop,
};

/* "cpu ctx ok dropped other next_seq" per possible CPU and context. */
static ssize_t producer_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	size_t size = 96 * RFS_NR_CTX * num_possible_cpus(), n = 0;
	unsigned int cpu;
	ssize_t ret;
	char *text;
	int ctx;

	text = kmalloc(size, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct sample_cpu *c = per_cpu_ptr(cpus, cpu);

		for (ctx = 0; ctx < RFS_NR_CTX; ctx++) {
			struct sample_stream *s = &c->st[ctx];

			n += scnprintf(text + n, size - n,
				       "%u %d %lu %lu %lu %u\n", cpu, ctx,
				       READ_ONCE(s->ok), READ_ONCE(s->dropped),
				       READ_ONCE(s->other), READ_ONCE(s->seq));
		}
	}
	ret = simple_read_from_buffer(ubuf, count, ppos, text, n);
	kfree(text);
	return ret;
}

static const struct file_operations producer_fops = {
	.owner	= THIS_MODULE,
	.read	= producer_read,
	.llseek	= default_llseek,
};

/* "task": from a work item on the CPU (work_on_cpu). */
static long trig_task(void *unused)
{
	return relayfs_app_trigger(&sample_app, trig_reason);
}

/*
 * "irq": from an irq_work, hardirq context (a function call "IPI" to the
 * caller's own CPU would run in the caller's context instead).
 */
static void trig_irq(struct irq_work *w)
{
	trig_ret = relayfs_app_trigger(&sample_app, trig_reason);
}

static struct irq_work trig_irq_work = IRQ_WORK_INIT_HARD(trig_irq);

/* Queued from a work item on the CPU: a self-IPI there. */
static long trig_irq_on_cpu(void *unused)
{
	if (!irq_work_queue(&trig_irq_work))
		return -EBUSY;
	irq_work_sync(&trig_irq_work);
	return trig_ret;
}

/* "write": @n records of the CPU's hardirq stream, in hardirq context. */
static void trig_write(void *arg)
{
	struct sample_cpu *c = this_cpu_ptr(cpus);
	struct sample_stream *s = &c->st[RFS_CTX_HARDIRQ];
	unsigned long n = *(unsigned long *)arg;
	unsigned int l = READ_ONCE(len);
	int ret;

	if (!l || l > SAMPLE_MAX_LEN)
		l = 64;
	while (n--) {
		rfs_rec_fill(s->rec, l, c->cpu, RFS_CTX_HARDIRQ, s->seq);
		ret = relayfs_app_write(&sample_app, s->rec, l);
		if (ret == -ENOTCONN) {
			trig_ret = ret;
			return;
		}
		if (!ret) {
			s->ok++;
			s->seq++;
		} else {
			s->dropped++;
		}
	}
}

#ifdef CONFIG_X86_LOCAL_APIC
/* "nmi": a real NMI handler, fired by an NMI IPI at the chosen CPU. */
static atomic_t nmi_armed;	/* 1: the next NMI on nmi_cpu is ours */
static int nmi_cpu;
static bool nmi_registered;

static int trig_nmi(unsigned int type, struct pt_regs *regs)
{
	if (smp_processor_id() != READ_ONCE(nmi_cpu) ||
	    atomic_cmpxchg(&nmi_armed, 1, 0) != 1)
		return NMI_DONE;
	WRITE_ONCE(trig_ret, relayfs_app_trigger(&sample_app, trig_reason));
	/* The result before "done": pairs with trig_fire_nmi()'s smp_rmb. */
	smp_wmb();
	atomic_set(&nmi_armed, 2);	/* done */
	return NMI_HANDLED;
}

static int trig_fire_nmi(unsigned int cpu)
{
	int i;

	if (!nmi_registered)
		return -EOPNOTSUPP;
	cpus_read_lock();
	if (!cpu_online(cpu)) {
		cpus_read_unlock();
		return -ENODEV;	/* no NMI IPI at an offline CPU */
	}
	WRITE_ONCE(nmi_cpu, cpu);
	atomic_set(&nmi_armed, 1);
	apic->send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
	/* An emulated NMI can take a while; a lost one is an error. */
	for (i = 0; i < 2000 && atomic_read(&nmi_armed) != 2; i++)
		usleep_range(1000, 2000);
	cpus_read_unlock();
	/*
	 * An NMI later than this is not ours: trig_nmi() lets it pass, the
	 * kernel reports it as an unknown NMI reason (harmless, in tests).
	 */
	if (atomic_xchg(&nmi_armed, 0) != 2)
		return -ETIMEDOUT;
	/* "done" before the result: pairs with trig_nmi()'s smp_wmb. */
	smp_rmb();
	return READ_ONCE(trig_ret);
}
#else
static int trig_fire_nmi(unsigned int cpu)
{
	return -EOPNOTSUPP;
}
#endif

static int trigger_cmd(char *line)
{
	char *cmd = strsep(&line, " "), *arg = strsep(&line, " ");
	unsigned long n;
	unsigned int cpu;
	int err;

	if (!arg || kstrtouint(arg, 10, &cpu) || cpu >= nr_cpu_ids)
		return -EINVAL;
	if (!strcmp(cmd, "write")) {
		if (!line || kstrtoul(strim(line), 10, &n) || n > SAMPLE_WRITE_MAX)
			return -EINVAL;
		trig_ret = 0;
		err = smp_call_function_single(cpu, trig_write, &n, 1);
		return err ? err : trig_ret;
	}
	strscpy(trig_reason, line ? strim(line) : "", sizeof(trig_reason));
	if (!strcmp(cmd, "task")) {
		cpus_read_lock();
		err = cpu_online(cpu) ? work_on_cpu(cpu, trig_task, NULL) :
					-ENODEV;
		cpus_read_unlock();
		return err;
	}
	if (!strcmp(cmd, "irq")) {
		cpus_read_lock();
		err = cpu_online(cpu) ? work_on_cpu(cpu, trig_irq_on_cpu,
						    NULL) : -ENODEV;
		cpus_read_unlock();
		return err;
	}
	if (!strcmp(cmd, "nmi"))
		return trig_fire_nmi(cpu);
	return -EINVAL;
}

static ssize_t trigger_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char line[128];
	int err;

	if (count >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, count))
		return -EFAULT;
	line[count] = '\0';
	mutex_lock(&trigger_lock);
	err = trigger_cmd(strim(line));
	mutex_unlock(&trigger_lock);
	return err ? err : count;
}

static const struct file_operations trigger_fops = {
	.owner	= THIS_MODULE,
	.write	= trigger_write,
	.llseek	= noop_llseek,
};

static int __init sample_init(void)
{
	unsigned int cpu;
	int err;

	cpus = alloc_percpu(struct sample_cpu);
	if (!cpus)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct sample_cpu *c = per_cpu_ptr(cpus, cpu);

		c->cpu = cpu;
		timer_setup(&c->timer, sample_timer, TIMER_PINNED);
		hrtimer_init(&c->hrt, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		c->hrt.function = sample_hrtimer;
	}
	err = relayfs_app_register(&sample_app);
	if (err)
		goto err_register;
	producer_file = relayfs_create_file("producer", 0400,
					    relayfs_app_dir(&sample_app),
					    NULL, &producer_fops);
	if (IS_ERR(producer_file)) {
		err = PTR_ERR(producer_file);
		goto err_file;
	}
	trigger_file = relayfs_create_file("trigger", 0200,
					   relayfs_app_dir(&sample_app),
					   NULL, &trigger_fops);
	if (IS_ERR(trigger_file)) {
		err = PTR_ERR(trigger_file);
		goto err_trigger;
	}
#ifdef CONFIG_X86_LOCAL_APIC
	nmi_registered = !register_nmi_handler(NMI_LOCAL, trig_nmi, 0,
					       "relay_sample");
#endif
	return 0;

err_trigger:
	relayfs_remove_file(producer_file);
err_file:
	relayfs_app_unregister(&sample_app);
err_register:
	free_percpu(cpus);
	return err;
}

static void __exit sample_exit(void)
{
#ifdef CONFIG_X86_LOCAL_APIC
	if (nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "relay_sample");
#endif
	relayfs_remove_file(trigger_file);
	relayfs_remove_file(producer_file);
	/* Stops a running collector's run (and our generators). */
	relayfs_app_unregister(&sample_app);
	sample_stop_generators();
	free_percpu(cpus);
}

module_init(sample_init);
module_exit(sample_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("relayfs sample relay-app: self-checking records at a chosen rate");

// SPDX-License-Identifier: GPL-2.0
/*
 * tprintk, "tee printk": an ftrace callback on vprintk_store() copies
 * every printk message, formatted, with its level and a timestamp, into
 * the relay-app channel "tprintk" while "relay-collect tprintk" runs.
 * printk itself is untouched.
 *
 * Why vprintk_store: every message passes through it exactly once, on
 * both 6.1 and 6.12: printk() and /dev/kmsg go vprintk_emit() ->
 * vprintk_store(), and on 6.1 an NMI's printk goes from vprintk()
 * straight to vprintk_store().  It is a traceable function on both.
 *
 * Records (examples/include/relayfs_text.h):
 *
 *   [seconds.micros] cpuN <L> CTX message  L: level 0..7 (KERN_*)
 *   [seconds.micros] cpuN <c> CTX text     a continuation (pr_cont)
 *   <TAB>next line                         a multi-line message
 *
 * Parameters, read at each message: level_max (keep levels <= it) and
 * match (keep messages containing it; empty: all).  Filtered messages
 * are counted in <root>/tprintk/status, not written.
 *
 * Contexts: the callback runs wherever printk does, hardirq and NMI
 * included.  The ops has no FTRACE_OPS_FL_RECURSION, so ftrace calls it
 * directly, without its recursion guard (which would drop a nested call
 * silently): the callback guards itself.  Each CPU has one formatting
 * buffer per context level (task, softirq, hardirq, NMI), so a printk
 * of an interrupt landing while the CPU formats another is captured in
 * its own buffer.  A call that finds its level's buffer busy (true
 * recursion: a printk from what the callback calls, an interrupt before
 * preempt_count says so) and a call where RCU is not watching (the
 * channel cannot be touched safely) are missed: counted in this CPU's
 * counters (this_cpu ops: only the CPU itself updates them), folded into
 * the channel's drops at the CPU's next message and when the run stops,
 * and shown in status.  Once the run is stopping nothing is captured or
 * counted: what follows is outside the run.  The va_list is copied,
 * never consumed: the traced function still has to format it.
 */
#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/sched/clock.h>
#include <linux/kern_levels.h>
#include <linux/printk.h>
#include <relayfs/relay_app.h>
#include "../include/relayfs_text.h"

#ifndef CONFIG_X86_64
#error "tprintk reads vprintk_store()'s va_list the x86-64 way"
#endif
#ifndef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#error "tprintk needs ftrace callbacks with the traced function's registers"
#endif

static unsigned int level_max = 7;
module_param(level_max, uint, 0644);
MODULE_PARM_DESC(level_max, "keep messages of this level (0..7) or more urgent");
static char match[64];
rtext_param_string(match, match);
MODULE_PARM_DESC(match, "keep only messages containing this text");

#define TPK_LEVELS	4	/* task, softirq, hardirq, NMI */

struct tprintk_cpu {
	char buf[TPK_LEVELS][RTEXT_MAX];
	unsigned long busy[TPK_LEVELS];
	unsigned long pending;	/* missed, not yet in the channel's drops */
	unsigned long missed;	/* for status, never reset */
	unsigned long filtered;
};

/* Allocated: 4 KiB a CPU is too much for a module's static per-CPU area. */
static struct tprintk_cpu __percpu *tprintk_cpus;
/* The run is stopping: no capture, no miss counted, after this. */
static bool tprintk_closing;

static struct relayfs_app tprintk_app = {
	.name = "tprintk",
	.subbuf_size = 256 * 1024,
	.n_subbufs = 8,
};

/* The context level of this CPU: 0 task, 1 softirq, 2 hardirq, 3 NMI. */
static __always_inline unsigned int tprintk_level(void)
{
	return interrupt_context_level();
}

/* Skip KERN_* prefixes: the level, or -1; *cont for KERN_CONT. */
static notrace const char *tprintk_prefix(const char *text, int *level,
					  bool *cont)
{
	while (text[0] == KERN_SOH_ASCII && text[1]) {
		if (text[1] >= '0' && text[1] <= '7')
			*level = text[1] - '0';
		else if (text[1] == 'c')
			*cont = true;
		text += 2;
	}
	return text;
}

/* A message this CPU could not capture.  Any context. */
static __always_inline void tprintk_miss(void)
{
	this_cpu_inc(tprintk_cpus->pending);
	this_cpu_inc(tprintk_cpus->missed);
}

/*
 * This CPU's misses so far become channel drops.  Any context where RCU
 * watches; xchg is one instruction against this CPU's interrupts.
 */
static notrace void tprintk_fold(void)
{
	unsigned long n;

	if (!this_cpu_read(tprintk_cpus->pending))
		return;
	n = this_cpu_xchg(tprintk_cpus->pending, 0);
	if (n)
		relayfs_app_count_drops(&tprintk_app, n);
}

static void tprintk_fold_ipi(void *unused)
{
	tprintk_fold();
}

/*
 * Misses after a CPU's last message would have no later one to count
 * them: fold every CPU's, once no callback can add one (the callbacks run
 * with preemption off, RCU read-side sections).
 */
static void tprintk_stopping(struct relayfs_app *app)
{
	WRITE_ONCE(tprintk_closing, true);
	synchronize_rcu();
	on_each_cpu(tprintk_fold_ipi, NULL, 1);
}

static void tprintk_clear_ipi(void *unused)
{
	this_cpu_write(tprintk_cpus->pending, 0);
}

/* Misses between runs belong to no run. */
static int tprintk_start(struct relayfs_app *app)
{
	on_each_cpu(tprintk_clear_ipi, NULL, 1);
	WRITE_ONCE(tprintk_closing, false);
	return 0;
}

/* Format, filter and write one message with this level's buffer. */
static notrace void tprintk_one(char *buf, struct pt_regs *regs)
{
	int facility = regs_get_kernel_argument(regs, 0);
	int level = regs_get_kernel_argument(regs, 1);
	const char *fmt = (const char *)regs_get_kernel_argument(regs, 3);
	const void *args = (const void *)regs_get_kernel_argument(regs, 4);
	char *body, tag[4];
	size_t hdr, len;
	bool cont = false;
	va_list ap;

	/* Format after room for the header, written once the level is known. */
	hdr = RTEXT_HDR_MAX;
	memcpy(ap, args, sizeof(va_list));
	len = vscnprintf(buf + hdr, RTEXT_MAX - hdr, fmt, ap);
	body = buf + hdr;
	/* As vprintk_store: kernel messages carry their level in the text. */
	if (facility == 0)
		body = (char *)tprintk_prefix(body, &level, &cont);
	len -= body - (buf + hdr);
	if (level < 0)
		level = CONFIG_MESSAGE_LOGLEVEL_DEFAULT;
	if ((!cont && level > READ_ONCE(level_max)) ||
	    (match[0] && !strnstr(body, match, len))) {
		this_cpu_inc(tprintk_cpus->filtered);
		return;
	}
	snprintf(tag, sizeof(tag), "<%c>", cont ? 'c' : '0' + level);
	hdr = rtext_header(buf, local_clock(), smp_processor_id(), tag);
	len = min(len, RTEXT_MAX - 1 - hdr);
	memmove(buf + hdr, body, len);
	len = rtext_finish(buf, hdr + len);
	relayfs_app_write(&tprintk_app, buf, len);
}

static notrace void tprintk_call(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *op,
				 struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	unsigned int lvl;

	if (!relayfs_app_active(&tprintk_app))
		return;
	/* Stay on this CPU: its buffers, its counters. */
	preempt_disable_notrace();
	lvl = tprintk_level();
	if (READ_ONCE(tprintk_closing))
		goto out;
	/*
	 * The channel lives under RCU (relayfs_app_write): where RCU is not
	 * watching (idle), only count (such a miss while the run stops can
	 * come after the last fold: stopping cannot wait for it).  A busy
	 * buffer is recursion.
	 */
	if (!rcu_is_watching() || !regs ||
	    this_cpu_xchg(tprintk_cpus->busy[lvl], 1))
		goto miss;
	tprintk_fold();
	tprintk_one(this_cpu_ptr(tprintk_cpus)->buf[lvl], regs);
	this_cpu_write(tprintk_cpus->busy[lvl], 0);
	goto out;
miss:
	tprintk_miss();
out:
	preempt_enable_notrace();
}
NOKPROBE_SYMBOL(tprintk_call);

static struct ftrace_ops tprintk_ops = {
	.func = tprintk_call,
	/* No FTRACE_OPS_FL_RECURSION: tprintk_call guards itself. */
	.flags = FTRACE_OPS_FL_SAVE_REGS,
};

static ssize_t status_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	unsigned long missed = 0, filtered = 0;
	char text[96];
	int cpu, n;

	for_each_possible_cpu(cpu) {
		const struct tprintk_cpu *tc = per_cpu_ptr(tprintk_cpus, cpu);

		missed += READ_ONCE(tc->missed);
		filtered += READ_ONCE(tc->filtered);
	}
	n = scnprintf(text, sizeof(text), "missed %lu\nfiltered %lu\n",
		      missed, filtered);
	return simple_read_from_buffer(ubuf, count, ppos, text, n);
}

static const struct file_operations status_fops = {
	.owner	= THIS_MODULE,
	.read	= status_read,
	.llseek	= default_llseek,
};

static struct dentry *status_file;

static int __init tprintk_init(void)
{
	char func[] = "vprintk_store";	/* ftrace may write into it */
	int err;

	tprintk_cpus = alloc_percpu(struct tprintk_cpu);
	if (!tprintk_cpus)
		return -ENOMEM;
	tprintk_app.start = tprintk_start;
	tprintk_app.stopping = tprintk_stopping;
	err = relayfs_app_register(&tprintk_app);
	if (err)
		goto err_app;
	status_file = relayfs_create_file("status", 0400,
					  relayfs_app_dir(&tprintk_app), NULL,
					  &status_fops);
	if (IS_ERR(status_file)) {
		err = PTR_ERR(status_file);
		goto err_status;
	}
	err = ftrace_set_filter(&tprintk_ops, func, strlen(func), 1);
	if (err)
		goto err_filter;
	err = register_ftrace_function(&tprintk_ops);
	if (err)
		goto err_filter;
	return 0;

err_filter:
	ftrace_free_filter(&tprintk_ops);
	relayfs_remove_file(status_file);
err_status:
	relayfs_app_unregister(&tprintk_app);
err_app:
	free_percpu(tprintk_cpus);
	return err;
}

static void __exit tprintk_exit(void)
{
	/* No callback runs after this returns (ops of a module: RCU tasks). */
	unregister_ftrace_function(&tprintk_ops);
	ftrace_free_filter(&tprintk_ops);
	relayfs_remove_file(status_file);
	relayfs_app_unregister(&tprintk_app);
	free_percpu(tprintk_cpus);
}

module_init(tprintk_init);
module_exit(tprintk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tprintk: every printk message, also into a relayfs channel");

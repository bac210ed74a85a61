// SPDX-License-Identifier: GPL-2.0
/*
 * klog: the 2005 relay-apps example, as a relay-app.  klog()/vklog()
 * format one text record (examples/include/relayfs_text.h: timestamp,
 * CPU, message) into a per-CPU buffer and write it to the "klog" channel
 * while "relay-collect klog" runs.
 *
 * Any context: each CPU has one formatting buffer per nesting level
 * (task, softirq, hardirq, NMI), chosen by a per-CPU counter that each
 * call increments and decrements with preemption off; an interrupting
 * context takes the next level, so no buffer is ever shared.  A call
 * nested deeper than that is counted as a drop.
 */
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <relayfs/relay_app.h>
#include "../include/relayfs_text.h"
#include "klog.h"

#define KLOG_LEVELS	4

struct klog_cpu {
	char buf[KLOG_LEVELS][RTEXT_MAX];
	int nest;
};

static DEFINE_PER_CPU(struct klog_cpu, klog_cpus);

static struct relayfs_app klog_app = {
	.name = "klog",
	.subbuf_size = 256 * 1024,
	.n_subbufs = 8,
};

/**
 * vklog - log one message while a collector runs
 * @fmt: printf format; a trailing newline is optional
 * @args: its arguments
 *
 * Any context.  Return: as relayfs_app_write().
 */
notrace int vklog(const char *fmt, va_list args)
{
	struct klog_cpu *k;
	size_t len;
	int level, ret;
	char *buf;

	if (!relayfs_app_active(&klog_app))
		return -ENOTCONN;
	preempt_disable_notrace();
	k = this_cpu_ptr(&klog_cpus);
	/* One instruction on this CPU: atomic against interrupts and NMIs. */
	level = this_cpu_inc_return(klog_cpus.nest) - 1;
	if (level >= KLOG_LEVELS) {
		relayfs_app_count_drops(&klog_app, 1);
		ret = -EDEADLK;
		goto out;
	}
	buf = k->buf[level];
	len = rtext_header(buf, local_clock(), smp_processor_id(), "klog");
	len += vscnprintf(buf + len, RTEXT_MAX - len, fmt, args);
	len = rtext_finish(buf, len);
	ret = relayfs_app_write(&klog_app, buf, len);
out:
	this_cpu_dec(klog_cpus.nest);
	preempt_enable_notrace();
	return ret;
}
EXPORT_SYMBOL_GPL(vklog);

/**
 * klog - log one message while a collector runs
 * @fmt: printf format
 *
 * Any context.  Return: as relayfs_app_write().
 */
notrace int klog(const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = vklog(fmt, args);
	va_end(args);
	return ret;
}
EXPORT_SYMBOL_GPL(klog);

/**
 * klog_trigger - fire the flight recorder's trigger of klog
 * @reason: what happened, or NULL
 *
 * Any context, NMI included.  "relay-collect --snapshot klog" writes a
 * snapshot of what klog holds.  Return: as relayfs_app_trigger().
 */
notrace int klog_trigger(const char *reason)
{
	return relayfs_app_trigger(&klog_app, reason);
}
EXPORT_SYMBOL_GPL(klog_trigger);

static int __init klog_init(void)
{
	return relayfs_app_register(&klog_app);
}

static void __exit klog_exit(void)
{
	relayfs_app_unregister(&klog_app);
}

module_init(klog_init);
module_exit(klog_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klog: printk-like logging into a relayfs channel, any context");

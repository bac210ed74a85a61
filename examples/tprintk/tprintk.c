// SPDX-License-Identifier: GPL-2.0
/*
 * tprintk, "tee printk": a kprobe on vprintk_store() copies every printk
 * message, formatted, with its level and a timestamp, into the relay-app
 * channel "tprintk" while "relay-collect tprintk" runs.  printk itself is
 * untouched.
 *
 * Why vprintk_store: every message passes through it exactly once, on
 * both 6.1 and 6.12: printk() and /dev/kmsg go vprintk_emit() ->
 * vprintk_store(), and on 6.1 an NMI's printk goes from vprintk()
 * straight to vprintk_store().  It is a real, probe-able symbol on both.
 *
 * Records (examples/include/relayfs_text.h):
 *
 *   [seconds.micros] cpuN <L> message      L: level 0..7 (KERN_*)
 *   [seconds.micros] cpuN <c> text         a continuation (pr_cont)
 *   <TAB>next line                         a multi-line message
 *
 * Parameters, read at each message: level_max (keep levels <= it) and
 * match (keep messages containing it; empty: all).  Filtered messages
 * are counted in <root>/tprintk/status, not written.
 *
 * Contexts: the pre-handler runs wherever printk does, hardirq and NMI
 * included, with preemption off; kprobes do not nest on a CPU (a hit
 * inside a handler is "missed"), so one formatting buffer per CPU is
 * enough.  Missed hits (the kprobe's nmissed) are counted as drops in the
 * channel at the next hit.  The va_list is copied, never consumed: the
 * probed function still has to format it.
 */
#include <linux/module.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/kern_levels.h>
#include <linux/printk.h>
#include <relayfs/relay_app.h>
#include "../include/relayfs_text.h"

#ifndef CONFIG_X86_64
#error "tprintk reads vprintk_store()'s va_list the x86-64 way"
#endif

static unsigned int level_max = 7;
module_param(level_max, uint, 0644);
MODULE_PARM_DESC(level_max, "keep messages of this level (0..7) or more urgent");
static char match[64];
rtext_param_string(match, match);
MODULE_PARM_DESC(match, "keep only messages containing this text");

static DEFINE_PER_CPU(char [RTEXT_MAX], tprintk_buf);
static atomic_long_t missed_seen, filtered;

static struct relayfs_app tprintk_app = {
	.name = "tprintk",
	.subbuf_size = 256 * 1024,
	.n_subbufs = 8,
};

static struct kprobe tprintk_kp = {
	.symbol_name = "vprintk_store",
};

/* Skip KERN_* prefixes: the level, or -1; *cont for KERN_CONT. */
static const char *tprintk_prefix(const char *text, int *level, bool *cont)
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

/* The kprobe's misses since the last hit become channel drops. */
static void tprintk_count_missed(void)
{
	long now = READ_ONCE(tprintk_kp.nmissed);
	long seen = atomic_long_xchg(&missed_seen, now);

	if (now > seen)
		relayfs_app_count_drops(&tprintk_app, now - seen);
}

/* Misses after the run's last hit would have no later hit to count them. */
static void tprintk_stopping(struct relayfs_app *app)
{
	tprintk_count_missed();
}

static int tprintk_pre(struct kprobe *p, struct pt_regs *regs)
{
	int facility = regs_get_kernel_argument(regs, 0);
	int level = regs_get_kernel_argument(regs, 1);
	const char *fmt = (const char *)regs_get_kernel_argument(regs, 3);
	const void *args = (const void *)regs_get_kernel_argument(regs, 4);
	char *buf, *body, tag[4];
	unsigned long flags;
	size_t hdr, len;
	bool cont = false;
	va_list ap;

	if (!relayfs_app_active(&tprintk_app))
		return 0;
	/*
	 * A printk from an interrupt arriving while we format would be a
	 * missed hit: keep the window to NMIs (printk disables interrupts
	 * for longer itself).
	 */
	local_irq_save(flags);
	buf = this_cpu_ptr(tprintk_buf);
	tprintk_count_missed();
	/* Format after room for the header, written once the level is known. */
	hdr = 32;
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
		atomic_long_inc(&filtered);
		goto out;
	}
	snprintf(tag, sizeof(tag), "<%c>", cont ? 'c' : '0' + level);
	hdr = rtext_header(buf, local_clock(), smp_processor_id(), tag);
	len = min(len, RTEXT_MAX - 1 - hdr);
	memmove(buf + hdr, body, len);
	len = rtext_finish(buf, hdr + len);
	relayfs_app_write(&tprintk_app, buf, len);
out:
	local_irq_restore(flags);
	return 0;
}
NOKPROBE_SYMBOL(tprintk_pre);

static int tprintk_start(struct relayfs_app *app)
{
	atomic_long_set(&missed_seen, READ_ONCE(tprintk_kp.nmissed));
	return 0;
}

static ssize_t status_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char text[96];
	int n = scnprintf(text, sizeof(text), "missed %lu\nfiltered %ld\n",
			  READ_ONCE(tprintk_kp.nmissed),
			  atomic_long_read(&filtered));

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
	int err;

	tprintk_app.start = tprintk_start;
	tprintk_app.stopping = tprintk_stopping;
	err = relayfs_app_register(&tprintk_app);
	if (err)
		return err;
	status_file = relayfs_create_file("status", 0400,
					  relayfs_app_dir(&tprintk_app), NULL,
					  &status_fops);
	if (IS_ERR(status_file)) {
		err = PTR_ERR(status_file);
		goto err_status;
	}
	tprintk_kp.pre_handler = tprintk_pre;
	err = register_kprobe(&tprintk_kp);
	if (err)
		goto err_kprobe;
	return 0;

err_kprobe:
	relayfs_remove_file(status_file);
err_status:
	relayfs_app_unregister(&tprintk_app);
	return err;
}

static void __exit tprintk_exit(void)
{
	/* No handler runs after this returns. */
	unregister_kprobe(&tprintk_kp);
	relayfs_remove_file(status_file);
	relayfs_app_unregister(&tprintk_app);
}

module_init(tprintk_init);
module_exit(tprintk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tprintk: every printk message, also into a relayfs channel");

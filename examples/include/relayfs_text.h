/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text record form of klog and tprintk, one record per message:
 *
 *   [seconds.micros] cpuN <tag> message
 *   <TAB>second line of a multi-line message
 *
 * The timestamp is local_clock(), the printk clock, so records from all
 * CPUs (and dmesg) merge by it; every line after the first starts with a
 * tab, so a merge keeps a record whole; a record always ends in '\n'.
 * Within one CPU's file, a record of an interrupting context can precede
 * by microseconds the one it interrupted (it wrote between the other's
 * clock read and its write): relay-merge sorts by the timestamp.
 */
#ifndef RELAYFS_TEXT_H
#define RELAYFS_TEXT_H

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/math64.h>
#include <linux/string.h>

#define RTEXT_MAX	1024	/* bytes per record, longer ones are cut */

/*
 * A string module parameter set from sysfs ("echo TEXT > ..."): stored
 * without the surrounding whitespace and newline.
 */
static inline int rtext_param_set(const char *val,
				  const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;
	char buf[128];

	if (strlen(val) >= min_t(size_t, sizeof(buf), kps->maxlen))
		return -ENOSPC;
	strscpy(buf, val, sizeof(buf));
	strscpy(kps->string, strim(buf), kps->maxlen);
	return 0;
}

static const struct kernel_param_ops rtext_param_ops = {
	.set = rtext_param_set,
	.get = param_get_string,
};

/* module_param_string(), but trimmed as rtext_param_set() does. */
#define rtext_param_string(name, var)					\
	static struct kparam_string __rtext_param_##name = {		\
		.maxlen = sizeof(var), .string = var,			\
	};								\
	module_param_cb(name, &rtext_param_ops, &__rtext_param_##name, 0644)

/* Write "[sec.usec] cpuN <tag> " at @buf; returns its length. */
static inline size_t rtext_header(char *buf, u64 ns, unsigned int cpu,
				  const char *tag)
{
	u32 rem_ns;
	u64 sec = div_u64_rem(ns, NSEC_PER_SEC, &rem_ns);

	return scnprintf(buf, RTEXT_MAX, "[%5llu.%06u] cpu%u %s ", sec,
			 rem_ns / 1000, cpu, tag);
}

/*
 * Finish a record of @len bytes at @buf (RTEXT_MAX bytes of room): a tab
 * after every inner newline, exactly one newline at the end.  Returns the
 * record's length.
 */
static inline size_t rtext_finish(char *buf, size_t len)
{
	size_t i;

	while (len && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (len + 1 >= RTEXT_MAX - 1)
			len--;		/* make room: cut the last byte */
		memmove(buf + i + 2, buf + i + 1, len - i - 1);
		buf[++i] = '\t';
		len++;
	}
	buf[len++] = '\n';
	return len;
}

#endif /* RELAYFS_TEXT_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klog: printk-like logging into a relay channel (examples/klog/klog.c).
 * Usable in any context, NMI included.  While no collector runs
 * ("relay-collect klog"), a call costs one load and returns -ENOTCONN.
 */
#ifndef KLOG_H
#define KLOG_H

#include <linux/types.h>
#include <linux/stdarg.h>

__printf(1, 0) int vklog(const char *fmt, va_list args);
__printf(1, 2) int klog(const char *fmt, ...);
/* The flight recorder's trigger: any context; -ENOTCONN with no run. */
int klog_trigger(const char *reason);

#endif /* KLOG_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test support: our modules' allocations in the kernel log, so that the
 * test harness can tell a KCSAN data race on our memory from one on the
 * core's own (tests/vm/kernel-log-scan.py).  Off unless the module's
 * log_objects parameter is set (the race kernel's test boots set it on
 * the command line, with no_hash_pointers so that %p prints addresses
 * KCSAN's reports can be matched against).  Process context; never on a
 * write path.
 */
#ifndef RELAYFS_OBJLOG_H
#define RELAYFS_OBJLOG_H

#include <linux/printk.h>

#define relayfs_objlog_add(on, kind, ptr, size) do {			\
	if (on)								\
		pr_info("relayfs-obj: + %s %p %zu\n", (kind), (ptr),	\
			(size_t)(size));				\
} while (0)

#define relayfs_objlog_del(on, ptr) do {				\
	if ((on) && (ptr))						\
		pr_info("relayfs-obj: - %p\n", (ptr));			\
} while (0)

#endif /* RELAYFS_OBJLOG_H */

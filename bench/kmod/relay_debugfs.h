/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's relay with its per-CPU files on debugfs, as its users set
 * it up: the file callbacks of the benchmark modules' relay channels.
 */
#ifndef _BENCH_RELAY_DEBUGFS_H
#define _BENCH_RELAY_DEBUGFS_H

#include <linux/debugfs.h>
#include <linux/relay.h>

static inline struct dentry *bench_relay_create(const char *name,
						struct dentry *parent,
						umode_t mode,
						struct rchan_buf *buf,
						int *is_global)
{
	return debugfs_create_file(name, mode, parent, buf,
				   &relay_file_operations);
}

static inline int bench_relay_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

#endif

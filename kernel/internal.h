/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relayfs internals shared between the files of relayfs.ko.
 */
#ifndef RELAYFS_INTERNAL_H
#define RELAYFS_INTERNAL_H

#include <linux/fs.h>
#include <relayfs/relayfs.h>
#include "compat.h"

#define RELAYFS_MAGIC	0x72656c61	/* "rela" */

/* inode.c: the filesystem */
int relayfs_fs_init(void);
void relayfs_fs_exit(void);
struct dentry *relayfs_create_entry(const char *name, umode_t mode,
				    struct dentry *parent, void *data,
				    const struct file_operations *fops);

#endif /* RELAYFS_INTERNAL_H */

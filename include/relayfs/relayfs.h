/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relayfs: the kernel API for client modules.
 *
 * See docs/kernel-api.md for contexts, the close contract and memory
 * ordering.
 */
#ifndef _RELAYFS_RELAYFS_H
#define _RELAYFS_RELAYFS_H

#include <linux/fs.h>

struct dentry *relayfs_create_dir(const char *name, struct dentry *parent);
void relayfs_remove_dir(struct dentry *dentry);
struct dentry *relayfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void relayfs_remove_file(struct dentry *dentry);

#endif /* _RELAYFS_RELAYFS_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels relayfs builds for lives here.
 *
 * Features are detected from the target kernel's headers at build time
 * (scripts/compat-detect.sh compiles one probe per feature, from
 * kernel/compat/probes/, and writes compat_autoconf.h), never from
 * LINUX_VERSION_CODE.
 */
#ifndef RELAYFS_COMPAT_H
#define RELAYFS_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include "compat_autoconf.h"

/* 6.6 replaced direct i_[amc]time stores by accessors. */
static inline void relayfs_inode_init_ts(struct inode *inode)
{
#ifdef RELAYFS_HAVE_SIMPLE_INODE_INIT_TS
	simple_inode_init_ts(inode);
#else
	inode->i_atime = inode->i_mtime = inode->i_ctime = current_time(inode);
#endif
}

#endif /* RELAYFS_COMPAT_H */

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

/*
 * 6.3 gave inode operations the mount's idmap instead of its user
 * namespace; relayfs only hands it on: struct relayfs_idmap is either.
 */
#ifdef RELAYFS_HAVE_MNT_IDMAP
#define relayfs_idmap	mnt_idmap
#else
#define relayfs_idmap	user_namespace
#endif

/* 6.3 made vma->vm_flags read-only behind accessors. */
static inline void relayfs_vm_flags_mod(struct vm_area_struct *vma,
					vm_flags_t set, vm_flags_t clear)
{
#ifdef RELAYFS_HAVE_VM_FLAGS_MOD
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/*
 * 6.5 replaced generic_file_splice_read() by copy_splice_read() for files
 * without a page cache; both copy through ->read_iter.
 */
#ifdef RELAYFS_HAVE_COPY_SPLICE_READ
#define relayfs_splice_read	copy_splice_read
#else
#define relayfs_splice_read	generic_file_splice_read
#endif

/*
 * For the benchmark's ftrace back-end (bench/kmod), which includes
 * <linux/ring_buffer.h> first: 6.3 dropped the event argument of
 * ring_buffer_unlock_commit().
 */
#ifdef _LINUX_RING_BUFFER_H
static inline int relayfs_rb_unlock_commit(struct trace_buffer *buffer,
					   struct ring_buffer_event *event)
{
#ifdef RELAYFS_HAVE_RB_UNLOCK_COMMIT_1ARG
	return ring_buffer_unlock_commit(buffer);
#else
	return ring_buffer_unlock_commit(buffer, event);
#endif
}
#endif

#endif /* RELAYFS_COMPAT_H */

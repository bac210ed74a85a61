/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * relayfs user ABI: ioctls on the per-CPU files in a relayfs mount.
 *
 * Every struct has fixed-size fields (__u32 / __aligned_u64), explicit
 * padding that the kernel zeroes, and the same layout for 32- and 64-bit
 * user space.  No kernel pointer is ever copied out.  Each struct starts
 * with its version so it can grow.
 */
#ifndef _UAPI_LINUX_RELAYFS_H
#define _UAPI_LINUX_RELAYFS_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define RELAYFS_ABI_VERSION	1

/* Geometry of one per-CPU buffer, as rounded by the kernel. */
struct relayfs_buf_info {
	__u32 version;		/* RELAYFS_ABI_VERSION */
	__u32 cpu;
	__u32 subbuf_size;	/* bytes, a power of two >= PAGE_SIZE */
	__u32 n_subbufs;
	__u32 header_size;	/* client header at the start of each */
	__u32 flags;		/* RELAYFS_BUF_* */
	__aligned_u64 buf_size;	/* subbuf_size * n_subbufs */
};

#define RELAYFS_BUF_OVERWRITE	(1U << 0)	/* flight-recorder mode */
#define RELAYFS_BUF_CLOSED	(1U << 1)	/* channel closed: EOF once drained */

/*
 * Counters of one per-CPU buffer.  Records and payload bytes (client
 * headers, padding and voided space excluded).  At any quiescent point:
 *
 *   attempted = accepted + dropped + refused
 *   accepted  = consumed + overwritten + unread
 *
 * dropped counts records lost because no sub-buffer was free
 * (no-overwrite mode) or writers nested too deep (of which
 * nested_records); refused counts records larger than a sub-buffer.
 */
struct relayfs_buf_stats {
	__u32 version;		/* RELAYFS_ABI_VERSION */
	__u32 cpu;
	__aligned_u64 attempted_records;
	__aligned_u64 attempted_bytes;
	__aligned_u64 accepted_records;
	__aligned_u64 accepted_bytes;
	__aligned_u64 dropped_records;
	__aligned_u64 dropped_bytes;
	__aligned_u64 nested_records;	/* part of dropped_records */
	__aligned_u64 refused_records;
	__aligned_u64 refused_bytes;
	__aligned_u64 consumed_records;
	__aligned_u64 consumed_bytes;
	__aligned_u64 overwritten_records;
	__aligned_u64 overwritten_bytes;
	__aligned_u64 unread_records;
	__aligned_u64 unread_bytes;
	__aligned_u64 discarded_records;	/* voided by relayfs_discard */
	__aligned_u64 subbufs_produced;
	__aligned_u64 subbufs_consumed;
	__aligned_u64 subbufs_overwritten;
	__aligned_u64 max_backlog;	/* most sub-buffers ever waiting */
};

#define RELAYFS_IOC_MAGIC	0xb7
#define RELAYFS_IOC_GET_INFO	_IOR(RELAYFS_IOC_MAGIC, 1, struct relayfs_buf_info)
#define RELAYFS_IOC_GET_STATS	_IOR(RELAYFS_IOC_MAGIC, 2, struct relayfs_buf_stats)

#endif /* _UAPI_LINUX_RELAYFS_H */

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
 * (no-overwrite mode, of which full_records), writers nested too deep
 * (of which nested_records), a writer interrupted a sub-buffer switch, or
 * the client lost them before writing (relayfs_count_drops); refused
 * counts records larger than a sub-buffer.  attempted is not counted by
 * the write path but computed: accepted + dropped + refused.
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
	__aligned_u64 full_records;	/* of dropped: no sub-buffer free */
};

/*
 * One complete sub-buffer: where it is in the mapping, what it holds and
 * when it was written.  Losses are placed in time: drops is the buffer's
 * dropped_records when this sub-buffer closed, so the records lost between
 * two consecutive sub-buffers were lost after the first closed and before
 * the second opened (t_close of one, t_open of the next).
 */
struct relayfs_subbuf {
	__aligned_u64 seq;	/* 0, 1, 2, ... per buffer */
	__aligned_u64 offset;	/* of its first byte in the mmap */
	__aligned_u64 t_open;	/* local_clock() ns when opened */
	__aligned_u64 t_close;	/* local_clock() ns when closed */
	__aligned_u64 drops;	/* cumulative dropped_records at close */
	__aligned_u64 records;	/* records in it */
	__aligned_u64 bytes;	/* their payload bytes */
	__u32 used;		/* bytes from its start: header, records */
	__u32 padding;		/* bytes after them, up to subbuf_size */
};

/*
 * RELAYFS_IOC_CONSUME: acknowledge, then snapshot.  The mmap consumer's
 * one system call per batch; see docs/abi.md for the protocol.
 *
 * in:  version, flags, ack, entries, max_entries
 * out: n_entries, status, valid_from, next, overwritten
 */
struct relayfs_consume {
	__u32 version;		/* RELAYFS_ABI_VERSION */
	__u32 flags;		/* RELAYFS_CONSUME_* */
	__aligned_u64 ack;	/* done with every sub-buffer before this seq */
	__aligned_u64 entries;	/* user pointer to struct relayfs_subbuf[] */
	__u32 max_entries;	/* room at entries; 0: ack only */
	__u32 n_entries;	/* entries filled, oldest first */
	__aligned_u64 valid_from;	/* acked sub-buffers >= this were intact */
	__aligned_u64 next;	/* seq of the oldest sub-buffer not acked */
	__aligned_u64 overwritten;	/* sub-buffers overwritten unread, total */
	__u32 status;		/* RELAYFS_CONSUME_EOF */
	__u32 __reserved;	/* zero */
};

#define RELAYFS_CONSUME_WAIT	(1U << 0)	/* in: block until one is ready */
#define RELAYFS_CONSUME_EOF	(1U << 0)	/* out: closed and drained */

/*
 * RELAYFS_IOC_GET_CLOCKS: one paired reading of the clocks, taken on the
 * calling CPU with interrupts off, mapping local_clock() (the clock of
 * t_open/t_close) onto the POSIX clocks: local_ns is the midpoint of two
 * local_clock() readings around the three others, uncertainty_ns half
 * their distance.  Any per-CPU file of a channel answers it.
 */
struct relayfs_clocks {
	__u32 version;		/* RELAYFS_ABI_VERSION */
	__u32 cpu;		/* where it was taken */
	__aligned_u64 local_ns;		/* local_clock() */
	__aligned_u64 realtime_ns;	/* CLOCK_REALTIME */
	__aligned_u64 monotonic_ns;	/* CLOCK_MONOTONIC */
	__aligned_u64 boottime_ns;	/* CLOCK_BOOTTIME */
	__aligned_u64 uncertainty_ns;	/* +- on local_ns */
};

/* Bounds of a relay-app run's flush interval ("start ... flush_ms=N"). */
#define RELAYFS_FLUSH_MS_MIN	1
#define RELAYFS_FLUSH_MS_MAX	60000
/*
 * Triggers of a relay-app (the flight recorder), on its control file.
 * A trigger is fired by the kernel (relayfs_app_trigger(), any context,
 * NMI included), by the collector ("snapshot [reason]" written to
 * control) or by anyone who may collect (RELAYFS_IOC_TRIGGER on any open
 * of control).  Fired triggers wait in a small ring (RELAYFS_TRIGGER_RING)
 * until the collector takes them with RELAYFS_IOC_TRIGGER_NEXT; poll() on
 * control reports EPOLLPRI while one waits, and EPOLLHUP once the run
 * stopped.  Triggers the collector could not take (the ring overran, or
 * two fired into one slot at once) are never silent: the next record
 * taken counts them in missed.
 */
#define RELAYFS_TRIGGER_RING		16
#define RELAYFS_TRIGGER_REASON_MAX	64	/* with its NUL */

/* struct relayfs_trigger.context: where it was fired */
#define RELAYFS_TRIGGER_TASK		0
#define RELAYFS_TRIGGER_SOFTIRQ		1
#define RELAYFS_TRIGGER_HARDIRQ		2
#define RELAYFS_TRIGGER_NMI		3

/* struct relayfs_trigger.flags */
#define RELAYFS_TRIGGER_USER	(1U << 0)	/* from user space: control or ioctl */

struct relayfs_trigger {
	__u32 version;		/* RELAYFS_ABI_VERSION */
	__u32 cpu;		/* where it was fired */
	__aligned_u64 seq;	/* 1, 2, ... per app, never reused */
	__aligned_u64 time_ns;	/* local_clock() when fired */
	__aligned_u64 missed;	/* fired before this one, never delivered */
	__u32 context;		/* RELAYFS_TRIGGER_TASK .. _NMI */
	__u32 flags;		/* RELAYFS_TRIGGER_* */
	char reason[RELAYFS_TRIGGER_REASON_MAX];	/* NUL-terminated */
};

/* RELAYFS_IOC_TRIGGER's argument: the reason, NUL-terminated. */
struct relayfs_trigger_req {
	__u32 version;		/* RELAYFS_ABI_VERSION */
	__u32 __reserved;	/* zero */
	char reason[RELAYFS_TRIGGER_REASON_MAX];
};

#define RELAYFS_IOC_MAGIC	0xb7
#define RELAYFS_IOC_GET_INFO	_IOR(RELAYFS_IOC_MAGIC, 1, struct relayfs_buf_info)
#define RELAYFS_IOC_GET_STATS	_IOR(RELAYFS_IOC_MAGIC, 2, struct relayfs_buf_stats)
#define RELAYFS_IOC_CONSUME	_IOWR(RELAYFS_IOC_MAGIC, 3, struct relayfs_consume)
/* Metadata of the sub-buffer the last read() returned data from. */
#define RELAYFS_IOC_GET_SUBBUF	_IOR(RELAYFS_IOC_MAGIC, 4, struct relayfs_subbuf)
#define RELAYFS_IOC_GET_CLOCKS	_IOR(RELAYFS_IOC_MAGIC, 5, struct relayfs_clocks)
/*
 * Close this file's CPU's current sub-buffer if it holds a record, so it
 * becomes readable at once (as relayfs_flush() does for every CPU).
 */
#define RELAYFS_IOC_FLUSH	_IO(RELAYFS_IOC_MAGIC, 6)
/* On a relay-app's control file: take the next trigger (the collector). */
#define RELAYFS_IOC_TRIGGER_NEXT _IOR(RELAYFS_IOC_MAGIC, 7, struct relayfs_trigger)
/* On a relay-app's control file, any open: fire a trigger. */
#define RELAYFS_IOC_TRIGGER	_IOW(RELAYFS_IOC_MAGIC, 8, struct relayfs_trigger_req)

#endif /* _UAPI_LINUX_RELAYFS_H */

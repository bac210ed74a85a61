/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relayfs internals shared between the files of relayfs.ko.
 *
 * Write-side state of a buffer (see write.c for the protocol):
 *
 *   tail	local_t, changed only by writers on the buffer's own CPU (and
 *		by flush/reset/close running on that CPU).  It packs
 *		  lap (15 bits) | idx (20 bits) | off (29 bits)
 *		idx is the sub-buffer being written, off the next free byte
 *		in it, or RFS_OFF_CLOSED once that sub-buffer is closed and
 *		the next writer must switch to a new one.  lap makes the
 *		value unique over time, so a cmpxchg on it cannot succeed on
 *		a stale value that happens to repeat (ABA).
 *
 *   commit[i]	local_t per sub-buffer, cumulative over laps, each commit
 *		adding RFS_REC_ONE + len; headers, padding and voided space
 *		add bytes only.  meta[i].commit_base is its value when the
 *		sub-buffer was opened for the current lap, so
 *		commit - commit_base is (records << 32) + bytes of this lap,
 *		exactly, and the sub-buffer is complete when those bytes
 *		reach subbuf_size.
 */
#ifndef RELAYFS_INTERNAL_H
#define RELAYFS_INTERNAL_H

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/irq_work.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <asm/local.h>
#include <relayfs/relayfs.h>
#include <uapi/linux/relayfs.h>
#include "compat.h"

#define RELAYFS_MAGIC		0x72656c61	/* "rela" */

/*
 * The write path packs lap | idx | off into one unsigned long tail (15 +
 * 20 + 29 bits) and (records << 32) + bytes into one unsigned long commit
 * count: both need 64 bits.  A 32-bit build would compile and silently
 * corrupt every buffer, so it does not compile.
 */
#if BITS_PER_LONG != 64
#error "relayfs needs a 64-bit kernel: the tail and commit counts pack 64 bits"
#endif

#define RFS_OFF_BITS		29
#define RFS_IDX_BITS		20
#define RFS_OFF_MASK		((1UL << RFS_OFF_BITS) - 1)
#define RFS_IDX_MASK		((1UL << RFS_IDX_BITS) - 1)
#define RFS_OFF_CLOSED		RFS_OFF_MASK
#define RFS_LAP_ONE		(1UL << (RFS_OFF_BITS + RFS_IDX_BITS))
#define RFS_MAX_SUBBUF_ORDER	28	/* 256 MiB */
#define RFS_MAX_SUBBUFS		(1UL << RFS_IDX_BITS)
#define RFS_REC_ONE		(1UL << 32)
/* No record is longer (the largest sub-buffer); tested without a load. */
#define RFS_MAX_LEN		(1UL << RFS_MAX_SUBBUF_ORDER)
#define RFS_MAX_NEST		4	/* task, softirq, hardirq, NMI */
/*
 * Added to every buffer's nest count while the channel's writes are off,
 * so that the writers' own nesting check drops them: the fast path has
 * one test for all three cases.
 *
 * RFS_NEST_OFF, while the channel closes: the drops are counted
 * (-ESHUTDOWN), the counters live on for the readers.
 *
 * RFS_NEST_RESET, while it resets: a writer that sees it touches no
 * counter and no buffer state, since relayfs_buf_init_state() may be
 * zeroing them under it (an NMI writer can land inside it).  A writer
 * that passed the check before the reset added it is waited for
 * (synchronize_rcu()) before anything is zeroed, so every count it adds
 * is either erased whole or kept whole.
 */
#define RFS_NEST_OFF		(1L << 16)
#define RFS_NEST_RESET		(1L << 24)

/* Per sub-buffer metadata, written by the writer that opens/closes it. */
struct relayfs_meta {
	u64 seq;		/* sequence number of the current lap */
	u64 t_open;		/* local_clock() at open */
	u64 t_close;		/* local_clock() at close */
	u64 drops;		/* buffer's dropped_records at close */
	unsigned long commit_base;
	unsigned long void_base;
	local_t void_bytes;	/* cumulative bytes voided by discard */
	u32 padding;		/* bytes of padding at the end */
	u32 dirty;		/* bytes from the start that may be non-zero */
};

/* What one lap of a sub-buffer holds. */
struct relayfs_lap {
	u64 records;
	u64 bytes;		/* payload */
	u32 used;		/* bytes in use: header, records, voids */
};

struct relayfs_buf {
	/* Writer side, touched on the buffer's CPU only. */
	local_t tail;
	local_t nest;
	void *data;			/* vmap of all sub-buffers */
	local_t *commit;		/* [n_subbufs] */
	/*
	 * [n_subbufs]: (u32)commit when the lap is complete, base + size +
	 * 1.  Metadata of the slot, but an array of its own: the commit
	 * finds it with one scaled load.
	 */
	u32 *done_at;
	struct relayfs_meta *meta;	/* [n_subbufs] */
	unsigned int subbuf_order;
	unsigned int subbuf_size;
	unsigned int n_subbufs;
	unsigned int header_size;
	unsigned int max_len;		/* subbuf_size - header_size */
	bool overwrite;
	unsigned int cpu;
	struct relayfs_chan *chan;	/* NULL once the channel closed */
	struct module *owner;		/* pinned by an open file */
	struct relayfs_app_state *app;	/* the relay-app it serves, or NULL */

	/*
	 * Writer counters, exact, local to the CPU.  Nothing counts the
	 * attempts: every record ends accepted, dropped or refused (or is
	 * discarded, which uncounts it), so the attempted counters are
	 * their sum (stats.c); the write path saves two additions.
	 */
	local_t accepted_records, accepted_bytes;
	local_t dropped_records, dropped_bytes, nested_records, full_records;
	local_t refused_records, refused_bytes;
	local_t overwritten_records, overwritten_bytes;
	local_t discarded_records;
	local_t subbufs_produced, subbufs_overwritten;
	local_t want_full_cb;
	local_t max_backlog;		/* most complete, unconsumed subbufs */
	bool full_reported;		/* until the reader frees a slot */
	bool wake_always;		/* ->deliver: work on every completion */
	bool timer_live;		/* the flush timer will fire (below) */

	/*
	 * Sequence number of the next sub-buffer to consume.  Advanced by
	 * the reader, and in overwrite mode also by a writer that claims an
	 * unread sub-buffer to overwrite it; cmpxchg decides who accounts
	 * it.  Read with acquire by writers (no-overwrite) before reusing a
	 * sub-buffer.
	 */
	atomic64_t consumed;

	/*
	 * Reader side, under read_mutex, which read() and CONSUME hold
	 * while they copy to user space (see the lock order below).
	 * reading and ack_pos are also read locklessly by wait conditions
	 * and poll (READ_ONCE).
	 */
	struct mutex read_mutex;
	atomic_t readers;
	bool reading;		/* a sub-buffer is loaded for read() */
	bool read_sb_valid;	/* read_sb describes the last one loaded */
	u64 read_seq;
	struct relayfs_lap read_lap;
	struct relayfs_subbuf read_sb;	/* for RELAYFS_IOC_GET_SUBBUF */
	u64 ack_pos;		/* reader's position: done before this seq */
	u64 ack_valid;		/* what the last ack validated from */
	size_t read_pos, read_end;
	void *bounce;		/* overwrite mode: validated copy */
	/*
	 * The reader's counters: written under read_mutex *and* stats_lock
	 * (with the reader's moves of buf->consumed), read under stats_lock
	 * alone, so that counters never wait for a reader.
	 */
	spinlock_t stats_lock;
	u64 consumed_records, consumed_bytes, subbufs_consumed;
	u64 delivered_seq;	/* next seq to hand to ->deliver */

	/*
	 * A reader is about to sleep and wants the next completion to wake
	 * it (relayfs_wait_arm()); cleared by the work that wakes it.
	 */
	int waiting;

	/* Deferred work and lifetime. */
	struct irq_work work;
	struct timer_list timer;
	unsigned int flush_jiffies;
	bool dying;
	bool closed;		/* channel closed: EOF once drained */
	wait_queue_head_t read_wait;
	struct page **pages;
	unsigned int n_pages;
	unsigned int maps;	/* mappings, under relayfs_files_lock */
	struct kref kref;
	struct dentry *dentry;
};

struct relayfs_chan {
	char base[NAME_MAX - 16];
	struct dentry *parent;
	struct dentry *stats_dentry;
	struct relayfs_buf * __percpu *bufs;
	struct relayfs_attr attr;	/* as rounded */
	struct relayfs_callbacks cb;
	size_t mem;			/* charged against the cap */
	struct hlist_node cpuhp_node;	/* hotplug.c */
	struct relayfs_app_state *app;	/* app.c, or NULL */
};

/* inode.c: the filesystem */
int relayfs_fs_init(void);
void relayfs_fs_exit(void);
struct dentry *relayfs_create_entry(const char *name, umode_t mode,
				    struct dentry *parent, void *data,
				    const struct file_operations *fops);
int relayfs_hold_entry(struct dentry *dentry);
void relayfs_drop_entry(struct dentry *dentry);
void relayfs_set_owner(struct dentry *dentry, kuid_t uid, kgid_t gid,
		       umode_t mode);

/* buffer.c: buffer memory and lifetime */
struct relayfs_buf *relayfs_buf_alloc(struct relayfs_chan *chan,
				      unsigned int cpu);
void relayfs_buf_init_state(struct relayfs_buf *buf);
void relayfs_buf_put(struct relayfs_buf *buf);
static inline void relayfs_buf_get(struct relayfs_buf *buf)
{
	kref_get(&buf->kref);
}

/* write.c: the lock-free write path */
void relayfs_buf_close_subbuf(struct relayfs_buf *buf, bool only_if_data);
void relayfs_buf_flush(struct relayfs_buf *buf);
void relayfs_lap_of(struct relayfs_buf *buf, unsigned int idx,
		    unsigned long commit, struct relayfs_lap *lap);
bool relayfs_subbuf_ready(struct relayfs_buf *buf, u64 seq,
			  struct relayfs_lap *lap);
void relayfs_work_fn(struct irq_work *work);
void relayfs_timer_fn(struct timer_list *t);

/* file.c: the per-CPU file */
extern const struct file_operations relayfs_buf_fops;
bool relayfs_buf_readable(struct relayfs_buf *buf);
bool relayfs_wait_cond(struct relayfs_buf *buf);
void relayfs_wait_arm(struct relayfs_buf *buf);
int relayfs_read_lock(struct relayfs_buf *buf);

/* consume.c: sub-buffer metadata and the mmap consumer's ioctl */
void relayfs_subbuf_describe(struct relayfs_buf *buf, u64 seq,
			     const struct relayfs_lap *lap,
			     struct relayfs_subbuf *sb);
long relayfs_ioc_consume(struct relayfs_buf *buf,
			 struct relayfs_consume __user *uc);

/* mmap.c: read-only mappings of a buffer */
int relayfs_buf_mmap(struct file *file, struct vm_area_struct *vma);

/* chan.c + app.c: channels of relay-apps */
struct relayfs_chan *relayfs_open_app(const char *base, struct dentry *parent,
				      struct relayfs_attr *attr,
				      struct relayfs_app_state *app);
void relayfs_app_buf_hold(struct relayfs_app_state *app);
void relayfs_app_buf_drop(struct relayfs_app_state *app);
void relayfs_chan_set_owner(struct relayfs_chan *chan, kuid_t uid,
			    kgid_t gid, umode_t mode, umode_t stats_mode);

/*
 * app.c: the collect_gid= mount option.  The group and the list of apps
 * are under relayfs_apps_lock; setting it walks every app.  Lock order:
 *
 *   relayfs_apps_lock -> app state->lock -> inode lock of an app's file
 *
 * (state->lock already nests the inode locks of relayfs_close()'s
 * removals.)  A start, under state->lock, reads the group with
 * READ_ONCE: a set either precedes it or walks the app after it.
 */
void relayfs_app_set_collect_gid(kgid_t gid);
kgid_t relayfs_app_collect_gid(void);

/* trigger.c: a relay-app's triggers (the flight recorder) */
struct relayfs_trig_slot {
	atomic64_t claim;	/* the highest seq that claimed it */
	atomic_t busy;		/* a writer copies into it */
	u64 done;		/* the seq whose copy is complete */
	u64 failed;		/* a seq that found it busy */
	u64 time_ns;
	u32 cpu, context, flags;
	char reason[RELAYFS_TRIGGER_REASON_MAX];
};

struct relayfs_trig_ring {
	atomic64_t head;	/* seq of the last trigger fired */
	u64 tail;		/* of the last taken; under the app's lock */
	u64 missed;		/* skipped since the last taken; same */
	struct irq_work work;	/* wakes wait (NMI-safe) */
	wait_queue_head_t wait;	/* the control file's pollers */
	struct relayfs_trig_slot slot[RELAYFS_TRIGGER_RING];
};

void relayfs_trig_init(struct relayfs_trig_ring *r);
void relayfs_trig_fire(struct relayfs_trig_ring *r, const char *reason,
		       u32 flags);
void relayfs_trig_reset(struct relayfs_trig_ring *r);
bool relayfs_trig_pending(struct relayfs_trig_ring *r);
int relayfs_trig_next(struct relayfs_trig_ring *r, struct relayfs_trigger *t);
void relayfs_trig_sync(struct relayfs_trig_ring *r);

/* hotplug.c: one multi-instance CPU hotplug state for all channels */
int relayfs_hotplug_init(void);
void relayfs_hotplug_exit(void);
int relayfs_hotplug_add(struct relayfs_chan *chan);
void relayfs_hotplug_remove(struct relayfs_chan *chan);

/* memory.c: the memory report */
size_t relayfs_buf_memory(struct relayfs_buf *buf);
size_t relayfs_chan_memory(struct relayfs_chan *chan);

/* stats.c: counters */
void relayfs_buf_stats(struct relayfs_buf *buf, struct relayfs_buf_stats *st);
extern const struct file_operations relayfs_stats_fops;

/*
 * chan.c: channels
 *
 * Lock order:
 *
 *   mmap_lock -> relayfs_files_lock
 *	->buf_mapped/->buf_unmapped are counted in vm_ops open/close,
 *	which mm calls under mmap_lock (mmap, munmap, mremap, fork).
 *   buf->read_mutex -> mmap_lock
 *	read() and RELAYFS_IOC_CONSUME copy to user space holding it, and
 *	may wait there as long as the page fault does (userfaultfd, FUSE).
 *   relayfs_files_lock -> buf->stats_lock (a leaf spinlock)
 *
 * relayfs_files_lock is global and taken under mmap_lock: whoever holds it
 * must never wait for a read_mutex, a user page or anything that can wait
 * for one.  A reader stalled in a fault then holds up its own buffer
 * only; .stats, open, mmap and close of every other file go on.  The
 * paths that take read_mutex assert that files_lock is not held
 * (file.c, rfs_read_lock()).
 */
extern unsigned long relayfs_mem_limit;
/* buffer.c: test support, include/relayfs/relayfs_objlog.h */
extern bool relayfs_log_objects;
extern struct mutex relayfs_files_lock;

static inline struct relayfs_buf *relayfs_chan_buf(struct relayfs_chan *chan,
						   unsigned int cpu)
{
	return *per_cpu_ptr(chan->bufs, cpu);
}

/* buffer.c: memory cap accounting */
int relayfs_mem_charge(size_t bytes);
void relayfs_mem_uncharge(size_t bytes);

/* file.c: reader-side accounting */
bool relayfs_buf_consume(struct relayfs_buf *buf, u64 seq,
			 struct relayfs_lap *lap);

static inline unsigned int rfs_tail_idx(unsigned long tail)
{
	return (tail >> RFS_OFF_BITS) & RFS_IDX_MASK;
}

static inline unsigned long rfs_tail_off(unsigned long tail)
{
	return tail & RFS_OFF_MASK;
}

static inline unsigned int rfs_seq_idx(struct relayfs_buf *buf, u64 seq)
{
	return do_div(seq, buf->n_subbufs);
}

static inline void *rfs_subbuf_addr(struct relayfs_buf *buf, unsigned int idx)
{
	return buf->data + ((size_t)idx << buf->subbuf_order);
}

/*
 * Does the slot that sub-buffer @seq would use still hold an unread lap,
 * given the reader's position @consumed?
 */
static inline bool rfs_slot_unread(struct relayfs_buf *buf, u64 seq,
				   u64 consumed)
{
	return seq - consumed >= buf->n_subbufs;
}

/*
 * Test-only injection points on the write path: nothing at all unless
 * built with RELAYFS_INJECT=1 (relayfs-inject.ko, kernel/inject.c).
 */
#include <relayfs/relayfs_inject.h>
#ifdef RELAYFS_INJECT
void relayfs_inject_point(struct relayfs_buf *buf,
			  enum relayfs_inject_point point);
#else
static __always_inline void
relayfs_inject_point(struct relayfs_buf *buf, enum relayfs_inject_point point)
{
}
#endif
#define rfs_inject(buf, point)	relayfs_inject_point(buf, RELAYFS_INJ_##point)

#endif /* RELAYFS_INTERNAL_H */

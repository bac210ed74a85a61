/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relayfs: the kernel API for client modules.
 *
 * A channel is one buffer per possible CPU, each split into n_subbufs
 * sub-buffers of subbuf_size bytes, exposed as files <base><cpu> in a
 * relayfs directory.  Writers append records to their CPU's buffer without
 * locks from any context, NMI included; readers get whole sub-buffers.
 *
 * Contexts: open, close, reset, flush and the create/remove calls are
 * process context only.  relayfs_write(), relayfs_reserve() and
 * friends may be called from anywhere.  See docs/kernel-api.md.
 */
#ifndef _RELAYFS_RELAYFS_H
#define _RELAYFS_RELAYFS_H

#include <linux/fs.h>
#include <linux/types.h>

struct relayfs_chan;
struct relayfs_buf;

/**
 * struct relayfs_callbacks - client hooks; any member may be NULL
 * @subbuf_start: a sub-buffer is being opened for writing; fill the
 *	header_size bytes at @subbuf.  Runs in the writer's context (NMI
 *	included): no locks, no sleeping.  Cannot refuse the switch.
 * @deliver: sub-buffer @seq is complete.  Deferred (irq_work, hardirq).
 * @buf_mapped: @buf's file was mmapped (process context).
 * @buf_unmapped: the last mapping of @buf went away.
 * @buf_full: a no-overwrite buffer had no free sub-buffer and started
 *	dropping.  Deferred (irq_work).
 */
struct relayfs_callbacks {
	void (*subbuf_start)(struct relayfs_buf *buf, void *subbuf, u64 seq,
			     void *priv);
	void (*deliver)(struct relayfs_buf *buf, u64 seq, void *priv);
	void (*buf_mapped)(struct relayfs_buf *buf, void *priv);
	void (*buf_unmapped)(struct relayfs_buf *buf, void *priv);
	void (*buf_full)(struct relayfs_buf *buf, void *priv);
};

/**
 * struct relayfs_attr - everything relayfs_open_attr() needs
 * @subbuf_size: requested sub-buffer size; rounded up to a power of two of
 *	at least PAGE_SIZE, the result written back
 * @n_subbufs: sub-buffers per CPU, at least 2
 * @overwrite: false: a full buffer drops new records; true: flight recorder
 * @mode: permission bits of the per-CPU files (0 means 0400)
 * @header_size: bytes reserved at the start of each sub-buffer for
 *	@cb->subbuf_start to fill
 * @flush_interval_ms: bound on the delay before a committed record is
 *	readable on a quiet no-overwrite channel (0 means 1000)
 * @private_data: passed to every callback
 * @owner: module that an open per-CPU file pins (THIS_MODULE)
 * @cb: callbacks, or NULL
 */
struct relayfs_attr {
	size_t subbuf_size;
	size_t n_subbufs;
	bool overwrite;
	umode_t mode;
	size_t header_size;
	unsigned int flush_interval_ms;
	void *private_data;
	struct module *owner;
	const struct relayfs_callbacks *cb;
};

/**
 * struct relayfs_rsv - one reservation, kept by the writer until commit
 * @data: where to write the record's @len bytes
 * @len: bytes reserved
 *
 * The other members are private to relayfs.
 */
struct relayfs_rsv {
	void *data;
	size_t len;
	struct relayfs_buf *buf;
	unsigned long tail;
	unsigned int idx;
};

struct relayfs_chan *relayfs_open_attr(const char *base,
				       struct dentry *parent,
				       struct relayfs_attr *attr);
struct relayfs_chan *relayfs_open(const char *base, struct dentry *parent,
				  size_t subbuf_size, size_t n_subbufs,
				  bool overwrite,
				  const struct relayfs_callbacks *cb);
void relayfs_close(struct relayfs_chan *chan);
void relayfs_flush(struct relayfs_chan *chan);
int relayfs_reset(struct relayfs_chan *chan);

int relayfs_reserve(struct relayfs_chan *chan, size_t len,
		    struct relayfs_rsv *rsv);
void relayfs_commit(struct relayfs_rsv *rsv);
void relayfs_discard(struct relayfs_rsv *rsv);
int __relayfs_write(struct relayfs_chan *chan, const void *data, size_t len);
int relayfs_write(struct relayfs_chan *chan, const void *data, size_t len);

void relayfs_count_drops(struct relayfs_chan *chan, unsigned long records);

int relayfs_subbufs_consumed(struct relayfs_chan *chan, unsigned int cpu,
			     size_t n);
void relayfs_switch_subbuf(struct relayfs_chan *chan);
bool relayfs_buf_full(struct relayfs_chan *chan, unsigned int cpu);

void *relayfs_chan_private(struct relayfs_chan *chan);
unsigned int relayfs_buf_cpu(struct relayfs_buf *buf);

struct dentry *relayfs_create_dir(const char *name, struct dentry *parent);
void relayfs_remove_dir(struct dentry *dentry);
struct dentry *relayfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);
void relayfs_remove_file(struct dentry *dentry);

#endif /* _RELAYFS_RELAYFS_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Counters: the per-buffer snapshot behind RELAYFS_IOC_GET_STATS and the
 * per-channel text file <base>.stats.
 *
 * Writer counters are local_t on the buffer's CPU; reader counters are
 * read under the buffer's stats_lock, never its read_mutex: a reader may
 * hold that while it waits in a page fault (lock order: internal.h).
 * "unread" is not derived from the others: it is summed from the commit
 * counts of the sub-buffers between the reader's position and the write
 * head, so the two equations of include/uapi/linux/relayfs.h are real
 * checks.  A snapshot taken while writers run is approximate; at rest it
 * is exact.
 */
#include <linux/slab.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/cpumask.h>
#include "internal.h"

/* What lies between the reader's position @seq and the write head. */
static void rfs_count_unread(struct relayfs_buf *buf, u64 seq,
			     struct relayfs_buf_stats *st)
{
	unsigned long tail = local_read(&buf->tail);
	u64 head = READ_ONCE(buf->meta[rfs_tail_idx(tail)].seq);
	struct relayfs_lap lap;

	if (head == U64_MAX)
		return;			/* nothing written yet */
	for (; seq <= head && head - seq < buf->n_subbufs; seq++) {
		unsigned int idx = rfs_seq_idx(buf, seq);

		if (READ_ONCE(buf->meta[idx].seq) != seq)
			continue;
		relayfs_lap_of(buf, idx, local_read(&buf->commit[idx]), &lap);
		st->unread_records += lap.records;
		st->unread_bytes += lap.bytes;
	}
}

/**
 * relayfs_buf_stats - snapshot of a buffer's counters
 * @buf: the buffer
 * @st: filled in, padding zeroed
 *
 * Any process context, any lock held but the buffer's stats_lock: never
 * waits for the reader.
 */
void relayfs_buf_stats(struct relayfs_buf *buf, struct relayfs_buf_stats *st)
{
	u64 seq;

	memset(st, 0, sizeof(*st));
	st->version = RELAYFS_ABI_VERSION;
	st->cpu = buf->cpu;
	st->accepted_records = local_read(&buf->accepted_records);
	st->accepted_bytes = local_read(&buf->accepted_bytes);
	st->dropped_records = local_read(&buf->dropped_records);
	st->dropped_bytes = local_read(&buf->dropped_bytes);
	st->nested_records = local_read(&buf->nested_records);
	st->full_records = local_read(&buf->full_records);
	st->refused_records = local_read(&buf->refused_records);
	st->refused_bytes = local_read(&buf->refused_bytes);
	/* Not counted by the writers: what every attempt became. */
	st->attempted_records = st->accepted_records + st->dropped_records +
				st->refused_records;
	st->attempted_bytes = st->accepted_bytes + st->dropped_bytes +
			      st->refused_bytes;
	st->overwritten_records = local_read(&buf->overwritten_records);
	st->overwritten_bytes = local_read(&buf->overwritten_bytes);
	st->discarded_records = local_read(&buf->discarded_records);
	st->subbufs_produced = local_read(&buf->subbufs_produced);
	st->subbufs_overwritten = local_read(&buf->subbufs_overwritten);
	st->max_backlog = local_read(&buf->max_backlog);
	/* The reader's counters and its position (for unread) together. */
	spin_lock(&buf->stats_lock);
	st->consumed_records = buf->consumed_records;
	st->consumed_bytes = buf->consumed_bytes;
	st->subbufs_consumed = buf->subbufs_consumed;
	seq = atomic64_read(&buf->consumed);
	spin_unlock(&buf->stats_lock);
	rfs_count_unread(buf, seq, st);
}

#define RFS_FIELD(f) { #f, offsetof(struct relayfs_buf_stats, f) }

/* The counters of the text file, in column order. */
static const struct {
	const char *name;
	size_t off;
} rfs_fields[] = {
	RFS_FIELD(attempted_records), RFS_FIELD(attempted_bytes),
	RFS_FIELD(accepted_records), RFS_FIELD(accepted_bytes),
	RFS_FIELD(dropped_records), RFS_FIELD(dropped_bytes),
	RFS_FIELD(nested_records),
	RFS_FIELD(full_records),
	RFS_FIELD(refused_records), RFS_FIELD(refused_bytes),
	RFS_FIELD(consumed_records), RFS_FIELD(consumed_bytes),
	RFS_FIELD(overwritten_records), RFS_FIELD(overwritten_bytes),
	RFS_FIELD(unread_records), RFS_FIELD(unread_bytes),
	RFS_FIELD(discarded_records),
	RFS_FIELD(subbufs_produced), RFS_FIELD(subbufs_consumed),
	RFS_FIELD(subbufs_overwritten), RFS_FIELD(max_backlog),
};

static u64 *rfs_field(struct relayfs_buf_stats *st, unsigned int i)
{
	return (u64 *)((char *)st + rfs_fields[i].off);
}

/* One line: @who, then every counter; @total accumulates them. */
static size_t rfs_stats_line(char *p, size_t size, const char *who,
			     struct relayfs_buf_stats *st,
			     struct relayfs_buf_stats *total)
{
	size_t len = scnprintf(p, size, "%s", who);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rfs_fields); i++) {
		len += scnprintf(p + len, size - len, " %llu",
				 (unsigned long long)*rfs_field(st, i));
		if (total)
			*rfs_field(total, i) += *rfs_field(st, i);
	}
	return len + scnprintf(p + len, size - len, "\n");
}

/*
 * The text file: one header line naming the columns, one line per CPU,
 * one "total" line.  Rendered at open, so a reader sees one snapshot and
 * the file never touches the channel after open.
 */
static int relayfs_stats_open(struct inode *inode, struct file *file)
{
	struct relayfs_buf_stats *st, *total;
	struct relayfs_chan *chan;
	size_t size, len = 0;
	unsigned int cpu;
	char *text, who[16];
	int err = 0;

	size = (num_possible_cpus() + 2) * 512;
	text = kvmalloc(size, GFP_KERNEL);
	st = kmalloc(sizeof(*st) * 2, GFP_KERNEL);
	if (!text || !st) {
		err = -ENOMEM;
		goto out;
	}
	total = st + 1;
	memset(total, 0, sizeof(*total));
	mutex_lock(&relayfs_files_lock);
	chan = inode->i_private;
	if (!chan) {
		mutex_unlock(&relayfs_files_lock);
		err = -ENODEV;
		goto out;
	}
	len += scnprintf(text, size, "cpu");
	for (cpu = 0; cpu < ARRAY_SIZE(rfs_fields); cpu++)
		len += scnprintf(text + len, size - len, " %s",
				 rfs_fields[cpu].name);
	len += scnprintf(text + len, size - len, "\n");
	for_each_possible_cpu(cpu) {
		struct relayfs_buf *buf = *per_cpu_ptr(chan->bufs, cpu);

		/* No read_mutex under files_lock: see internal.h. */
		relayfs_buf_stats(buf, st);
		snprintf(who, sizeof(who), "%u", cpu);
		len += rfs_stats_line(text + len, size - len, who, st, total);
	}
	mutex_unlock(&relayfs_files_lock);
	rfs_stats_line(text + len, size - len, "total", total, NULL);
	file->private_data = text;
	kfree(st);
	return 0;
out:
	kfree(st);
	kvfree(text);
	return err;
}

static ssize_t relayfs_stats_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	const char *text = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, text, strlen(text));
}

static int relayfs_stats_release(struct inode *inode, struct file *file)
{
	kvfree(file->private_data);
	return 0;
}

const struct file_operations relayfs_stats_fops = {
	.owner		= THIS_MODULE,
	.open		= relayfs_stats_open,
	.read		= relayfs_stats_read,
	.release	= relayfs_stats_release,
	.llseek		= default_llseek,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's relay, pre-filled for the consumer benchmark
 * (bench/user/relay-drain-bench.c): at load, every online CPU writes
 * @records records of 4 KiB to its buffer of a relay channel on debugfs,
 * then the channel is flushed, so a reader finds every byte readable:
 *
 *   /sys/kernel/debug/relay_drain/cpuN
 *
 * drained with read(), as blktrace does.  Record i of CPU c is filled
 * with the byte (c + i) & 0xff, so the drain can check what it got.  The
 * buffers are sized to hold everything (1 MiB sub-buffers, 256 records
 * each, no padding); a write that still found them full fails the load.
 */
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/slab.h>
#include <linux/cpu.h>
#include "relay_debugfs.h"

#define DRAIN_RECORD	4096
#define DRAIN_SUBBUF	(1UL << 20)

static unsigned int records = 6000;
module_param(records, uint, 0444);
MODULE_PARM_DESC(records, "4 KiB records written per CPU at load");

static struct dentry *dir;
static struct rchan *chan;
static atomic_t full;

/* No overwrite: a full buffer drops, and the load fails. */
static int drain_subbuf_start(struct rchan_buf *buf, void *subbuf,
			      void *prev, size_t prev_padding)
{
	if (!relay_buf_full(buf))
		return 1;
	atomic_inc(&full);
	return 0;
}

static const struct rchan_callbacks drain_cb = {
	.subbuf_start = drain_subbuf_start,
	.create_buf_file = bench_relay_create,
	.remove_buf_file = bench_relay_remove,
};

/* On each CPU in turn (work_on_cpu): its records, in order. */
static long drain_fill(void *rec)
{
	unsigned int cpu = raw_smp_processor_id(), i;

	for (i = 0; i < records; i++) {
		memset(rec, (cpu + i) & 0xff, DRAIN_RECORD);
		relay_write(chan, rec, DRAIN_RECORD);
		cond_resched();
	}
	return 0;
}

static int __init drain_init(void)
{
	size_t n = DIV_ROUND_UP((size_t)records * DRAIN_RECORD, DRAIN_SUBBUF) + 1;
	unsigned int cpu;
	void *rec;

	rec = kmalloc(DRAIN_RECORD, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	dir = debugfs_create_dir("relay_drain", NULL);
	chan = relay_open("cpu", dir, DRAIN_SUBBUF, n, &drain_cb, NULL);
	if (!chan) {
		kfree(rec);
		debugfs_remove(dir);
		return -ENOMEM;
	}
	/* Pinned to each CPU in turn, none leaving meanwhile. */
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, drain_fill, rec);
	cpus_read_unlock();
	kfree(rec);
	/* The last sub-buffers become readable. */
	relay_flush(chan);
	if (!atomic_read(&full))
		return 0;
	pr_err("relay_drain: buffers full, %d sub-buffer starts refused\n",
	       atomic_read(&full));
	relay_close(chan);
	debugfs_remove(dir);
	return -ENOSPC;
}

static void __exit drain_exit(void)
{
	relay_close(chan);
	debugfs_remove(dir);
}

module_init(drain_init);
module_exit(drain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("the kernel's relay, pre-filled for relay-drain-bench");

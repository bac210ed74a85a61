// SPDX-License-Identifier: GPL-2.0
/*
 * Planted failures: each load makes the kernel report one class of problem,
 * quietly (at the lowest log level the report allows, while the suite keeps
 * the console quiet), so that `make check` can prove its harness fails the
 * suite for each class (tests/vm/planted/, docs/testing.md).  Never loaded
 * by a real suite.
 *
 *   what=warn      a WARN
 *   what=lockdep   two mutexes taken in both orders (lockdep kernels)
 *   what=sleep     might_sleep() with preemption off (DEBUG_ATOMIC_SLEEP)
 *   what=leak      an allocation nothing points to any more (kmemleak)
 *   what=kcsan     a data race on our own object, both accesses inside
 *                  kernel helpers (lib/bitmap.c), for secs seconds (KCSAN)
 *   what=oops      a NULL pointer dereference: the VM dies (oops=panic)
 *                  before the suite's kernel log is dumped, so only the
 *                  console can tell
 *
 * The module loads successfully in every case (the report is the point),
 * except for an unknown @what.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <relayfs/relayfs_objlog.h>

static char *what = "";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "the failure to plant: warn lockdep sleep leak kcsan oops");
static unsigned int secs = 10;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "how long the kcsan race runs");
static unsigned int nbits = 256;	/* a run-time size: out-of-line helpers */
module_param(nbits, uint, 0444);
static bool log_objects;
module_param(log_objects, bool, 0444);
MODULE_PARM_DESC(log_objects, "log allocations for the test harness");

static DEFINE_MUTEX(plant_a);
static DEFINE_MUTEX(plant_b);

static void plant_lockdep(void)
{
	mutex_lock(&plant_a);
	mutex_lock(&plant_b);
	mutex_unlock(&plant_b);
	mutex_unlock(&plant_a);
	/* The other order: a deadlock waiting for a second thread. */
	mutex_lock(&plant_b);
	mutex_lock(&plant_a);
	mutex_unlock(&plant_a);
	mutex_unlock(&plant_b);
}

static noinline void plant_oops(int *p)
{
	WRITE_ONCE(*p, 1);
}

static void plant_sleep(void)
{
	preempt_disable();
	might_sleep();
	preempt_enable();
}

static noinline void plant_leak(void)
{
	void *p = kmalloc(128, GFP_KERNEL);

	/* Forget it: kmemleak finds it unreferenced once it is old enough. */
	if (p)
		memset(p, 0x5a, 128);
}

struct plant_race {
	unsigned long *map;
	struct completion done[2];
	unsigned long until;
};

static int plant_writer(void *arg)
{
	struct plant_race *r = arg;

	while (time_before(jiffies, r->until)) {
		bitmap_set(r->map, 0, nbits);
		bitmap_clear(r->map, 0, nbits);
		cond_resched();
	}
	complete(&r->done[0]);
	return 0;
}

static int plant_reader(void *arg)
{
	struct plant_race *r = arg;
	unsigned long sum = 0;

	while (time_before(jiffies, r->until)) {
		sum += bitmap_weight(r->map, nbits);
		cond_resched();
	}
	pr_debug("relayfs_plant: weight sum %lu\n", sum);
	complete(&r->done[1]);
	return 0;
}

static int plant_kcsan(void)
{
	struct plant_race r;
	struct task_struct *t[2];
	size_t size = BITS_TO_LONGS(nbits) * sizeof(long);
	int i;

	r.map = kzalloc(size, GFP_KERNEL);
	if (!r.map)
		return -ENOMEM;
	relayfs_objlog_add(log_objects, "plant", r.map, size);
	init_completion(&r.done[0]);
	init_completion(&r.done[1]);
	r.until = jiffies + secs * HZ;
	t[0] = kthread_create(plant_writer, &r, "plant-writer");
	t[1] = kthread_create(plant_reader, &r, "plant-reader");
	for (i = 0; i < 2; i++) {
		if (IS_ERR(t[i]))
			complete(&r.done[i]);
		else {
			kthread_bind(t[i], i % num_online_cpus());
			wake_up_process(t[i]);
		}
	}
	wait_for_completion(&r.done[0]);
	wait_for_completion(&r.done[1]);
	relayfs_objlog_del(log_objects, r.map);
	kfree(r.map);
	return IS_ERR(t[0]) || IS_ERR(t[1]) ? -ENOMEM : 0;
}

static int __init plant_init(void)
{
	if (!strcmp(what, "warn"))
		WARN(1, "relayfs_plant: planted warning\n");
	else if (!strcmp(what, "lockdep"))
		plant_lockdep();
	else if (!strcmp(what, "sleep"))
		plant_sleep();
	else if (!strcmp(what, "leak"))
		plant_leak();
	else if (!strcmp(what, "kcsan"))
		return plant_kcsan();
	else if (!strcmp(what, "oops"))
		plant_oops(NULL);
	else
		return -EINVAL;
	return 0;
}

static void __exit plant_exit(void)
{
}

module_init(plant_init);
module_exit(plant_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("relayfs test harness: planted kernel reports");

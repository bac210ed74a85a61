// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel selftests of relayfs.ko's API, reported as KTAP at load time.
 *
 *   insmod relayfs_selftest.ko [only=TEST_NAME]
 */
#include <linux/module.h>
#include <linux/err.h>
#include <linux/delay.h>
#include <linux/atomic.h>
#include <relayfs/relayfs.h>
#include "ktap.h"

static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "run only the test of this exact name");

static const struct file_operations dummy_fops = {
	.owner = THIS_MODULE,
};

static int test_dir_and_file_lifecycle(void)
{
	struct dentry *dir, *file, *dup;

	dir = relayfs_create_dir("selftest_dir", NULL);
	KT_NOT_ERR(dir);
	file = relayfs_create_file("ctl", 0600, dir, NULL, &dummy_fops);
	KT_NOT_ERR(file);
	KT_EQ(d_inode(file)->i_mode, S_IFREG | 0600);

	dup = relayfs_create_file("ctl", 0600, dir, NULL, &dummy_fops);
	KT_ERRPTR(dup, EEXIST);
	dup = relayfs_create_dir("selftest_dir", NULL);
	KT_ERRPTR(dup, EEXIST);

	relayfs_remove_dir(dir);
	/* The name is free again at once. */
	dir = relayfs_create_dir("selftest_dir", NULL);
	KT_NOT_ERR(dir);
	relayfs_remove_dir(dir);
	return 0;
}

static int test_bad_names(void)
{
	KT_ERRPTR(relayfs_create_dir("", NULL), EINVAL);
	KT_ERRPTR(relayfs_create_dir("a/b", NULL), EINVAL);
	KT_ERRPTR(relayfs_create_dir(NULL, NULL), EINVAL);
	KT_ERRPTR(relayfs_create_file("f", 0400, NULL, NULL, NULL), EINVAL);
	return 0;
}

static int test_open_bad_geometry(void)
{
	struct relayfs_attr a = { .subbuf_size = 4096, .n_subbufs = 1 };

	KT_ERRPTR(relayfs_open_attr("st", NULL, &a), EINVAL);
	a.n_subbufs = 2;
	a.subbuf_size = 0;
	KT_ERRPTR(relayfs_open_attr("st", NULL, &a), EINVAL);
	/* Past the largest sub-buffer (and any product overflow). */
	a.subbuf_size = SIZE_MAX;
	a.n_subbufs = 2;
	KT_ERRPTR(relayfs_open_attr("st", NULL, &a), EINVAL);
	a.subbuf_size = 4096;
	a.header_size = 4096;
	KT_ERRPTR(relayfs_open_attr("st", NULL, &a), EINVAL);
	a.header_size = 0;
	/* "st1" + "0" would clash with "st" + "10". */
	KT_ERRPTR(relayfs_open_attr("st1", NULL, &a), EINVAL);
	KT_ERRPTR(relayfs_open_attr("", NULL, &a), EINVAL);
	KT_ERRPTR(relayfs_open_attr(NULL, NULL, &a), EINVAL);
	KT_ERRPTR(relayfs_open("st", NULL, 4096, 0, false, NULL), EINVAL);
	return 0;
}

/*
 * The longest base name is kept whole, one more is refused: a cut name
 * could end in a digit (the clash rule above) or take another's files.
 */
static int test_open_base_name_length(void)
{
	struct relayfs_attr a = { .subbuf_size = 4096, .n_subbufs = 2 };
	/* <base><cpu> and <base>.stats must fit in NAME_MAX. */
	static char base[NAME_MAX + 2], name[NAME_MAX + 2];
	const size_t longest = NAME_MAX - 17;
	struct relayfs_chan *c;
	struct dentry *d;

	memset(base, 'b', sizeof(base) - 1);
	base[longest] = '\0';
	c = relayfs_open_attr(base, NULL, &a);
	KT_NOT_ERR(c);
	/* Its files carry the whole name: that one is taken. */
	snprintf(name, sizeof(name), "%s.stats", base);
	d = relayfs_create_file(name, 0400, NULL, NULL, &dummy_fops);
	KT_ERRPTR(d, EEXIST);
	relayfs_close(c);

	/* One more, its last byte a digit: never cut to the longest. */
	base[longest] = '1';
	base[longest + 1] = '\0';
	KT_ERRPTR(relayfs_open_attr(base, NULL, &a), ENAMETOOLONG);
	base[longest] = 'b';
	KT_ERRPTR(relayfs_open_attr(base, NULL, &a), ENAMETOOLONG);
	base[NAME_MAX + 1] = '\0';
	KT_ERRPTR(relayfs_open_attr(base, NULL, &a), ENAMETOOLONG);
	return 0;
}

static int test_open_over_memory_cap(void)
{
	struct relayfs_attr a = { .subbuf_size = 1UL << 28,
				  .n_subbufs = 1UL << 20 };

	/* The largest geometry: 2^48 bytes per CPU, checked, not wrapped. */
	KT_ERRPTR(relayfs_open_attr("st", NULL, &a), ENOMEM);
	/* 64 MiB x 1024 per CPU is far over the default 512 MiB cap. */
	KT_ERRPTR(relayfs_open("st", NULL, 1UL << 26, 1024, false, NULL),
		  ENOMEM);
	return 0;
}

static int test_open_rounds_and_reports(void)
{
	struct relayfs_attr a = { .subbuf_size = 5000, .n_subbufs = 3 };
	struct relayfs_chan *c;

	c = relayfs_open_attr("st", NULL, &a);
	KT_NOT_ERR(c);
	KT_EQ(a.subbuf_size, 8192);
	KT_EQ(a.mode, 0400);
	KT_EQ(a.flush_interval_ms, 1000);
	/* The name is taken while the channel lives, free after close. */
	KT_ERRPTR(relayfs_open("st", NULL, 4096, 2, false, NULL), EEXIST);
	relayfs_close(c);
	c = relayfs_open("st", NULL, 100, 2, true, NULL);
	KT_NOT_ERR(c);
	relayfs_close(c);
	return 0;
}

static atomic_t delivered, full, started;

static void cb_start(struct relayfs_buf *buf, void *sb, u64 seq, void *p)
{
	memset(sb, 0xab, 8);
	atomic_inc(&started);
}

static void cb_deliver(struct relayfs_buf *buf, u64 seq, void *p)
{
	atomic_inc(&delivered);
}

static void cb_full(struct relayfs_buf *buf, void *p)
{
	atomic_inc(&full);
}

static const struct relayfs_callbacks cbs = {
	.subbuf_start = cb_start,
	.deliver = cb_deliver,
	.buf_full = cb_full,
};

/*
 * On one CPU: fill both sub-buffers, drop, see every callback, consume
 * from the kernel side, write again.
 */
static int test_callbacks_and_kernel_consumer(void)
{
	struct relayfs_attr a = {
		.subbuf_size = 4096, .n_subbufs = 2, .header_size = 8,
		.cb = &cbs,
	};
	struct relayfs_chan *c;
	struct relayfs_rsv rsv;
	char rec[64] = { 1 };
	unsigned int cpu;
	int i, ret, dropped = 0;

	atomic_set(&delivered, 0);
	atomic_set(&full, 0);
	atomic_set(&started, 0);
	c = relayfs_open_attr("st", NULL, &a);
	KT_NOT_ERR(c);
	cpu = get_cpu();
	/* (4096 - 8) / 64 = 63 records per sub-buffer. */
	for (i = 0; i < 130; i++) {
		ret = __relayfs_write(c, rec, sizeof(rec));
		if (ret == -ENOSPC)
			dropped++;
		else if (ret)
			break;
	}
	KT_EQ(ret == -ENOSPC ? 0 : ret, 0);
	KT_EQ(dropped, 130 - 126);
	KT_TRUE(relayfs_buf_full(c, cpu));
	/* Reserve/discard of the newest record gives the space back. */
	KT_EQ(relayfs_reserve(c, 64, &rsv), -ENOSPC);
	put_cpu();
	KT_EQ(atomic_read(&started), 2);
	/* Deferred callbacks: wait for the irq_work. */
	for (i = 0; i < 100 && atomic_read(&delivered) < 1; i++)
		msleep(20);
	/* The record that did not fit closed the second one too. */
	KT_EQ(atomic_read(&delivered), 2);
	KT_TRUE(atomic_read(&full) >= 1);

	/* Acking more than is complete fails and consumes nothing. */
	KT_EQ(relayfs_subbufs_consumed(c, cpu, 3), -EINVAL);
	KT_TRUE(relayfs_buf_full(c, cpu));
	KT_EQ(relayfs_subbufs_consumed(c, cpu, 1), 0);
	KT_EQ(relayfs_subbufs_consumed(c, nr_cpu_ids, 1), -EINVAL);
	cpu = get_cpu();
	KT_TRUE(!relayfs_buf_full(c, cpu));
	KT_EQ(__relayfs_write(c, rec, sizeof(rec)), 0);
	KT_EQ(atomic_read(&started), 3);
	/* A reservation discarded with nothing after it is given back. */
	KT_EQ(relayfs_reserve(c, 64, &rsv), 0);
	relayfs_discard(&rsv);
	KT_EQ(relayfs_reserve(c, 4096, &rsv), -E2BIG);
	KT_EQ(relayfs_reserve(c, 0, &rsv), -E2BIG);
	put_cpu();
	relayfs_close(c);
	return 0;
}

static int test_null_and_err_ptr_are_ignored(void)
{
	relayfs_close(NULL);
	relayfs_close(ERR_PTR(-EINVAL));
	relayfs_flush(NULL);
	KT_EQ(relayfs_reset(NULL), -EINVAL);
	KT_EQ(relayfs_subbufs_consumed(NULL, 0, 1), -EINVAL);
	relayfs_remove_dir(NULL);
	relayfs_remove_file(ERR_PTR(-ENOENT));
	return 0;
}

/* The client removes the channel's directory first: close still works. */
static int test_close_after_parent_removed(void)
{
	struct relayfs_chan *c;
	struct dentry *dir;

	dir = relayfs_create_dir("stgone", NULL);
	KT_NOT_ERR(dir);
	c = relayfs_open("st", dir, 4096, 2, false, NULL);
	KT_NOT_ERR(c);
	KT_EQ(relayfs_write(c, "x", 1), 0);
	relayfs_remove_dir(dir);
	relayfs_flush(c);
	relayfs_close(c);
	/* The names are free again. */
	dir = relayfs_create_dir("stgone", NULL);
	KT_NOT_ERR(dir);
	c = relayfs_open("st", dir, 4096, 2, false, NULL);
	KT_NOT_ERR(c);
	relayfs_close(c);
	relayfs_remove_dir(dir);
	return 0;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(test_open_bad_geometry),
	KTAP_CASE(test_open_base_name_length),
	KTAP_CASE(test_open_over_memory_cap),
	KTAP_CASE(test_open_rounds_and_reports),
	KTAP_CASE(test_callbacks_and_kernel_consumer),
	KTAP_CASE(test_null_and_err_ptr_are_ignored),
	KTAP_CASE(test_dir_and_file_lifecycle),
	KTAP_CASE(test_bad_names),
	KTAP_CASE(test_close_after_parent_removed),
};

static int __init selftest_init(void)
{
	ktap_run(cases, ARRAY_SIZE(cases), only);
	return 0;
}

static void __exit selftest_exit(void)
{
}

module_init(selftest_init);
module_exit(selftest_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("relayfs in-kernel selftests (KTAP)");

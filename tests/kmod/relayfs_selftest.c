// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel selftests of relayfs.ko's API, reported as KTAP at load time.
 *
 *   insmod relayfs_selftest.ko [only=SUBSTRING]
 */
#include <linux/module.h>
#include <linux/err.h>
#include <relayfs/relayfs.h>
#include "ktap.h"

static char *only;
module_param(only, charp, 0444);
MODULE_PARM_DESC(only, "run only the tests whose name contains this");

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

static const struct ktap_case cases[] = {
	KTAP_CASE(test_dir_and_file_lifecycle),
	KTAP_CASE(test_bad_names),
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

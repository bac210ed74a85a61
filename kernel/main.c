// SPDX-License-Identifier: GPL-2.0
/*
 * relayfs.ko: module entry points.
 */
#include <linux/module.h>
#include "internal.h"

static int __init relayfs_init(void)
{
	int err;

	err = relayfs_hotplug_init();
	if (err)
		return err;
	err = relayfs_fs_init();
	if (err)
		goto err_fs;
	return 0;

err_fs:
	relayfs_hotplug_exit();
	return err;
}

static void __exit relayfs_exit(void)
{
	relayfs_fs_exit();
	relayfs_hotplug_exit();
}

module_init(relayfs_init);
module_exit(relayfs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("relayfs: large amounts of data from kernel to user space");
MODULE_AUTHOR("The relayfs authors");

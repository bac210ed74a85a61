// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only injection points (include/relayfs/relayfs_inject.h), built
 * into relayfs-inject.ko only.
 */
#include <linux/kprobes.h>
#include <linux/rcupdate.h>
#include "internal.h"

static relayfs_inject_fn rfs_inject_hook;

void relayfs_inject_set(relayfs_inject_fn fn)
{
	WRITE_ONCE(rfs_inject_hook, fn);
	/* Writers call the hook with preemption disabled: wait them out. */
	if (!fn)
		synchronize_rcu();
}
EXPORT_SYMBOL_GPL(relayfs_inject_set);

notrace void relayfs_inject_point(struct relayfs_buf *buf,
				  enum relayfs_inject_point point)
{
	relayfs_inject_fn fn = READ_ONCE(rfs_inject_hook);

	if (fn)
		fn(buf->chan, point);
}
NOKPROBE_SYMBOL(relayfs_inject_point);

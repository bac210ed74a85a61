/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-only injection points of the write path.  A relayfs.ko built with
 * RELAYFS_INJECT=1 (scripts/build-modules.sh builds relayfs-inject.ko so)
 * calls a hook at each point below, on the writer's CPU, with preemption
 * disabled and from whatever context the writer runs in; the hook may
 * write to the channel itself, which is exactly what an interrupt landing
 * in that window does.  The shipped relayfs.ko has no hook and no cost:
 * find relayfs_inject_set() with symbol_get(), which fails there.
 */
#ifndef _RELAYFS_INJECT_H
#define _RELAYFS_INJECT_H

struct relayfs_chan;

enum relayfs_inject_point {
	RELAYFS_INJ_SLOW,	/* slow path, the tail just read */
	RELAYFS_INJ_RESERVED,	/* space reserved, record not yet copied */
	RELAYFS_INJ_COMMIT,	/* record copied, not yet committed */
	RELAYFS_INJ_COUNTED,	/* commit count added, completion not checked */
	RELAYFS_INJ_CLOSE,	/* about to close a full sub-buffer */
	RELAYFS_INJ_CLOSED,	/* closed, its padding not yet committed */
	RELAYFS_INJ_OPEN,	/* about to open the next sub-buffer */
	RELAYFS_INJ_OPENING,	/* inside the open, interrupts masked */
	RELAYFS_INJ_ENTRY,	/* a record past the nesting check, no space yet */
	RELAYFS_INJ_NR,
};

typedef void (*relayfs_inject_fn)(struct relayfs_chan *chan,
				  enum relayfs_inject_point point);

/* Set (or with NULL clear, waiting for running hooks) the one hook. */
void relayfs_inject_set(relayfs_inject_fn fn);

#endif

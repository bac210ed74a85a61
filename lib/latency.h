/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collector's latency bound (relay_app_opts.latency): how the kernel
 * part of it is split between the flush timer and RELAYFS_IOC_FLUSH.
 * Not installed.
 */
#ifndef RELAY_LATENCY_H
#define RELAY_LATENCY_H

#include <stdint.h>
#include <linux/relayfs.h>

/* Bounds of a latency (seconds): flush_ms of half of it is in range. */
#define RELAY_LATENCY_MIN	0.01
#define RELAY_LATENCY_MAX	120.0

struct relay_latency {
	double part;		/* P: the kernel's part, latency / 2 */
	double next;		/* the next check (CLOCK_MONOTONIC s) */
	struct relayfs_clocks anchor;
	int anchored;
};

/* The flush timer's bound for @latency: P in ms (0: no latency asked). */
unsigned int relay_latency_flush_ms(double latency);
void relay_latency_init(struct relay_latency *l, double latency, double now,
			const struct relayfs_clocks *anchor);
/* Milliseconds until the next check, at most @max_ms. */
int relay_latency_wait_ms(const struct relay_latency *l, double now,
			  int max_ms);
/* 1 if a check is due at @now (the next one is then scheduled). */
int relay_latency_due(struct relay_latency *l, double now);
/*
 * 1 if a buffer whose last sub-buffer closed at @last_close (local_clock()
 * ns, 0: none yet) may hold one opened P / 2 or more ago: flush it.
 */
int relay_latency_stale(const struct relay_latency *l, uint64_t last_close,
			double now);
/* RELAYFS_IOC_FLUSH on a per-CPU file: 0 or -errno. */
int relay_flush_fd(int fd);

#endif

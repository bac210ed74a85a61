// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kernel's part of the collector's latency bound (relay-collect(1)
 * --latency L): a record committed at t is in a complete sub-buffer by
 * t + P, P = L / 2, in two ways that both hold:
 *
 *  - the run's flush timer (relay-app "start ... flush_ms=P"): a
 *    no-overwrite buffer closes a sub-buffer at most P after its first
 *    record (plus a jiffy), whatever the collector does;
 *  - RELAYFS_IOC_FLUSH, for overwrite runs where no timer runs: every
 *    P / 2 the collector flushes each buffer whose current sub-buffer may
 *    have been open P / 2 or more, i.e. whose last sub-buffer closed that
 *    long ago (by the run's clock anchor; without one, every buffer).  A
 *    sub-buffer opened at o is flushed by the first check at or after
 *    o + P / 2, which comes by o + P.  Busy buffers, which close
 *    sub-buffers by themselves, are left alone.
 *
 * The other half of L is for the collector: waking, draining, the sink's
 * write() (and zstd's compression of that sub-buffer with -z).
 */
#include <errno.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include "latency.h"

unsigned int relay_latency_flush_ms(double latency)
{
	double ms = latency * 1000 / 2;

	if (!(latency > 0))
		return 0;
	if (ms < RELAYFS_FLUSH_MS_MIN)
		return RELAYFS_FLUSH_MS_MIN;
	if (ms > RELAYFS_FLUSH_MS_MAX)
		return RELAYFS_FLUSH_MS_MAX;
	return (unsigned int)ms;
}

void relay_latency_init(struct relay_latency *l, double latency, double now,
			const struct relayfs_clocks *anchor)
{
	l->part = latency / 2;
	l->next = now + l->part / 2;
	l->anchored = anchor != NULL;
	if (anchor)
		l->anchor = *anchor;
}

int relay_latency_wait_ms(const struct relay_latency *l, double now,
			  int max_ms)
{
	double ms = (l->next - now) * 1000;

	if (ms <= 0)
		return 0;
	return ms < max_ms ? (int)ms + 1 : max_ms;
}

int relay_latency_due(struct relay_latency *l, double now)
{
	if (now < l->next)
		return 0;
	l->next += l->part / 2;
	if (l->next <= now)	/* the loop was held up: from now on */
		l->next = now + l->part / 2;
	return 1;
}

int relay_latency_stale(const struct relay_latency *l, uint64_t last_close,
			double now)
{
	double local;

	if (!l->anchored || !last_close)
		return 1;
	/* local_clock() now, through the anchor's monotonic reading. */
	local = (double)l->anchor.local_ns +
		(now * 1e9 - (double)l->anchor.monotonic_ns);
	return local - (double)last_close >= l->part / 2 * 1e9;
}

int relay_flush_fd(int fd)
{
	return ioctl(fd, RELAYFS_IOC_FLUSH) ? -errno : 0;
}

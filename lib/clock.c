// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Clocks: relayfs stamps sub-buffers (and klog/tprintk their lines) with
 * the kernel's local_clock(); one paired reading of it and the POSIX
 * clocks (RELAYFS_IOC_GET_CLOCKS, docs/abi.md), an anchor, maps those
 * stamps onto CLOCK_BOOTTIME, CLOCK_MONOTONIC and CLOCK_REALTIME.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include "librelay.h"

/*
 * The best of a few readings: an interrupt or a preempted hypervisor
 * (qemu TCG on a loaded host) widens one reading's window; the one with
 * the smallest uncertainty is kept.
 */
#define RELAY_CLOCK_TRIES	5

int relay_clock_anchor(int fd, struct relayfs_clocks *anchor)
{
	struct relayfs_clocks c, best;
	int i;

	if (!anchor)
		return -EINVAL;
	for (i = 0; i < RELAY_CLOCK_TRIES; i++) {
		memset(&c, 0, sizeof(c));
		if (ioctl(fd, RELAYFS_IOC_GET_CLOCKS, &c))
			return -errno;
		if (!i || c.uncertainty_ns < best.uncertainty_ns)
			best = c;
	}
	*anchor = best;
	return 0;
}

int relay_clock_parse(const char *name, enum relay_clock *clock)
{
	static const struct {
		const char *name;
		enum relay_clock clock;
	} names[] = {
		{ "local", RELAY_CLOCK_LOCAL },
		{ "boot", RELAY_CLOCK_BOOT },
		{ "mono", RELAY_CLOCK_MONO },
		{ "real", RELAY_CLOCK_REAL },
	};
	unsigned int i;

	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i].name)) {
			*clock = names[i].clock;
			return 0;
		}
	}
	return -EINVAL;
}

const char *relay_clock_name(enum relay_clock clock)
{
	switch (clock) {
	case RELAY_CLOCK_LOCAL:
		return "local";
	case RELAY_CLOCK_BOOT:
		return "boot";
	case RELAY_CLOCK_MONO:
		return "mono";
	case RELAY_CLOCK_REAL:
		return "real";
	}
	return NULL;
}

int relay_clock_convert(const struct relayfs_clocks *anchor,
			enum relay_clock clock, uint64_t local_ns,
			int64_t *out)
{
	/* Two's complement: right for stamps before the anchor too. */
	int64_t delta;
	uint64_t base;

	if (!anchor || !anchor->version)
		return -EINVAL;
	delta = (int64_t)(local_ns - anchor->local_ns);
	switch (clock) {
	case RELAY_CLOCK_LOCAL:
		base = anchor->local_ns;
		break;
	case RELAY_CLOCK_BOOT:
		base = anchor->boottime_ns;
		break;
	case RELAY_CLOCK_MONO:
		base = anchor->monotonic_ns;
		break;
	case RELAY_CLOCK_REAL:
		base = anchor->realtime_ns;
		break;
	default:
		return -EINVAL;
	}
	if (base > INT64_MAX ||
	    (delta > 0 && (int64_t)base > INT64_MAX - delta))
		return -ERANGE;
	*out = (int64_t)base + delta;
	return 0;
}

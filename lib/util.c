// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sizes: parsing "64k"-style arguments and advising bigger buffers. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "librelay.h"

#define RELAY_MAX_SUBBUF	(256UL << 20)	/* relayfs' limit */
#define RELAY_MAX_SUBBUFS	(1UL << 20)
#define RELAY_ADVISE_MAX_N	64
/*
 * The advice holds at least this long at the offered rate: the worst
 * loss a short run saw is a thin sample of how long a collector can be
 * kept off its CPU (a few scheduler periods on a busy machine).
 */
#define RELAY_ADVISE_HOLD_MS	20
/* A sub-buffer holds at least this long of it: bounded wakeups. */
#define RELAY_ADVISE_SUBBUF_MS	1

int relay_parse_size(const char *s, size_t *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm': case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g': case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	}
	if (*end || v > SIZE_MAX / mul)
		return -EINVAL;
	*out = v * mul;
	return 0;
}

/* One counter of struct relayfs_buf_stats (at @off), over all CPUs. */
static uint64_t relay_run_sum(const struct relay_run *run, size_t off)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < run->ncpus; i++)
		n += *(const __u64 *)((const char *)&run->cpu[i].stats + off);
	return n;
}

uint64_t relay_run_dropped(const struct relay_run *run)
{
	return relay_run_sum(run, offsetof(struct relayfs_buf_stats,
					   dropped_records));
}

uint64_t relay_run_overwritten(const struct relay_run *run)
{
	return relay_run_sum(run, offsetof(struct relayfs_buf_stats,
					   subbufs_overwritten));
}

/* Bytes CPU @c lost in its worst span. */
static uint64_t relay_worst_bytes(const struct relay_run *run,
				  const struct relay_cpu_result *c)
{
	const struct relayfs_buf_stats *st = &c->stats;
	uint64_t per_record = st->dropped_records ?
			      st->dropped_bytes / st->dropped_records : 0;

	return c->worst.records * per_record +
	       c->worst.subbufs * run->subbuf_size;
}

/* Bytes per second CPU @c was offered (written, dropped or refused). */
static uint64_t relay_offered_rate(const struct relay_run *run,
				   const struct relay_cpu_result *c)
{
	if (run->elapsed <= 0)
		return 0;
	return (uint64_t)(c->stats.attempted_bytes / run->elapsed);
}

int relay_advise(const struct relay_run *run, size_t *subbuf_size,
		 size_t *n_subbufs)
{
	uint64_t buf = (uint64_t)run->subbuf_size * run->n_subbufs;
	uint64_t need = 0, factor = 1, peak = 0, rate, lost;
	size_t size = run->subbuf_size, n = run->n_subbufs;
	unsigned int i;

	/* Only a full buffer is cured by a bigger one. */
	if (!relay_run_sum(run, offsetof(struct relayfs_buf_stats,
					 full_records)) &&
	    !relay_run_overwritten(run))
		return 0;
	for (i = 0; i < run->ncpus; i++) {
		lost = relay_worst_bytes(run, &run->cpu[i]);
		rate = relay_offered_rate(run, &run->cpu[i]);
		if (2 * (buf + lost) > need)
			need = 2 * (buf + lost);
		if (rate * RELAY_ADVISE_HOLD_MS / 1000 > need)
			need = rate * RELAY_ADVISE_HOLD_MS / 1000;
		if (rate > peak)
			peak = rate;
	}
	while (factor < 2 || buf * factor < need)
		factor *= 2;
	/* Sub-buffers that hold a while of the load: fewer wakeups. */
	while (factor > 1 && size < peak * RELAY_ADVISE_SUBBUF_MS / 1000 &&
	       size * 2 <= RELAY_MAX_SUBBUF) {
		size *= 2;
		factor /= 2;
	}
	while (factor > 1 && n * 2 <= RELAY_ADVISE_MAX_N &&
	       n * 2 <= RELAY_MAX_SUBBUFS) {
		n *= 2;
		factor /= 2;
	}
	while (factor > 1 && size * 2 <= RELAY_MAX_SUBBUF) {
		size *= 2;
		factor /= 2;
	}
	*subbuf_size = size;
	*n_subbufs = n;
	return 1;
}

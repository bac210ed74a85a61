// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Arguments ("64KiB", "500ms"), the library's version, and advising
 * bigger buffers after a run that lost data.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "librelay.h"
#include "util.h"

#ifndef RELAY_VERSION
#error "RELAY_VERSION comes from the top-level VERSION file (see Makefile)"
#endif

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

const char *relay_version(void)
{
	return RELAY_VERSION;
}

static int relay_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Binary multiples: k/K, m/M, g/G alone or KiB/MiB/GiB (1024-based). */
int relay_parse_size(const char *s, size_t *out)
{
	static const struct {
		const char *suffix;
		unsigned long long mul;
	} units[] = {
		{ "", 1 },
		{ "k", 1ULL << 10 }, { "K", 1ULL << 10 }, { "KiB", 1ULL << 10 },
		{ "m", 1ULL << 20 }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
		{ "g", 1ULL << 30 }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
	};
	unsigned long long v;
	unsigned int i;
	char *end;

	/* strtoull would skip blanks and negate a sign: " -4096" wraps. */
	if (!s || !relay_isdigit(*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		if (v > SIZE_MAX / units[i].mul)
			return -EINVAL;
		*out = v * units[i].mul;
		return 0;
	}
	return -EINVAL;
}

/* The longest duration: what int64_t nanoseconds hold (292 years). */
#define RELAY_MAX_DURATION	9.2e9

/* "500ms", "30s", "5m", "1h", "1.5" (seconds): digits[.digits][unit]. */
int relay_parse_duration(const char *s, double *seconds)
{
	static const struct {
		const char *suffix;
		double mul;
	} units[] = {
		{ "", 1 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 },
		{ "h", 3600 },
	};
	const char *p = s;
	unsigned int i;
	char *end;
	double v;

	if (!s || !relay_isdigit(*p))
		return -EINVAL;
	while (relay_isdigit(*p))
		p++;
	if (*p == '.') {
		p++;
		if (!relay_isdigit(*p))
			return -EINVAL;
		while (relay_isdigit(*p))
			p++;
	}
	/* Only digits and one point up to p: strtod reads exactly them. */
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != p)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix))
			continue;
		v *= units[i].mul;
		if (!isfinite(v) || v > RELAY_MAX_DURATION)
			return -EINVAL;
		*seconds = v;
		return 0;
	}
	return -EINVAL;
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

uint64_t relay_loss_bytes(const struct relay_loss *l, size_t subbuf_size,
			  uint64_t record_bytes)
{
	return l->records * record_bytes + l->subbufs * (uint64_t)subbuf_size;
}

/*
 * Compared by bytes: a span of one overwritten sub-buffer must not
 * replace one of a thousand dropped records because its sub-buffer count
 * is larger.
 */
void relay_loss_keep_worst(struct relay_loss *worst,
			   const struct relay_loss *l, size_t subbuf_size,
			   uint64_t record_bytes)
{
	if (relay_loss_bytes(l, subbuf_size, record_bytes) >
	    relay_loss_bytes(worst, subbuf_size, record_bytes))
		*worst = *l;
}

/* Bytes CPU @c lost in its worst span. */
static uint64_t relay_worst_bytes(const struct relay_run *run,
				  const struct relay_cpu_result *c)
{
	const struct relayfs_buf_stats *st = &c->stats;
	uint64_t per_record = st->dropped_records ?
			      st->dropped_bytes / st->dropped_records : 0;

	return relay_loss_bytes(&c->worst, run->subbuf_size, per_record);
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

	/* The doubling below would never reach a need from nothing. */
	if (!size || !n)
		return -EINVAL;
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

// SPDX-License-Identifier: GPL-2.0
/*
 * Check one run relay-gather wrote from a fleet-pub run (run.sh):
 *
 *   fleet-check FILE RECORDS DROPPED
 *
 * Read through librelay's reader: one header, frames of each CPU in seq
 * order from 0 with none missing or twice, every record of every frame
 * the line fleet-pub wrote (CPU, seq, index: each exactly once), the
 * counters at the end with the SPEC equations exact, the records seen
 * plus the dropped ones equal to the attempted ones (RECORDS in all),
 * DROPPED records dropped ("-" any number, "+" at least one), and each
 * loss placed between two frames' times.  Prints what it found; exit 0
 * when all holds, 1 with the first thing that does not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "librelay.h"

#define MAXCPU	16

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	return 1;
}

int main(int argc, char **argv)
{
	struct relay_stream *s;
	struct relay_frame f;
	const struct relay_run_header *h;
	uint64_t next[MAXCPU] = { 0 }, drops[MAXCPU] = { 0 };
	uint64_t last_close[MAXCPU] = { 0 }, seen = 0, dropped = 0;
	uint64_t spans = 0, placed = 0, want_recs;
	unsigned int headers = 0, i, j;
	int ret;

	if (argc != 4)
		return fail("usage: fleet-check FILE RECORDS DROPPED");
	want_recs = strtoull(argv[2], NULL, 10);
	ret = relay_stream_open(argv[1], &s);
	if (ret)
		return fail("%s: %s", argv[1], strerror(-ret));
	while ((ret = relay_stream_next(s, &f)) > 0) {
		if (ret == 2) {
			if (headers++)
				return fail("a second run header");
			h = relay_stream_header(s);
			if (h->ncpus > MAXCPU)
				return fail("ncpus %u", h->ncpus);
			continue;
		}
		if (f.seq != next[f.cpu])
			return fail("cpu %u: seq %llu after %llu", f.cpu,
				    (unsigned long long)f.seq,
				    (unsigned long long)next[f.cpu]);
		next[f.cpu]++;
		if (f.drops < drops[f.cpu])
			return fail("cpu %u seq %llu: drops went down", f.cpu,
				    (unsigned long long)f.seq);
		if (f.drops > drops[f.cpu]) {
			/* a loss, between the last close and this open */
			if (f.t_open < last_close[f.cpu])
				return fail("cpu %u: a loss not in order",
					    f.cpu);
			spans++;
			placed += f.drops - drops[f.cpu];
			drops[f.cpu] = f.drops;
		}
		last_close[f.cpu] = f.t_close;
		/* Record by record: "c C s S r J" padded to the size. */
		if (!f.records || f.len % f.records)
			return fail("cpu %u seq %llu: %llu records in %zu bytes",
				    f.cpu, (unsigned long long)f.seq,
				    (unsigned long long)f.records, f.len);
		for (j = 0; j < f.records; j++) {
			size_t sz = f.len / f.records;
			const char *r = (const char *)f.payload + j * sz;
			char want[64];
			int n = snprintf(want, sizeof(want), "c %u s %llu r %u",
					 f.cpu, (unsigned long long)f.seq, j);

			if (memcmp(r, want, n) || r[n] != '.' ||
			    r[sz - 1] != '\n')
				return fail("cpu %u seq %llu record %u: '%.*s'",
					    f.cpu, (unsigned long long)f.seq, j,
					    n, r);
		}
		seen += f.records;
	}
	if (ret != 0)
		return fail("%s: the run does not end cleanly: %s", argv[1],
			    ret == -ENODATA ? "no end (unfinished)" :
			    relay_stream_error(s));
	if (!headers)
		return fail("no run header");
	for (i = 0; i < h->ncpus; i++) {
		struct relay_cpu_counters c;
		const struct relayfs_buf_stats *st = &c.stats;

		if (relay_stream_counters(s, i, &c))
			return fail("no counters for cpu %u", i);
		if (st->attempted_records != st->accepted_records +
		    st->dropped_records + st->refused_records)
			return fail("cpu %u: attempted != accepted + dropped + "
				    "refused", i);
		if (st->accepted_records != st->consumed_records +
		    st->overwritten_records + st->unread_records)
			return fail("cpu %u: accepted != consumed + "
				    "overwritten + unread", i);
		if (c.frames != next[i])
			return fail("cpu %u: %llu frames counted, %llu read", i,
				    (unsigned long long)c.frames,
				    (unsigned long long)next[i]);
		/* drops after the last frame: placed after its close */
		if (st->dropped_records > drops[i]) {
			spans++;
			placed += st->dropped_records - drops[i];
		}
		dropped += st->dropped_records;
		want_recs -= st->attempted_records;
	}
	if (want_recs)
		return fail("attempted records differ from %s", argv[2]);
	if (seen + dropped != strtoull(argv[2], NULL, 10))
		return fail("%llu records read + %llu dropped != %s",
			    (unsigned long long)seen,
			    (unsigned long long)dropped, argv[2]);
	if (placed != dropped)
		return fail("%llu drops placed in time, %llu counted",
			    (unsigned long long)placed,
			    (unsigned long long)dropped);
	if (!strcmp(argv[3], "+") ? !dropped :
	    strcmp(argv[3], "-") && dropped != strtoull(argv[3], NULL, 10))
		return fail("%llu records dropped, expected %s",
			    (unsigned long long)dropped, argv[3]);
	relay_stream_close(s);
	printf("records %llu read, %llu dropped in %llu spans placed in "
	       "time, every record once\n", (unsigned long long)seen,
	       (unsigned long long)dropped, (unsigned long long)spans);
	return 0;
}

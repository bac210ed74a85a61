/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A collected run, read through librelay's reader (relay_stream_*): the
 * one way the in-VM tests read relay-collect's output.
 */
#ifndef RFS_RUN_H
#define RFS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "librelay.h"
#include "rfstest.h"

struct run_frame {
	uint32_t flags;
	uint64_t seq, t_open, t_close, drops, records, bytes;
	size_t off, len;	/* in its CPU's data */
};

struct run_cpu {
	uint8_t *data;		/* its payloads, concatenated */
	size_t len, cap;
	struct run_frame *f;
	size_t nf, capf;
	bool have_ctr;
	struct relay_cpu_counters ctr;	/* from the run's end */
};

struct run_data {
	struct relay_run_header hdr;	/* the last header; strings below */
	char host[256], kernel[256], app[256], base[256], cmdline[1024];
	unsigned int files, headers, cpus_seen;
	int end;		/* 0 finished; -ENODATA never finished */
	char error[256];	/* the reader's, when end != 0 */
	uint32_t trailer_flags;	/* of the last trailer */
	uint64_t frames;
	struct run_cpu cpu[MAXCPU];
	uint8_t *all;		/* every payload in frame order */
	size_t all_len, all_cap;
	/* run_read_app(): the app kept, its index in the run */
	const char *want_app;
	unsigned int app_index;
};

/*
 * Read @paths in order (parts of one run, or runs) into @rd.  Returns 0
 * if the last ended cleanly, -ENODATA if it never finished, or the
 * reader's error (printed).
 */
int run_read_files(char *const paths[], unsigned int n, struct run_data *rd);
/*
 * The run relay-collect wrote in @dir for channel @base: <base>.relay,
 * <base>.relay.zst, or the rotated <base>.<N>.relay[.zst] in order.
 * @paths (may be NULL) gets the file names, for up to @max.
 */
int run_read(const char *dir, const char *base, struct run_data *rd);
/* The files of the run in @dir, in order; how many. */
unsigned int run_files(const char *dir, const char *base, char paths[][256],
		       unsigned int max);
/*
 * One app's part of a run of several (relay-collect APP1 APP2 ...) in
 * @dir, files <name>.relay...: its header, frames and counters (their
 * cpu made plain), as run_read() gives a run of that app alone.
 */
int run_read_app(const char *dir, const char *name, const char *app,
		 struct run_data *rd);
void run_free(struct run_data *rd);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A relayfs that exists only in this process, for host tests of the real
 * librelay objects: linked with -Wl,--wrap=open,read,write,ioctl,mmap,
 * munmap,close (Makefile), the library's calls on paths under FAKE_ROOT
 * reach the fake app and its per-CPU buffers here; everything else goes
 * to the real system calls.  Faults are injected per buffer.
 */
#ifndef FAKE_RELAYFS_H
#define FAKE_RELAYFS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/relayfs.h>

#define FAKE_ROOT	"/fake-relayfs"
#define FAKE_MAXCPU	8

struct fake_buf {
	/* set by the test */
	unsigned int total;	/* sub-buffers the writer produces in a run */
	int open_err;		/* open() of the file fails so */
	int consume_err, consume_err_at;	/* the Nth CONSUME fails so */
	int consume_err_times;	/* ... this many times (0: once) */
	int read_err, read_err_at;		/* the Nth read() */
	int getsub_err, getsub_err_at;		/* the Nth GET_SUBBUF */
	unsigned int lap_on_err;	/* overwrite: a failed call lets the
					 * writer overwrite up to this seq */
	bool missing;		/* no such file (not a possible CPU) */
	/* state */
	int fd;
	uint8_t *map;
	uint64_t pos;		/* next seq not acknowledged */
	uint64_t first_valid;	/* overwrite: older ones were overwritten */
	int consumes, reads, getsubs;
	struct relayfs_subbuf last;	/* of the last read() */
	uint64_t consumed_records, consumed_bytes;
};

struct fake_app {
	char name[128];
	unsigned int cpus;
	unsigned int subbuf_size, n_subbufs;
	bool overwrite;
	bool running, closed;
	bool clocks;		/* answer GET_CLOCKS (else ENOTTY) */
	unsigned int pace_ms;	/* a sub-buffer completes every pace_ms */
	double started;		/* CLOCK_MONOTONIC s of the start */
	struct fake_buf buf[FAKE_MAXCPU];
	int fd0_closes;		/* close(0) calls seen: never right */
	int ebadf_closes;	/* close() of a closed fd: never right */
	int stops;
};

extern struct fake_app fake;

/* A fresh app @name with @cpus buffers of @total sub-buffers each. */
void fake_reset(const char *name, unsigned int cpus, unsigned int total);
/* The bytes of sub-buffer @seq of @cpu, as the fake writer made them. */
unsigned int fake_subbuf_used(unsigned int cpu, uint64_t seq);
void fake_subbuf_fill(unsigned int cpu, uint64_t seq, uint8_t *p);
/* Records in each sub-buffer. */
#define FAKE_RECORDS	3

#endif

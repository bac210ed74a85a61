/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The flight recorder's snapshots, for collect.c (not installed). */
#ifndef RELAY_SNAPSHOT_H
#define RELAY_SNAPSHOT_H

#include <stdatomic.h>
#include "librelay.h"

/* A snapshot asked for by relay_run_snapshot(): async-signal-safe. */
struct relay_snap_req {
	atomic_int state;		/* 0 none, 1 being written, 2 ready */
	atomic_uint coalesced;		/* asked while one was pending */
	char reason[RELAY_TRIGGER_REASON_MAX];
};

void relay_snap_request(struct relay_snap_req *q, const char *reason);

/* What a snapshot run needs of the collector. */
struct relay_snap_env {
	const struct relay_app_opts *o;
	struct relay_run *run;
	struct relay_reader **readers;	/* run->ncpus, as run->cpu[] */
	int control, ep, wake;		/* ep holds the readers and wake */
	const struct relay_run_header *hdr;	/* the run's, a template */
	struct relay_snap_req *req;
	int (*should_stop)(void *arg);	/* Ctrl-C, duration */
	int (*tick)(void *arg);		/* every loop: progress, stats */
	void *arg;
};

/*
 * The snapshot run's loop, until stopped, max_snapshots, or the run
 * ended under it (the app went away); stops the app.  0 or -errno,
 * with run->error set.
 */
int relay_snap_loop(const struct relay_snap_env *env);

#endif

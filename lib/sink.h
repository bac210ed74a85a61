/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sinks' shared insides (not installed). */
#ifndef RELAY_SINK_H
#define RELAY_SINK_H

#include <pthread.h>
#include "librelay.h"

struct relay_sink {
	struct relay_sink_ops ops;
	void *ctx;
	/* A stage's next sink: what it reaches is what counts. */
	struct relay_sink *next;
	pthread_mutex_t lock;	/* counters and err: read by other threads */
	struct relay_sink_totals *cpu;	/* per CPU, counted after ops */
	unsigned int ncpus;
	unsigned int napps;		/* cpu[app * ncpus + cpu] */
	struct relay_sink_totals all;
	int failed;		/* the first error, sticky */
	char err[512];
	/* The run was aborted: writes must not block (relay_sink_aborted). */
	int (*aborted)(void *arg);
	void *abort_arg;
};

/*
 * Give @s and the sinks after it the run's abort test (collect.c): once
 * it is true, an output that does not take a write within a second is
 * given up (-ECANCELED) instead of blocking the run's end.
 */
void relay_sink_set_abort(struct relay_sink *s, int (*aborted)(void *),
			  void *arg);
int relay_sink_aborted(const struct relay_sink *s);

/* Record the error that failed @s ("path: strerror"), keep the first. */
int relay_sink_fail(struct relay_sink *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Files sinks: one more file written, or one deleted with its contents. */
void relay_sink_count_file(struct relay_sink *s, int deleted,
			   uint64_t frames, uint64_t records);
/*
 * Write the block(s) at @iov in one writev(2) to @fd: files get one call
 * per frame; a short write is completed (pipes) and 0 returned, or -errno.
 */
struct iovec;
int relay_writev_full(struct relay_sink *s, int fd, struct iovec *iov, int n);
/* The same after @done bytes of them were written. */
int relay_writev_rest(struct relay_sink *s, int fd, struct iovec *iov, int n,
		      size_t done);

/*
 * Write @n bytes to @fd whole, retrying EINTR and short writes, except
 * once the run of sink @s is aborted (-ECANCELED, see above).
 */
int relay_write_full(struct relay_sink *s, int fd, const void *p, size_t n);
/* mkdir -p */
int relay_mkdirs(const char *dir);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fleet collection through NATS JetStream (docs/fleet.md): the options,
 * the connection and stream (nats-conn.c), the publishing sink
 * (sink-nats.c) and its local spool (sink-spool.c).  Not part of
 * librelay.so: only the tools that talk to NATS link these and libnats.
 */
#ifndef RELAY_FLEET_H
#define RELAY_FLEET_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "librelay.h"

/* Exit status of the tools when the cluster refuses at start. */
#define RELAY_EXIT_NATS		4

struct relay_nats_opts {
	const char *url;	/* nats://h:p[,nats://h:p...]; tls:// too */
	const char *subject;	/* prefix, default "relayfs" */
	const char *stream;	/* default "RELAYFS" */
	const char *user, *password;
	const char *creds;	/* a .creds file (JWT and NKey seed) */
	const char *ca, *cert, *key;	/* TLS: CA, client chain and key */
	/* --create-stream and its settings (0: the server's default) */
	int create_stream;
	int replicas;
	const char *retention;	/* limits, interest, workqueue */
	double max_age;		/* s */
	int64_t max_bytes;
	/* producer */
	const char *spool;	/* spool directory */
	uint64_t spool_size;	/* bytes */
	unsigned int window;	/* unacknowledged frames, at most */
	double ack_timeout;	/* s: an ack later than this is a failure */
	double drain_timeout;	/* s: at the end, wait so long for the cluster */
	/* set by a signal handler: stop waiting on a full spool */
	const volatile sig_atomic_t *abort;
};

/* The long options both tools take, and their parser. */
enum {
	RELAY_NOPT_SUBJECT = 1000, RELAY_NOPT_STREAM, RELAY_NOPT_USER,
	RELAY_NOPT_PASSWORD, RELAY_NOPT_CREDS,
	RELAY_NOPT_CA, RELAY_NOPT_CERT, RELAY_NOPT_KEY,
	RELAY_NOPT_CREATE_STREAM, RELAY_NOPT_REPLICAS, RELAY_NOPT_RETENTION,
	RELAY_NOPT_MAX_AGE, RELAY_NOPT_MAX_BYTES, RELAY_NOPT_SPOOL,
	RELAY_NOPT_SPOOL_SIZE, RELAY_NOPT_WINDOW, RELAY_NOPT_ACK_TIMEOUT,
	RELAY_NOPT_DRAIN_TIMEOUT, RELAY_NOPT_END
};

extern const struct option relay_nats_longopts[];
void relay_nats_opts_init(struct relay_nats_opts *o);
/* One option: 0, or -EINVAL with a one-line reason in @err. */
int relay_nats_parse(struct relay_nats_opts *o, int opt, const char *arg,
		     char *err, size_t n);
/* After parsing: conflicts and missing values, as above. */
int relay_nats_check(const struct relay_nats_opts *o, char *err, size_t n);
/* A subject token from a host or app name ('.', '*', '>', blanks: '_'). */
void relay_nats_token(const char *s, char *tok, size_t n);
/* The options' help text. */
void relay_nats_usage(FILE *f, int producer);

/* The connection, its JetStream context, the stream checked or made. */
struct relay_nats;
/*
 * Connect and check the stream.  A refused credential or certificate,
 * no server, a missing stream or one with other settings: -errno with
 * the reason in @err (one line).
 */
int relay_nats_connect(const struct relay_nats_opts *o,
		       struct relay_nats **np, char *err, size_t n);
void relay_nats_close(struct relay_nats *nc);
/* libnats' handles (void: the header needs no nats.h) */
void *relay_nats_conn(struct relay_nats *nc);
void *relay_nats_js(struct relay_nats *nc);
/* Connected right now (not reconnecting). */
int relay_nats_up(struct relay_nats *nc);

/* What the publishing sink did. */
struct relay_nats_stats {
	uint64_t published, published_bytes;	/* acked, first try */
	uint64_t spooled, spooled_bytes;	/* written to the spool */
	uint64_t replayed;	/* spooled ones acked later */
	uint64_t left;		/* still in the spool at the end */
	uint64_t spool_full;	/* times draining stopped: spool full */
	double blocked;		/* s spent so */
	uint64_t outages;	/* times it switched to the spool */
	char spool_dir[4096];
};

/*
 * The sink publishing every message of a run to @nc's stream (header,
 * frames, end: docs/fleet.md), spooling when the cluster is away.
 */
int relay_sink_nats(struct relay_nats *nc, const struct relay_nats_opts *o,
		    struct relay_sink **sp, void **ctxp);
void relay_nats_sink_stats(void *ctx, struct relay_nats_stats *st);
const char *relay_nats_sink_error(void *ctx);
void relay_nats_stats_print(FILE *f, const struct relay_nats_stats *st,
			    int json);

/* relay-collect's output: connection, sink (behind zstd if @compress). */
struct relay_nats_out {
	struct relay_nats *conn;
	struct relay_sink *sink;
	void *ctx;		/* the NATS sink's, for its stats */
};
int relay_nats_out_open(const struct relay_nats_opts *o, int compress,
			struct relay_nats_out *out, char *err, size_t n);
void relay_nats_out_close(struct relay_nats_out *out);
/* @a's options and the NATS ones in one list (malloc'd). */
struct option *relay_nats_merge_longopts(const struct option *a);

/* ---- the spool (sink-spool.c) ---- */
struct relay_spool;
struct relay_spool_item {
	uint64_t pseq;
	unsigned int kind, cpu;
	uint64_t seq;
	uint8_t *body;		/* malloc'd by relay_spool_next */
	size_t len;
	int force;	/* beyond the size: already taken from the kernel */
};
/*
 * A spool in @dir for the run whose header block is @hdr: files
 * <base>.<run>.<N>.relay, each a part of the run in the run format (the
 * header, then message bodies), at most @max bytes on disk in all.
 */
int relay_spool_open(const char *dir, const char *name, const uint8_t *hdr,
		     size_t hdr_len, uint64_t max, struct relay_spool **sp);
/* Append one message: 0, -ENOSPC (full: nothing written), -errno. */
int relay_spool_add(struct relay_spool *s, const struct relay_spool_item *it);
/* The next message not yet sent (1), or none (0). */
int relay_spool_next(struct relay_spool *s, struct relay_spool_item *it);
/* Messages up to @pseq were acknowledged: their room is free again. */
int relay_spool_done(struct relay_spool *s, uint64_t pseq);
/* Send again from the oldest message not acknowledged. */
void relay_spool_rewind(struct relay_spool *s);
uint64_t relay_spool_count(const struct relay_spool *s);
uint64_t relay_spool_bytes(const struct relay_spool *s);
void relay_spool_close(struct relay_spool *s, int remove_empty);

/* Message kinds (the Relay-Kind header). */
enum { RELAY_MSG_RUN, RELAY_MSG_FRAME, RELAY_MSG_END };

#endif

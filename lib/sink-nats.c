// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The NATS sink: a run's messages published to a JetStream stream
 * (docs/fleet.md).  Message 0 is the run header, then one per frame,
 * then the end (counters and trailer): each body is those blocks of the
 * run format, so the consumer appends bodies and has a run file.  Every
 * message carries its producer sequence (Relay-Pseq) and a message id
 * the stream deduplicates on (host/run/app/cpu/seq).
 *
 * Publishing is asynchronous, at most --window messages unacknowledged;
 * each is kept until the stream acknowledged it.  A negative ack, one
 * later than --ack-timeout or a lost connection switches to the spool
 * (sink-spool.c): the unacknowledged ones, then every new message, go
 * there in order, and are replayed from it in order once the connection
 * is back; when the spool is empty again messages go straight out.  A
 * full spool blocks the frame call: the collector stops draining and the
 * kernel counts what it drops, placed in time by the next frame.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nats/nats.h>
#include "fleet.h"
#include "format.h"

enum { E_FREE, E_FLIGHT, E_ACKED };

struct ent {
	uint64_t pseq, seq;
	unsigned int kind, cpu;
	int state, spooled;
	double t;		/* when published */
	uint8_t *body;		/* direct ones: kept until acknowledged */
	size_t len;
};

struct nats_sink {
	struct relay_nats *n;
	jsCtx *js;
	struct relay_nats_opts o;
	char subj[800], id[800];	/* PREFIX.host.app, host/run/app */
	char host[256], app[256], base[256], run[33];
	uint8_t *hdr;
	size_t hdr_len;
	pthread_mutex_t lock;		/* ring states, nfailed: acks */
	pthread_cond_t cond;
	struct ent *ring;
	unsigned int w;
	uint64_t pseq;		/* the next message's */
	uint64_t acked;		/* all below were acknowledged */
	uint64_t sent;		/* all below were published (or spooled) */
	int nfailed;
	int spooling;
	double progress;	/* when an ack last moved the window on */
	struct relay_spool *spool;
	uint64_t frames, bytes;
	struct relay_nats_stats st;
	char err[512];
	int pub_any;		/* a message was handed to libnats */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int aborted(const struct nats_sink *s)
{
	return s->o.abort && __atomic_load_n(s->o.abort, __ATOMIC_RELAXED);
}

static int sink_fail(struct nats_sink *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sink_fail(struct nats_sink *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (!s->err[0]) {
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* libnats' thread: the stream's answer to one message. */
static void on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae,
		   void *arg)
{
	struct nats_sink *s = arg;
	const char *v = NULL;
	uint64_t pseq;
	struct ent *e;

	(void)js;
	if (natsMsgHeader_Get(m, "Relay-Pseq", &v) == NATS_OK && v) {
		pseq = strtoull(v, NULL, 10);
		pthread_mutex_lock(&s->lock);
		e = &s->ring[pseq % s->w];
		if (e->pseq == pseq && e->state == E_FLIGHT) {
			if (pa && !pae)
				e->state = E_ACKED;
			else
				s->nfailed++;
		}
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
	natsMsg_Destroy(m);
}

static const char *kind_name(unsigned int kind)
{
	return kind == RELAY_MSG_RUN ? "run" : kind == RELAY_MSG_END ? "end" :
	       "frame";
}

/* Publish message @e (its body @body) without waiting for the ack. */
static int publish(struct nats_sink *s, const struct ent *e,
		   const uint8_t *body)
{
	char subj[900], id[900], num[24];
	natsMsg *m = NULL;
	natsStatus st;

	if (e->kind == RELAY_MSG_FRAME) {
		snprintf(subj, sizeof(subj), "%s.%u", s->subj, e->cpu);
		snprintf(id, sizeof(id), "%s/%u/%llu", s->id, e->cpu,
			 (unsigned long long)e->seq);
	} else {
		snprintf(subj, sizeof(subj), "%s.run", s->subj);
		snprintf(id, sizeof(id), "%s/%s", s->id, kind_name(e->kind));
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->pseq);
	st = natsMsg_Create(&m, subj, NULL, (const char *)body, (int)e->len);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Relay-Pseq", num);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Relay-Kind", kind_name(e->kind));
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Relay-Host", s->host);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Relay-App", s->app);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Relay-Base", s->base);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, "Relay-Run", s->run);
	if (st == NATS_OK) {
		s->pub_any = 1;
		st = js_PublishMsgAsync(s->js, &m, NULL);
	}
	natsMsg_Destroy(m);	/* NULL once libnats took it */
	return st == NATS_OK ? 0 : -EIO;
}

/*
 * Forget what libnats still waits for: we resend it ourselves.  (Before
 * a first asynchronous publish, libnats 3.4 crashes in the call.)
 */
static void drop_pending(struct nats_sink *s)
{
	natsMsgList l = { 0 };

	if (!s->pub_any)
		return;
	if (js_PublishAsyncGetPendingList(&l, s->js) == NATS_OK)
		natsMsgList_Destroy(&l);
}

/* Move past the acknowledged messages at the window's start. */
static void advance(struct nats_sink *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->acked < s->sent) {
		struct ent *e = &s->ring[s->acked % s->w];

		if (e->pseq != s->acked || e->state != E_ACKED)
			break;
		if (e->kind == RELAY_MSG_FRAME) {
			if (e->spooled) {
				s->st.replayed++;
			} else {
				s->st.published++;
				s->st.published_bytes += e->len;
			}
		}
		free(e->body);
		e->body = NULL;
		e->state = E_FREE;
		s->acked++;
		s->progress = now();
	}
	pthread_mutex_unlock(&s->lock);
	if (s->spool && s->acked)
		relay_spool_done(s->spool, s->acked - 1);
}

/*
 * Something went wrong with what is in flight: a nack, or no ack for
 * --ack-timeout since the last one (or since the window was empty).
 */
static int in_trouble(struct nats_sink *s)
{
	int bad;

	pthread_mutex_lock(&s->lock);
	bad = s->nfailed || (s->acked < s->sent &&
			     now() - s->progress > s->o.ack_timeout);
	pthread_mutex_unlock(&s->lock);
	return bad || !relay_nats_up(s->n);
}

/* A message goes into the window: an empty one starts the clock. */
static void window_add(struct nats_sink *s, struct ent *slot,
		       const struct ent *e)
{
	pthread_mutex_lock(&s->lock);
	if (s->acked == s->sent)
		s->progress = now();
	*slot = *e;
	slot->state = E_FLIGHT;
	slot->t = now();
	s->sent = e->pseq + 1;
	pthread_mutex_unlock(&s->lock);
}

static int open_spool(struct nats_sink *s)
{
	char name[600];
	int err;

	if (s->spool)
		return 0;
	snprintf(name, sizeof(name), "%s.%s", s->base, s->run);
	snprintf(s->st.spool_dir, sizeof(s->st.spool_dir), "%s",
		 s->o.spool ? s->o.spool : "relay-spool");
	err = relay_spool_open(s->st.spool_dir, name, s->hdr, s->hdr_len,
			       s->o.spool_size, &s->spool);
	if (err)
		return sink_fail(s, err, "spool %s: %s", s->st.spool_dir,
				 strerror(-err));
	return 0;
}

/* Clear the window: what was in flight is resent from the spool. */
static void clear_window(struct nats_sink *s)
{
	uint64_t p;

	drop_pending(s);
	pthread_mutex_lock(&s->lock);
	for (p = s->acked; p < s->sent; p++) {
		struct ent *e = &s->ring[p % s->w];

		free(e->body);
		e->body = NULL;
		e->state = E_FREE;
	}
	s->nfailed = 0;
	s->sent = s->acked;
	pthread_mutex_unlock(&s->lock);
}

static int spool_add(struct nats_sink *s, const struct ent *e,
		     const uint8_t *body, int force);

/*
 * Direct -> spool: the window's messages into the spool, in order
 * (beyond its size if need be: they were taken from the kernel already,
 * at most a window's worth).
 */
static int go_spool(struct nats_sink *s)
{
	uint64_t p;
	int err;

	err = open_spool(s);
	if (err)
		return err;
	drop_pending(s);
	s->st.outages++;
	/*
	 * All of the window, the acknowledged ones behind a missing one
	 * too: the spool's messages follow each other without a gap, and
	 * one sent twice is dropped by the stream or the consumer.
	 */
	for (p = s->acked; p < s->sent; p++) {
		err = spool_add(s, &s->ring[p % s->w],
				s->ring[p % s->w].body, 1);
		if (err)
			return err;
	}
	clear_window(s);
	s->spooling = 1;
	return 0;
}

static int spool_add(struct nats_sink *s, const struct ent *e,
		     const uint8_t *body, int force)
{
	struct relay_spool_item it = {
		.pseq = e->pseq, .kind = e->kind, .cpu = e->cpu,
		.seq = e->seq, .body = (uint8_t *)body, .len = e->len,
		.force = force,
	};
	int err = relay_spool_add(s->spool, &it);

	if (err == -ENOSPC && !force)
		return err;
	if (err)
		return sink_fail(s, err, "spool %s: %s", s->st.spool_dir,
				 strerror(-err));
	if (e->kind == RELAY_MSG_FRAME) {
		s->st.spooled++;
		s->st.spooled_bytes += e->len;
	}
	return 0;
}

/* Spool mode: resend from the spool while the window has room. */
static int pump(struct nats_sink *s)
{
	struct relay_spool_item it;
	int ret = 0;

	advance(s);
	if (s->sent > s->acked && in_trouble(s)) {
		clear_window(s);
		relay_spool_rewind(s->spool);
	}
	if (!relay_nats_up(s->n))
		return 0;
	while (s->sent - s->acked < s->w &&
	       (ret = relay_spool_next(s->spool, &it)) == 1) {
		struct ent *e = &s->ring[it.pseq % s->w];
		struct ent n = { .pseq = it.pseq, .seq = it.seq,
				 .kind = it.kind, .cpu = it.cpu, .spooled = 1,
				 .len = it.len };

		window_add(s, e, &n);
		ret = publish(s, e, it.body);
		free(it.body);
		if (ret) {
			pthread_mutex_lock(&s->lock);
			s->nfailed++;
			pthread_mutex_unlock(&s->lock);
			break;
		}
	}
	if (ret < 0 && ret != -EIO)
		return sink_fail(s, ret, "spool %s: %s", s->st.spool_dir,
				 strerror(-ret));
	if (!relay_spool_count(s->spool) && s->acked == s->pseq)
		s->spooling = 0;	/* all caught up: straight out */
	return 0;
}

static void wait_a_little(struct nats_sink *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->lock);
	pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	pthread_mutex_unlock(&s->lock);
}

/* One message (its body ours to free): out, or to the spool. */
static int submit(struct nats_sink *s, unsigned int kind, unsigned int cpu,
		  uint64_t seq, uint8_t *body, size_t len)
{
	struct ent e = { .pseq = s->pseq++, .seq = seq, .kind = kind,
			 .cpu = cpu, .len = len, .body = body };
	double t0 = 0;
	int err;

again:
	if (!s->spooling) {
		double t = now();
		int full;

		advance(s);
		/*
		 * A full window that no ack moved on for 100 ms: the cluster
		 * is slow, spool (the drain must not wait).
		 */
		while ((full = e.pseq - s->acked >= s->w) && !in_trouble(s) &&
		       (now() - t < 0.1 || now() - s->progress < 0.1)) {
			wait_a_little(s);
			advance(s);
		}
		if (full || in_trouble(s)) {
			err = go_spool(s);
			if (err)
				goto out;
		}
	}
	if (!s->spooling) {
		struct ent *r = &s->ring[e.pseq % s->w];

		window_add(s, r, &e);
		if (publish(s, r, body)) {
			pthread_mutex_lock(&s->lock);
			s->nfailed++;
			pthread_mutex_unlock(&s->lock);
		}
		return 0;	/* the ring owns the body */
	}
	/*
	 * Spooling: in order behind what waits there; full: wait (an
	 * empty spool takes any message).  The spool replayed meanwhile:
	 * straight out.
	 */
	while ((err = spool_add(s, &e, body, 0)) == -ENOSPC) {
		if (!t0) {
			t0 = now();
			s->st.spool_full++;
		}
		if (aborted(s)) {
			err = sink_fail(s, -ECANCELED, "spool %s full, run "
					"aborted", s->st.spool_dir);
			break;
		}
		err = pump(s);
		if (err)
			break;
		if (!s->spooling) {
			s->st.blocked += now() - t0;
			goto again;
		}
		wait_a_little(s);
	}
	if (t0)
		s->st.blocked += now() - t0;
	if (!err)
		err = pump(s);
out:
	free(body);
	return err;
}

static int nats_begin(void *ctx, const struct relay_run_header *h)
{
	struct nats_sink *s = ctx;
	char host[256], app[256];
	uint64_t need;
	uint8_t *copy;
	unsigned int i;
	int err;

	snprintf(s->host, sizeof(s->host), "%s", h->host);
	snprintf(s->app, sizeof(s->app), "%s", h->app);
	snprintf(s->base, sizeof(s->base), "%s", h->base);
	for (i = 0; i < 16; i++)
		snprintf(s->run + 2 * i, 3, "%02x", h->run_id[i]);
	relay_nats_token(h->host, host, sizeof(host));
	relay_nats_token(h->app, app, sizeof(app));
	snprintf(s->subj, sizeof(s->subj), "%s.%s.%s", s->o.subject, host,
		 app);
	snprintf(s->id, sizeof(s->id), "%s/%s/%s", host, s->run, app);
	/*
	 * One sub-buffer's frame, compressed at worst (zstd's bound is
	 * below n + n/128 + 512), after a spool file's header must fit.
	 */
	need = (uint64_t)h->subbuf_size + h->subbuf_size / 128 + 512 +
	       RELAY_FRAME_HDR_LEN + 4096;
	if (s->o.spool_size < need)
		return sink_fail(s, -EINVAL, "--spool-size %llu is smaller "
				 "than one sub-buffer's frame: it needs %llu "
				 "bytes at least (sub-buffers of %u bytes)",
				 (unsigned long long)s->o.spool_size,
				 (unsigned long long)need, h->subbuf_size);
	free(s->hdr);
	s->hdr = NULL;
	err = relay_encode_run(h, &s->hdr, &s->hdr_len);
	if (err)
		return err;
	copy = malloc(s->hdr_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, s->hdr, s->hdr_len);
	return submit(s, RELAY_MSG_RUN, 0, 0, copy, s->hdr_len);
}

static int nats_frame(void *ctx, const struct relay_frame *f)
{
	struct nats_sink *s = ctx;
	size_t len = RELAY_FRAME_HDR_LEN + f->stored;
	uint8_t *b = malloc(len);

	if (!b)
		return -ENOMEM;
	relay_encode_frame(b, f, f->stored);
	memcpy(b + RELAY_FRAME_HDR_LEN, f->payload, f->stored);
	s->frames++;
	s->bytes += f->len;
	return submit(s, RELAY_MSG_FRAME, f->cpu, f->seq, b, len);
}

static int nats_end(void *ctx, const struct relay_cpu_counters *c,
		    unsigned int n, uint32_t flags)
{
	struct nats_sink *s = ctx;
	struct relay_trailer t = { .flags = flags, .frames = s->frames,
				   .bytes = s->bytes };
	double deadline = now() + s->o.drain_timeout;
	uint8_t *b;
	size_t len;
	int err = relay_encode_end(c, n, &t, &b, &len);

	if (err)
		return err;
	err = submit(s, RELAY_MSG_END, 0, 0, b, len);
	/* Wait for every ack, replaying the spool, until the deadline. */
	while (!err && s->acked < s->pseq && now() < deadline &&
	       !aborted(s)) {
		if (!s->spooling && in_trouble(s))
			err = go_spool(s);
		if (!err && s->spooling)
			err = pump(s);
		if (!err) {
			wait_a_little(s);
			advance(s);
		}
	}
	if (err)
		return err;
	if (s->acked < s->pseq) {
		if (!s->spooling && !go_spool(s))
			advance(s);
		s->st.left = s->spool ? relay_spool_count(s->spool) : 0;
		return sink_fail(s, -ETIMEDOUT, "the cluster took not all of "
				 "the run: %llu messages left in the spool %s",
				 (unsigned long long)(s->pseq - s->acked),
				 s->st.spool_dir);
	}
	return 0;
}

static void nats_destroy(void *ctx)
{
	struct nats_sink *s = ctx;
	unsigned int i;

	if (s->js) {
		drop_pending(s);
		jsCtx_Destroy(s->js);
	}
	for (i = 0; s->ring && i < s->w; i++)
		free(s->ring[i].body);
	/* A spool all acknowledged is removed; one with data stays. */
	relay_spool_close(s->spool, 1);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->ring);
	free(s->hdr);
	free(s);
}

static const struct relay_sink_ops nats_ops = {
	.size = sizeof(struct relay_sink_ops),
	.begin = nats_begin,
	.frame = nats_frame,
	.end = nats_end,
	.destroy = nats_destroy,
};

int relay_sink_nats(struct relay_nats *n, const struct relay_nats_opts *o,
		    struct relay_sink **sp, void **ctxp)
{
	struct nats_sink *s = calloc(1, sizeof(*s));
	jsOptions jo;
	int err;

	if (!s)
		return -ENOMEM;
	s->n = n;
	s->o = *o;
	s->w = o->window ? o->window : 256;
	s->ring = calloc(s->w, sizeof(*s->ring));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = s->w + 1;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = s;
	if (!s->ring) {
		nats_destroy(s);
		return -ENOMEM;
	}
	if (natsConnection_JetStream(&s->js, relay_nats_conn(n), &jo) !=
	    NATS_OK) {
		nats_destroy(s);
		return -EIO;
	}
	for (unsigned int i = 0; i < s->w; i++)
		s->ring[i].pseq = UINT64_MAX;
	err = relay_sink_new(&nats_ops, s, sp);
	if (err) {
		nats_destroy(s);
		return err;
	}
	*ctxp = s;
	return 0;
}

void relay_nats_sink_stats(void *ctx, struct relay_nats_stats *st)
{
	struct nats_sink *s = ctx;

	*st = s->st;
	if (s->spool)
		st->left = relay_spool_count(s->spool);
}

const char *relay_nats_sink_error(void *ctx)
{
	struct nats_sink *s = ctx;

	return s->err[0] ? s->err : NULL;
}

void relay_nats_stats_print(FILE *f, const struct relay_nats_stats *st,
			    int json)
{
	if (json) {
		fprintf(f, "{\"published\":%llu,\"published_bytes\":%llu,"
			"\"spooled\":%llu,\"spooled_bytes\":%llu,"
			"\"replayed\":%llu,\"left_in_spool\":%llu,"
			"\"outages\":%llu,\"spool_full\":%llu,"
			"\"blocked\":%.3f}",
			(unsigned long long)st->published,
			(unsigned long long)st->published_bytes,
			(unsigned long long)st->spooled,
			(unsigned long long)st->spooled_bytes,
			(unsigned long long)st->replayed,
			(unsigned long long)st->left,
			(unsigned long long)st->outages,
			(unsigned long long)st->spool_full, st->blocked);
		return;
	}
	fprintf(f, "nats: %llu frames to the cluster directly, %llu spooled "
		"(%llu replayed, %llu left in the spool), %llu outages\n",
		(unsigned long long)st->published,
		(unsigned long long)st->spooled,
		(unsigned long long)st->replayed,
		(unsigned long long)st->left,
		(unsigned long long)st->outages);
	if (st->spool_full)
		fprintf(f, "nats: the spool was full %llu times: draining "
			"stopped for %.3f s (the kernel's drops above)\n",
			(unsigned long long)st->spool_full, st->blocked);
}

int relay_nats_out_open(const struct relay_nats_opts *o, int compress,
			struct relay_nats_out *out, char *err, size_t n)
{
	struct relay_sink *nats;
	int e;

	memset(out, 0, sizeof(*out));
	e = relay_nats_connect(o, &out->conn, err, n);
	if (e)
		return e;
	e = relay_sink_nats(out->conn, o, &nats, &out->ctx);
	if (!e && compress > 0) {
		e = relay_sink_zstd(compress, 0, nats, &out->sink);
		if (e)
			relay_sink_free(nats);
	} else if (!e) {
		out->sink = nats;
	}
	if (e) {
		snprintf(err, n, "the NATS sink: %s", strerror(-e));
		relay_nats_close(out->conn);
		out->conn = NULL;
	}
	return e;
}

void relay_nats_out_close(struct relay_nats_out *out)
{
	relay_sink_free(out->sink);	/* the zstd stage frees the next */
	relay_nats_close(out->conn);
	memset(out, 0, sizeof(*out));
}

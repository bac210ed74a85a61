// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The run format's blocks (docs/format.md): every one a zstd skippable
 * frame with a tag, version, type and CRC-32, little-endian throughout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "format.h"

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c;
	unsigned int i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320U ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t relay_crc32(uint32_t crc, const void *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *b = p;

	pthread_once(&once, crc_init);
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/*
 * Version 1 for every block, but for the run headers of a run of several
 * apps (RELAY_HDR_APPS): 2, so that a version 1 reader refuses such a run
 * rather than take its apps' frames for one app's.
 */
void relay_block_seal(uint8_t *b, size_t len, unsigned int type)
{
	int v2 = type == RELAY_BLOCK_RUN &&
		 (relay_get32(b + RELAY_BLOCK_PREFIX) & RELAY_HDR_APPS);

	relay_put32(b, RELAY_BLOCK_MAGIC);
	relay_put32(b + 4, len - 8);
	relay_put32(b + 8, RELAY_BLOCK_TAG);
	relay_put16(b + 12, v2 ? 2 : 1);
	relay_put16(b + 14, type);
	relay_put32(b + 16, relay_block_crc(b, len));
}

uint32_t relay_block_crc(const uint8_t *b, size_t len)
{
	return relay_crc32(relay_crc32(0, b + 8, 8), b + RELAY_BLOCK_PREFIX,
			   len - RELAY_BLOCK_PREFIX);
}

void relay_encode_frame(uint8_t b[RELAY_FRAME_HDR_LEN],
			const struct relay_frame *f, uint64_t stored)
{
	uint8_t *p = b + RELAY_BLOCK_PREFIX;

	relay_put32(p, f->cpu);
	relay_put32(p + 4, f->flags);
	relay_put64(p + 8, f->seq);
	relay_put64(p + 16, f->t_open);
	relay_put64(p + 24, f->t_close);
	relay_put64(p + 32, f->drops);
	relay_put64(p + 40, f->records);
	relay_put64(p + 48, f->bytes);
	relay_put64(p + 56, f->len);
	relay_put64(p + 64, stored);
	relay_block_seal(b, RELAY_FRAME_HDR_LEN, RELAY_BLOCK_FRAME);
}

static const char *const *run_strings(const struct relay_run_header *h,
				      const char *v[7])
{
	v[0] = h->host;
	v[1] = h->kernel;
	v[2] = h->app;
	v[3] = h->base;
	v[4] = h->tool;
	v[5] = h->library;
	v[6] = h->cmdline;
	return v;
}

#define RUN_FIXED	(RELAY_BLOCK_PREFIX + 96U)
/* The trigger after the strings (RELAY_HDR_SNAPSHOT): fixed, reason. */
#define RUN_TRIGGER	48U

static void encode_trigger(uint8_t *p, const struct relay_trigger *t,
			   size_t n)
{
	relay_put32(p, t->kind);
	relay_put32(p + 4, t->cpu);
	relay_put32(p + 8, t->context);
	relay_put32(p + 12, t->flags);
	relay_put64(p + 16, t->seq);
	relay_put64(p + 24, t->time_ns);
	relay_put64(p + 32, t->kernel_seq);
	relay_put64(p + 40, t->missed);
	relay_put16(p + RUN_TRIGGER, n);
	memcpy(p + RUN_TRIGGER + 2, t->reason, n);
}

/* 0, or -EBADMSG if the section does not fit in the block. */
static int decode_trigger(const uint8_t *b, size_t pos, size_t len,
			  struct relay_trigger *t)
{
	const uint8_t *p = b + pos;
	size_t n;

	if (pos + RUN_TRIGGER + 2 > len)
		return -EBADMSG;
	t->kind = relay_get32(p);
	t->cpu = relay_get32(p + 4);
	t->context = relay_get32(p + 8);
	t->flags = relay_get32(p + 12);
	t->seq = relay_get64(p + 16);
	t->time_ns = relay_get64(p + 24);
	t->kernel_seq = relay_get64(p + 32);
	t->missed = relay_get64(p + 40);
	n = relay_get16(p + RUN_TRIGGER);
	if (n >= sizeof(t->reason) || pos + RUN_TRIGGER + 2 + n > len ||
	    memchr(p + RUN_TRIGGER + 2, '\0', n))
		return -EBADMSG;
	memcpy(t->reason, p + RUN_TRIGGER + 2, n);
	t->reason[n] = '\0';
	return 0;
}

int relay_encode_run(const struct relay_run_header *h, uint8_t **bp,
		     size_t *lenp)
{
	const char *v[7];
	size_t len = RUN_FIXED, n[7], nr = 0;
	uint8_t *b, *p;
	unsigned int i;

	run_strings(h, v);
	for (i = 0; i < 7; i++) {
		n[i] = v[i] ? strlen(v[i]) : 0;
		if (n[i] > 0xffff)
			n[i] = 0xffff;	/* a command line that long: cut */
		len += 2 + n[i];
	}
	if (h->flags & RELAY_HDR_SNAPSHOT) {
		nr = strnlen(h->trigger.reason, sizeof(h->trigger.reason) - 1);
		len += RUN_TRIGGER + 2 + nr;
	}
	if (len > RELAY_BLOCK_MAX)
		return -E2BIG;
	b = calloc(1, len);
	if (!b)
		return -ENOMEM;
	p = b + RELAY_BLOCK_PREFIX;
	relay_put32(p, h->flags);
	relay_put32(p + 4, h->file_index);
	relay_put32(p + 8, h->ncpus);
	relay_put32(p + 12, h->subbuf_size);
	relay_put32(p + 16, h->n_subbufs);
	if (h->flags & RELAY_HDR_APPS) {
		relay_put16(p + 20, h->app_index);
		relay_put16(p + 22, h->napps);
	}
	memcpy(p + 24, h->run_id, 16);
	relay_put64(p + 40, h->start_ns);
	relay_put32(p + 48, h->anchor.version);
	relay_put32(p + 52, h->anchor.cpu);
	relay_put64(p + 56, h->anchor.local_ns);
	relay_put64(p + 64, h->anchor.realtime_ns);
	relay_put64(p + 72, h->anchor.monotonic_ns);
	relay_put64(p + 80, h->anchor.boottime_ns);
	relay_put64(p + 88, h->anchor.uncertainty_ns);
	p = b + RUN_FIXED;
	for (i = 0; i < 7; i++) {
		relay_put16(p, n[i]);
		if (n[i])
			memcpy(p + 2, v[i], n[i]);
		p += 2 + n[i];
	}
	if (h->flags & RELAY_HDR_SNAPSHOT)
		encode_trigger(p, &h->trigger, nr);
	relay_block_seal(b, len, RELAY_BLOCK_RUN);
	*bp = b;
	*lenp = len;
	return 0;
}

void relay_reindex_runs(uint8_t *b, size_t len, uint32_t index)
{
	size_t pos = 0;

	while (pos + RELAY_BLOCK_PREFIX + 8 <= len) {
		size_t n = 8 + relay_get32(b + pos + 4);

		relay_put32(b + pos + RELAY_BLOCK_PREFIX + 4, index);
		relay_block_seal(b + pos, n, RELAY_BLOCK_RUN);
		pos += n;
	}
}

void relay_encode_trailer(uint8_t b[RELAY_TRAILER_LEN],
			  const struct relay_trailer *t)
{
	uint8_t *p = b + RELAY_BLOCK_PREFIX;

	memset(b, 0, RELAY_TRAILER_LEN);
	relay_put32(p, t->flags);
	relay_put64(p + 8, t->frames);
	relay_put64(p + 16, t->bytes);
	relay_put64(p + 24, t->end_ns);
	relay_block_seal(b, RELAY_TRAILER_LEN, RELAY_BLOCK_TRAILER);
}

int relay_encode_end(const struct relay_cpu_counters *c, unsigned int n,
		     struct relay_trailer *t, uint8_t **bp, size_t *lenp)
{
	size_t len = (size_t)n * RELAY_STATS_LEN + RELAY_TRAILER_LEN;
	uint8_t *b = malloc(len);
	struct timespec ts;
	unsigned int i;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		relay_encode_stats(b + (size_t)i * RELAY_STATS_LEN, &c[i]);
	clock_gettime(CLOCK_REALTIME, &ts);
	t->end_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	relay_encode_trailer(b + (size_t)n * RELAY_STATS_LEN, t);
	*bp = b;
	*lenp = len;
	return 0;
}

/* The counters of a CPU counters block, in their order on disk. */
static void stats_fields(const struct relay_cpu_counters *c, uint64_t v[])
{
	const struct relayfs_buf_stats *s = &c->stats;
	unsigned int i = 0;

	v[i++] = s->attempted_records;
	v[i++] = s->attempted_bytes;
	v[i++] = s->accepted_records;
	v[i++] = s->accepted_bytes;
	v[i++] = s->dropped_records;
	v[i++] = s->dropped_bytes;
	v[i++] = s->nested_records;
	v[i++] = s->refused_records;
	v[i++] = s->refused_bytes;
	v[i++] = s->consumed_records;
	v[i++] = s->consumed_bytes;
	v[i++] = s->overwritten_records;
	v[i++] = s->overwritten_bytes;
	v[i++] = s->unread_records;
	v[i++] = s->unread_bytes;
	v[i++] = s->discarded_records;
	v[i++] = s->subbufs_produced;
	v[i++] = s->subbufs_consumed;
	v[i++] = s->subbufs_overwritten;
	v[i++] = s->max_backlog;
	v[i++] = s->full_records;
	v[i++] = c->frames;
	v[i++] = c->bytes;
}

void relay_encode_stats(uint8_t b[RELAY_STATS_LEN],
			const struct relay_cpu_counters *c)
{
	uint64_t v[RELAY_STATS_N];
	uint8_t *p = b + RELAY_BLOCK_PREFIX;
	unsigned int i;

	stats_fields(c, v);
	relay_put32(p, c->cpu);
	relay_put32(p + 4, RELAY_STATS_N);
	for (i = 0; i < RELAY_STATS_N; i++)
		relay_put64(p + 8 + 8 * i, v[i]);
	relay_block_seal(b, RELAY_STATS_LEN, RELAY_BLOCK_STATS);
}

/*
 * Copy the body of a block of @len bytes into @body, zero-filled to @want
 * bytes: fields a later version appended are ignored, fields an earlier
 * one lacked read as zero.
 */
static const uint8_t *body(const uint8_t *b, size_t len, uint8_t *buf,
			   size_t want)
{
	size_t have = len - RELAY_BLOCK_PREFIX;

	memset(buf, 0, want);
	memcpy(buf, b + RELAY_BLOCK_PREFIX, have < want ? have : want);
	return buf;
}

int relay_decode_frame(const uint8_t *b, size_t len, struct relay_frame *f,
		       uint64_t *stored)
{
	uint8_t buf[RELAY_FRAME_HDR_LEN - RELAY_BLOCK_PREFIX];
	const uint8_t *p = body(b, len, buf, sizeof(buf));

	memset(f, 0, sizeof(*f));
	f->cpu = relay_get32(p);
	f->flags = relay_get32(p + 4);
	f->seq = relay_get64(p + 8);
	f->t_open = relay_get64(p + 16);
	f->t_close = relay_get64(p + 24);
	f->drops = relay_get64(p + 32);
	f->records = relay_get64(p + 40);
	f->bytes = relay_get64(p + 48);
	if (relay_get64(p + 56) > RELAY_MAX_PAYLOAD)
		return -EBADMSG;
	f->len = relay_get64(p + 56);
	*stored = relay_get64(p + 64);
	return 0;
}

int relay_decode_run(const uint8_t *b, size_t len, struct relay_run_header *h,
		     char *strs)
{
	uint8_t buf[RUN_FIXED - RELAY_BLOCK_PREFIX];
	const uint8_t *p = body(b, len, buf, sizeof(buf));
	const char **v[7] = { &h->host, &h->kernel, &h->app, &h->base,
			      &h->tool, &h->library, &h->cmdline };
	size_t pos = RUN_FIXED, n;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->version = relay_get16(b + 12);
	h->flags = relay_get32(p);
	h->file_index = relay_get32(p + 4);
	h->ncpus = relay_get32(p + 8);
	h->subbuf_size = relay_get32(p + 12);
	h->n_subbufs = relay_get32(p + 16);
	h->napps = 1;
	if (h->flags & RELAY_HDR_APPS) {
		h->app_index = relay_get16(p + 20);
		h->napps = relay_get16(p + 22);
		if (h->app_index >= h->napps)
			return -EBADMSG;
	}
	memcpy(h->run_id, p + 24, 16);
	h->start_ns = relay_get64(p + 40);
	h->anchor.version = relay_get32(p + 48);
	h->anchor.cpu = relay_get32(p + 52);
	h->anchor.local_ns = relay_get64(p + 56);
	h->anchor.realtime_ns = relay_get64(p + 64);
	h->anchor.monotonic_ns = relay_get64(p + 72);
	h->anchor.boottime_ns = relay_get64(p + 80);
	h->anchor.uncertainty_ns = relay_get64(p + 88);
	for (i = 0; i < 7; i++) {
		*v[i] = strs;
		if (pos + 2 > len) {	/* an older writer's: empty */
			*strs++ = '\0';
			continue;
		}
		n = relay_get16(b + pos);
		if (pos + 2 + n > len)
			return -EBADMSG;
		memcpy(strs, b + pos + 2, n);
		if (memchr(strs, '\0', n))
			return -EBADMSG;
		strs[n] = '\0';
		strs += n + 1;
		pos += 2 + n;
	}
	if (h->flags & RELAY_HDR_SNAPSHOT)
		return decode_trigger(b, pos, len, &h->trigger);
	return 0;
}

int relay_decode_trailer(const uint8_t *b, size_t len,
			 struct relay_trailer *t)
{
	uint8_t buf[RELAY_TRAILER_LEN - RELAY_BLOCK_PREFIX];
	const uint8_t *p = body(b, len, buf, sizeof(buf));

	memset(t, 0, sizeof(*t));
	t->flags = relay_get32(p);
	t->frames = relay_get64(p + 8);
	t->bytes = relay_get64(p + 16);
	t->end_ns = relay_get64(p + 24);
	return 0;
}

int relay_decode_stats(const uint8_t *b, size_t len,
		       struct relay_cpu_counters *c)
{
	uint8_t buf[RELAY_STATS_LEN - RELAY_BLOCK_PREFIX];
	const uint8_t *p = body(b, len, buf, sizeof(buf));
	struct relayfs_buf_stats *s = &c->stats;
	uint64_t v[RELAY_STATS_N];
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->cpu = relay_get32(p);
	for (i = 0; i < RELAY_STATS_N; i++)
		v[i] = relay_get64(p + 8 + 8 * i);
	i = 0;
	s->version = RELAYFS_ABI_VERSION;
	s->cpu = RELAY_CPU_OF(c->cpu);
	s->attempted_records = v[i++];
	s->attempted_bytes = v[i++];
	s->accepted_records = v[i++];
	s->accepted_bytes = v[i++];
	s->dropped_records = v[i++];
	s->dropped_bytes = v[i++];
	s->nested_records = v[i++];
	s->refused_records = v[i++];
	s->refused_bytes = v[i++];
	s->consumed_records = v[i++];
	s->consumed_bytes = v[i++];
	s->overwritten_records = v[i++];
	s->overwritten_bytes = v[i++];
	s->unread_records = v[i++];
	s->unread_bytes = v[i++];
	s->discarded_records = v[i++];
	s->subbufs_produced = v[i++];
	s->subbufs_consumed = v[i++];
	s->subbufs_overwritten = v[i++];
	s->max_backlog = v[i++];
	s->full_records = v[i++];
	c->frames = v[i++];
	c->bytes = v[i++];
	return 0;
}

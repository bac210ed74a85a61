/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The run format's blocks (docs/format.md): encoding and decoding, shared
 * by the writer (sinks) and the reader (stream.c).  Not installed.
 */
#ifndef RELAY_FORMAT_H
#define RELAY_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "librelay.h"

#define RELAY_BLOCK_MAGIC	0x184D2A5BU	/* zstd skippable frame */
#define RELAY_BLOCK_TAG		0x46594c52U	/* "RLYF" */
#define RELAY_BLOCK_MIN		16U		/* size: tag .. crc, body */
#define RELAY_BLOCK_MAX		(1U << 20)
#define RELAY_BLOCK_PREFIX	20U		/* magic .. crc */

enum relay_block_type {
	RELAY_BLOCK_RUN = 1,
	RELAY_BLOCK_FRAME = 2,
	RELAY_BLOCK_STATS = 3,
	RELAY_BLOCK_TRAILER = 4,
};

#define RELAY_FRAME_HDR_LEN	(RELAY_BLOCK_PREFIX + 72U)
#define RELAY_TRAILER_LEN	(RELAY_BLOCK_PREFIX + 32U)
#define RELAY_STATS_N		23U
#define RELAY_STATS_LEN		(RELAY_BLOCK_PREFIX + 8U + 8U * RELAY_STATS_N)
#define RELAY_MAX_PAYLOAD	(1ULL << 30)
/* A run header's ncpus beyond this is corrupt (Linux: NR_CPUS <= 8192). */
#define RELAY_MAX_CPUS		65536U

/*
 * Follow @s (lib/follow.c): at the end of a regular file, or when a pipe
 * (made non-blocking) has nothing, relay_stream_next() returns -EAGAIN
 * and may be called again once more data is there.  1: @s is a file,
 * 2: a pipe or the like (poll(2) it), or -errno.
 */
int relay_stream_follow(struct relay_stream *s);
int relay_stream_fd(const struct relay_stream *s);
/* A trailer was the last block read. */
int relay_stream_ended(const struct relay_stream *s);

uint32_t relay_crc32(uint32_t crc, const void *p, size_t n);
/* A block's CRC: tag, version, type, then the body. */
uint32_t relay_block_crc(const uint8_t *b, size_t len);

static inline void relay_put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void relay_put32(uint8_t *p, uint32_t v)
{
	relay_put16(p, v);
	relay_put16(p + 2, v >> 16);
}

static inline void relay_put64(uint8_t *p, uint64_t v)
{
	relay_put32(p, v);
	relay_put32(p + 4, v >> 32);
}

static inline uint16_t relay_get16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t relay_get32(const uint8_t *p)
{
	return relay_get16(p) | (uint32_t)relay_get16(p + 2) << 16;
}

static inline uint64_t relay_get64(const uint8_t *p)
{
	return relay_get32(p) | (uint64_t)relay_get32(p + 4) << 32;
}

/* Fill in magic, size, tag, version, type and crc of a whole block. */
void relay_block_seal(uint8_t *b, size_t len, unsigned int type);

/* The frame header block of @f, whose payload has @stored bytes. */
void relay_encode_frame(uint8_t b[RELAY_FRAME_HDR_LEN],
			const struct relay_frame *f, uint64_t stored);
/* The run header block, malloc'ed into *@bp. */
int relay_encode_run(const struct relay_run_header *h, uint8_t **bp,
		     size_t *lenp);
/* Set file_index in @len bytes of run header blocks, and reseal them. */
void relay_reindex_runs(uint8_t *b, size_t len, uint32_t index);
void relay_encode_trailer(uint8_t b[RELAY_TRAILER_LEN],
			  const struct relay_trailer *t);
/*
 * A run's end: @n CPU counters blocks and the trailer (@t, its end_ns
 * set to now) in one malloc'd buffer *@bp of *@lenp bytes.
 */
int relay_encode_end(const struct relay_cpu_counters *c, unsigned int n,
		     struct relay_trailer *t, uint8_t **bp, size_t *lenp);
void relay_encode_stats(uint8_t b[RELAY_STATS_LEN],
			const struct relay_cpu_counters *c);

/* Decoders of a checked block's body: 0, or -EBADMSG. */
int relay_decode_frame(const uint8_t *b, size_t len, struct relay_frame *f,
		       uint64_t *stored);
/* The strings are copied to @strs, which has room for @len bytes. */
int relay_decode_run(const uint8_t *b, size_t len, struct relay_run_header *h,
		     char *strs);
int relay_decode_trailer(const uint8_t *b, size_t len,
			 struct relay_trailer *t);
int relay_decode_stats(const uint8_t *b, size_t len,
		       struct relay_cpu_counters *c);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side tests of the run format's reader (docs/format.md): runs
 * written block by block with the library's own encoders are read back
 * exactly; every truncation gives the whole frames before it and
 * -ENODATA; corruption gives -EBADMSG naming the offset; and a seeded
 * mutation fuzzer (RELAY_FUZZ_SECS seconds, default 3; RELAY_FUZZ_SEED)
 * feeds it damaged runs: it must answer each one, and this program is
 * built with ASan and UBSan so a bad access fails the test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <zstd.h>
#ifdef __SANITIZE_ADDRESS__
/* libasan's (sanitizer/allocator_interface.h, not packaged here) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#include "ktap.h"
#include "librelay.h"
#include "format.h"

struct buf {
	uint8_t *p;
	size_t n, cap;
	/* the end of each frame (payload included), for truncation */
	size_t frame_end[64];
	unsigned int nframes;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static const char *const strings[7] = {
	"host1", "6.12.0-test", "sample", "sample", "relay-collect 1.0",
	"librelay 1.0", "relay-collect -o out sample"
};

static void put_header(struct buf *b, unsigned int index, unsigned int flags)
{
	struct relay_run_header h = {
		.flags = flags, .file_index = index, .ncpus = 2,
		.subbuf_size = 4096, .n_subbufs = 8, .start_ns = 1234567890,
		.anchor = { .version = 1, .cpu = 1, .local_ns = 1000,
			    .realtime_ns = 2000, .monotonic_ns = 3000,
			    .boottime_ns = 4000, .uncertainty_ns = 5 },
		.host = strings[0], .kernel = strings[1], .app = strings[2],
		.base = strings[3], .tool = strings[4], .library = strings[5],
		.cmdline = strings[6],
	};
	uint8_t *p;
	size_t n;

	memset(h.run_id, 0xab, sizeof(h.run_id));
	if (relay_encode_run(&h, &p, &n))
		abort();
	put(b, p, n);
	free(p);
}

/* Frame @i's payload: @len bytes of a pattern that says where it is. */
static void payload(unsigned int i, uint8_t *p, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		p[k] = (uint8_t)(i * 31 + k % 97 + (k / 256));
}

static size_t frame_len(unsigned int i)
{
	return 100 + i * 37;
}

static void put_frame(struct buf *b, unsigned int i, int zstd)
{
	struct relay_frame f = {
		.cpu = i % 2, .seq = i / 2, .t_open = 10 * i,
		.t_close = 10 * i + 5, .drops = i, .records = i + 1,
		.bytes = frame_len(i) - 8, .len = frame_len(i),
	};
	uint8_t hdr[RELAY_FRAME_HDR_LEN], data[4096], z[8192];
	size_t n = f.len;

	payload(i, data, f.len);
	if (zstd) {
		ZSTD_CCtx *c = ZSTD_createCCtx();

		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		n = ZSTD_compress2(c, z, sizeof(z), data, f.len);
		ZSTD_freeCCtx(c);
		if (ZSTD_isError(n))
			abort();
		f.flags = RELAY_FRAME_ZSTD;
	}
	relay_encode_frame(hdr, &f, n);
	put(b, hdr, sizeof(hdr));
	put(b, zstd ? z : data, n);
	b->frame_end[b->nframes++] = b->n;
}

static void put_end(struct buf *b, unsigned int flags, int counters)
{
	struct relay_trailer t = { .flags = flags, .frames = 3, .bytes = 9,
				   .end_ns = 42 };
	uint8_t tb[RELAY_TRAILER_LEN], sb[RELAY_STATS_LEN];
	unsigned int cpu;

	for (cpu = 0; counters && cpu < 2; cpu++) {
		struct relay_cpu_counters c = { .cpu = cpu, .frames = 7 + cpu,
						.bytes = 1000 };

		c.stats.attempted_records = 100 + cpu;
		c.stats.full_records = 3;
		c.stats.consumed_bytes = 77;
		relay_encode_stats(sb, &c);
		put(b, sb, sizeof(sb));
	}
	relay_encode_trailer(tb, &t);
	put(b, tb, sizeof(tb));
}

/* A whole run: header, @n frames (odd ones compressed), counters, end. */
static void make_run(struct buf *b, unsigned int n)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	put_header(b, 0, RELAY_HDR_ANCHOR | RELAY_HDR_COMPRESSED);
	for (i = 0; i < n; i++)
		put_frame(b, i, i % 2);
	put_end(b, 0, 1);
}

static struct relay_stream *open_mem(const void *p, size_t n)
{
	struct relay_stream *s;
	int fd = memfd_create("run", 0);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n ||
	    lseek(fd, 0, SEEK_SET) || relay_stream_fdopen(fd, &s))
		return NULL;
	return s;
}

/* Read every item; frames counted and checked against their pattern. */
static int read_all(struct relay_stream *s, unsigned int *frames,
		    unsigned int *headers, int check)
{
	struct relay_frame f;
	uint8_t want[4096];
	int ret;

	*frames = *headers = 0;
	while ((ret = relay_stream_next(s, &f)) > 0) {
		if (ret == 2) {
			(*headers)++;
			continue;
		}
		if (check) {
			unsigned int i = f.seq * 2 + f.cpu;

			if (f.len != frame_len(i) || f.t_open != 10 * i ||
			    f.drops != i || f.records != i + 1)
				return -1000;
			payload(i, want, f.len);
			if (memcmp(want, f.payload, f.len))
				return -1001;
			if (!!(f.flags & RELAY_FRAME_ZSTD) != i % 2)
				return -1002;
		}
		(*frames)++;
	}
	return ret;
}

static int test_roundtrip(void)
{
	const struct relay_run_header *h;
	struct relay_cpu_counters c;
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers;

	make_run(&b, 10);
	s = open_mem(b.p, b.n);
	CHECK(s != NULL);
	CHECK(relay_stream_header(s) == NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 1), 0);
	CHECK_EQ(frames, 10);
	CHECK_EQ(headers, 1);
	h = relay_stream_header(s);
	CHECK(h != NULL);
	CHECK_EQ(h->version, 1);
	CHECK_EQ(h->flags, RELAY_HDR_ANCHOR | RELAY_HDR_COMPRESSED);
	CHECK_EQ(h->ncpus, 2);
	CHECK_EQ(h->subbuf_size, 4096);
	CHECK_EQ(h->n_subbufs, 8);
	CHECK_EQ(h->start_ns, 1234567890);
	CHECK_EQ(h->run_id[15], 0xab);
	CHECK_EQ(h->anchor.cpu, 1);
	CHECK_EQ(h->anchor.local_ns, 1000);
	CHECK_EQ(h->anchor.realtime_ns, 2000);
	CHECK_EQ(h->anchor.monotonic_ns, 3000);
	CHECK_EQ(h->anchor.boottime_ns, 4000);
	CHECK_EQ(h->anchor.uncertainty_ns, 5);
	CHECK(!strcmp(h->host, "host1") && !strcmp(h->kernel, "6.12.0-test"));
	CHECK(!strcmp(h->app, "sample") && !strcmp(h->base, "sample"));
	CHECK(!strcmp(h->tool, strings[4]) && !strcmp(h->library, strings[5]));
	CHECK(!strcmp(h->cmdline, strings[6]));
	CHECK(relay_stream_trailer(s) != NULL);
	CHECK_EQ(relay_stream_trailer(s)->flags, 0);
	CHECK_EQ(relay_stream_trailer(s)->end_ns, 42);
	CHECK_EQ(relay_stream_counters(s, 1, &c), 0);
	CHECK_EQ(c.stats.attempted_records, 101);
	CHECK_EQ(c.stats.full_records, 3);
	CHECK_EQ(c.stats.consumed_bytes, 77);
	CHECK_EQ(c.frames, 8);
	CHECK_EQ(relay_stream_counters(s, 2, &c), -ENOENT);
	CHECK_EQ(relay_stream_offset(s), b.n);
	/* The end is sticky. */
	CHECK_EQ(read_all(s, &frames, &headers, 1), 0);
	relay_stream_close(s);
	free(b.p);
	return 0;
}

/* Rotated parts and runs, concatenated: a header (2) starts each. */
static int test_concatenated_parts(void)
{
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers;

	memset(&b, 0, sizeof(b));
	put_header(&b, 0, 0);
	put_frame(&b, 0, 0);
	put_frame(&b, 1, 1);
	put_end(&b, RELAY_TRAILER_CONTINUED, 0);
	put_header(&b, 1, 0);
	put_frame(&b, 2, 0);
	put_end(&b, 0, 1);
	s = open_mem(b.p, b.n);
	CHECK(s != NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 1), 0);
	CHECK_EQ(frames, 3);
	CHECK_EQ(headers, 2);
	CHECK_EQ(relay_stream_header(s)->file_index, 1);
	relay_stream_close(s);
	free(b.p);
	return 0;
}

/* Cut anywhere: the whole frames before the cut, then -ENODATA. */
static int test_every_truncation(void)
{
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers, k, whole;
	size_t cut;
	int ret;

	make_run(&b, 6);
	for (cut = 0; cut <= b.n; cut++) {
		s = open_mem(b.p, cut);
		CHECK(s != NULL);
		ret = read_all(s, &frames, &headers, 1);
		for (whole = 0, k = 0; k < b.nframes; k++)
			whole += b.frame_end[k] <= cut;
		if (cut == b.n) {
			CHECK_EQ(ret, 0);
		} else {
			CHECK_EQ(ret, -ENODATA);
			CHECK(strstr(relay_stream_error(s), "offset ") != NULL);
		}
		if (frames != whole)
			printf("# cut at %zu: %u frames, %u whole\n", cut,
			       frames, whole);
		CHECK_EQ(frames, whole);
		relay_stream_close(s);
	}
	free(b.p);
	return 0;
}

/*
 * Whether @at is in a length (a block's size, a frame's stored bytes):
 * one grown past the end reads as data cut short, -ENODATA.
 */
static bool is_length_field(const struct buf *b, size_t at)
{
	size_t k = 0, size;

	while (k < b->n) {
		size = relay_get32(b->p + k + 4);
		if (at >= k + 4 && at < k + 8)
			return true;
		if (relay_get16(b->p + k + 14) == RELAY_BLOCK_FRAME) {
			if (at >= k + 84 && at < k + 92)
				return true;
			k += relay_get64(b->p + k + 84);
		}
		k += 8 + size;
	}
	return false;
}

/* Whether @at is in a payload, stored with zstd (@zstd) or raw. */
static bool in_payload(const struct buf *b, size_t at, bool zstd)
{
	size_t k = 0, size, stored;

	while (k < b->n) {
		size = relay_get32(b->p + k + 4);
		if (relay_get16(b->p + k + 14) == RELAY_BLOCK_FRAME) {
			stored = relay_get64(b->p + k + 84);
			if (!(relay_get32(b->p + k + 24) & RELAY_FRAME_ZSTD) ==
			    !zstd && at >= k + 8 + size && at < k + 8 + size + stored)
				return true;
			k += stored;
		}
		k += 8 + size;
	}
	return false;
}

/*
 * A flipped bit in any block or zstd payload: -EBADMSG at its offset (a
 * length only when it stays within the data).
 */
static int test_corruption_named(void)
{
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers;
	size_t at;
	char want[64];
	int ret;

	make_run(&b, 4);
	for (at = 0; at < b.n; at++) {
		/* Raw payloads carry no checksum: blocks and zstd do. */
		if (in_payload(&b, at, false))
			continue;
		if (is_length_field(&b, at))
			continue;
		b.p[at] ^= 0x10;
		s = open_mem(b.p, b.n);
		CHECK(s != NULL);
		ret = read_all(s, &frames, &headers, 1);
		b.p[at] ^= 0x10;
		/*
		 * Bits a zstd decoder must ignore (the frame header's unused
		 * bit): the same data, checked byte for byte.
		 */
		if (ret == 0 && in_payload(&b, at, true)) {
			relay_stream_close(s);
			continue;
		}
		/* A version above ours is refused as such. */
		if (ret == -EPROTONOSUPPORT) {
			relay_stream_close(s);
			continue;
		}
		if (ret != -EBADMSG)
			printf("# flip at %zu: %d %s\n", at, ret,
			       relay_stream_error(s));
		CHECK_EQ(ret, -EBADMSG);
		snprintf(want, sizeof(want), "offset ");
		CHECK(!strncmp(relay_stream_error(s), want, strlen(want)));
		relay_stream_close(s);
	}
	free(b.p);
	return 0;
}

/* The frame header block right after the run header of @b. */
static uint8_t *first_frame(struct buf *b)
{
	return b->p + relay_get32(b->p + 4) + 8;
}

static void reseal(uint8_t *blk)
{
	relay_put32(blk + 16, relay_block_crc(blk, relay_get32(blk + 4) + 8));
}

/* A frame of a CPU the run does not have: corrupt, never an index. */
static int test_cpu_out_of_range(void)
{
	static const uint32_t bad[] = { 2, 1000, 0xffffffffU };
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers, i;
	char want[64];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_run(&b, 4);
		relay_put32(first_frame(&b) + 20, bad[i]);
		reseal(first_frame(&b));
		s = open_mem(b.p, b.n);
		CHECK(s != NULL);
		CHECK_EQ(read_all(s, &frames, &headers, 0), -EBADMSG);
		CHECK_EQ(frames, 0);
		snprintf(want, sizeof(want), "offset %u: frame of cpu %u",
			 relay_get32(b.p + 4) + 8, bad[i]);
		CHECK(strstr(relay_stream_error(s), want) != NULL ||
		      (printf("# %s\n", relay_stream_error(s)), 0));
		relay_stream_close(s);
		free(b.p);
	}
	/* A run header claiming 0 or absurdly many CPUs. */
	for (i = 0; i < 2; i++) {
		make_run(&b, 1);
		relay_put32(b.p + 28, i ? 0x7fffffffU : 0);
		reseal(b.p);
		s = open_mem(b.p, b.n);
		CHECK(s != NULL);
		CHECK_EQ(read_all(s, &frames, &headers, 0), -EBADMSG);
		CHECK(strstr(relay_stream_error(s), "offset 0: run header")
		      != NULL);
		relay_stream_close(s);
		free(b.p);
	}
	return 0;
}

/*
 * A zstd payload stored in more than zstd's bound for its length is
 * refused even when it decodes: here a good frame padded with a
 * skippable frame, which zstd itself would accept.
 */
static int test_stored_over_bound(void)
{
	struct relay_frame f = { .cpu = 0, .len = 100, .flags =
				 RELAY_FRAME_ZSTD };
	uint8_t hdr[RELAY_FRAME_HDR_LEN], data[100], z[1024];
	struct relay_stream *s;
	unsigned int frames, headers;
	size_t n, pad;
	struct buf b;

	memset(&b, 0, sizeof(b));
	put_header(&b, 0, RELAY_HDR_COMPRESSED);
	payload(0, data, sizeof(data));
	n = ZSTD_compress(z, sizeof(z), data, sizeof(data), 3);
	CHECK(!ZSTD_isError(n));
	pad = ZSTD_compressBound(100) + 1 - n;	/* one byte over */
	CHECK(pad >= 8 && n + pad < sizeof(z));
	relay_put32(z + n, 0x184D2A50U);
	relay_put32(z + n + 4, pad - 8);
	memset(z + n + 8, 0, pad - 8);
	/* zstd decodes it, padding and all */
	CHECK_EQ(ZSTD_decompress(data, sizeof(data), z, n + pad), 100);
	relay_encode_frame(hdr, &f, n + pad);
	put(&b, hdr, sizeof(hdr));
	put(&b, z, n + pad);
	put_end(&b, 0, 0);
	s = open_mem(b.p, b.n);
	CHECK(s != NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 0), -EBADMSG);
	CHECK(strstr(relay_stream_error(s), "frame of 100 bytes stores") !=
	      NULL || (printf("# %s\n", relay_stream_error(s)), 0));
	relay_stream_close(s);
	free(b.p);
	return 0;
}

/*
 * A tiny file claiming a 1 GiB zstd frame: refused by what the zstd
 * frame says of itself, before 1 GiB is allocated.
 */
static int test_huge_len_small_file(void)
{
	struct relay_frame f = { .cpu = 0, .len = RELAY_MAX_PAYLOAD,
				 .flags = RELAY_FRAME_ZSTD };
	uint8_t hdr[RELAY_FRAME_HDR_LEN], data[8], z[64];
	struct relay_stream *s;
	unsigned int frames, headers;
	size_t n;
	struct buf b;

	memset(&b, 0, sizeof(b));
	put_header(&b, 0, RELAY_HDR_COMPRESSED);
	memset(data, 'x', sizeof(data));
	n = ZSTD_compress(z, sizeof(z), data, sizeof(data), 3);
	CHECK(!ZSTD_isError(n));
	relay_encode_frame(hdr, &f, n);
	put(&b, hdr, sizeof(hdr));
	put(&b, z, n);
	put_end(&b, 0, 0);
	s = open_mem(b.p, b.n);
	CHECK(s != NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 0), -EBADMSG);
	CHECK(strstr(relay_stream_error(s), "content size") != NULL ||
	      (printf("# %s\n", relay_stream_error(s)), 0));
#ifdef __SANITIZE_ADDRESS__
	/* nothing near the claimed size is held */
	CHECK(__sanitizer_get_current_allocated_bytes() < (64u << 20) ||
	      (printf("# %zu bytes allocated\n",
		      __sanitizer_get_current_allocated_bytes()), 0));
#endif
	relay_stream_close(s);
	free(b.p);
	return 0;
}

/*
 * Runs concatenated: when the second run's header is returned, the first
 * run's counters and trailer are still there to read; once into the
 * second run they are gone, and an unfinished second run has no trailer.
 */
static int test_concatenated_runs_end(void)
{
	struct relay_cpu_counters c;
	struct relay_stream *s;
	struct relay_frame f;
	struct buf b;
	int ret, headers = 0, frames = 0;

	memset(&b, 0, sizeof(b));
	put_header(&b, 0, 0);
	put_frame(&b, 0, 0);
	put_end(&b, 0, 1);
	put_header(&b, 0, 0);
	put_frame(&b, 1, 0);	/* no end: unfinished */
	s = open_mem(b.p, b.n);
	CHECK(s != NULL);
	while ((ret = relay_stream_next(s, &f)) > 0) {
		if (ret == 1) {
			frames++;
			/* inside a run: no counters or trailer yet */
			CHECK_EQ(relay_stream_counters(s, 0, &c), -ENOENT);
			CHECK(relay_stream_trailer(s) == NULL);
			continue;
		}
		if (++headers == 1) {
			CHECK_EQ(relay_stream_counters(s, 0, &c), -ENOENT);
			CHECK(relay_stream_trailer(s) == NULL);
			continue;
		}
		/* the first run's end, readable at the second header */
		CHECK_EQ(relay_stream_counters(s, 1, &c), 0);
		CHECK_EQ(c.stats.attempted_records, 101);
		CHECK(relay_stream_trailer(s) != NULL);
		CHECK_EQ(relay_stream_trailer(s)->end_ns, 42);
	}
	CHECK_EQ(ret, -ENODATA);
	CHECK_EQ(headers, 2);
	CHECK_EQ(frames, 2);
	CHECK(relay_stream_trailer(s) == NULL);
	CHECK_EQ(relay_stream_counters(s, 0, &c), -ENOENT);
	relay_stream_close(s);
	free(b.p);
	return 0;
}

static const char *const app_names[3] = { "klog", "tprintk", "sample" };

/*
 * A run of three apps through the files sink, rotated (and compressed by
 * the zstd stage, @zstd): every file starts
 * with the three headers (version 2, app 0 first, its file_index), every
 * frame keeps its app, counters and sink totals are per app and CPU.
 */
static int several_apps_roundtrip(bool zstd)
{
	char dir[] = "/tmp/librelay-apps.XXXXXX", path[300], cmd[340];
	struct relay_file_opts fo = { .size = sizeof(fo), .name = "k+t+s",
				      .rotate_size = 4096, .compressed = zstd };
	struct relay_sink *files;
	struct relay_cpu_counters ctr[6], c;
	struct relay_sink_totals t;
	struct relay_stream *s;
	struct relay_sink *sk;
	struct relay_frame f;
	uint8_t data[4096];
	unsigned int app, i, nfiles, headers = 0, next = 0, with_counters = 0;
	int ret;
	FILE *raw;

	CHECK(mkdtemp(dir) != NULL);
	fo.dir = dir;
	CHECK_EQ(relay_sink_files(&fo, &files), 0);
	if (zstd)
		CHECK_EQ(relay_sink_zstd(1, 0, files, &sk), 0);
	else
		sk = files;
	for (app = 0; app < 3; app++) {
		struct relay_run_header h = {
			.flags = RELAY_HDR_ANCHOR | RELAY_HDR_APPS,
			.ncpus = 2, .subbuf_size = 4096, .n_subbufs = 8,
			.host = "h", .kernel = "k", .app = app_names[app],
			.base = app_names[app], .tool = "t", .library = "l",
			.cmdline = "relay-collect klog tprintk sample",
			.app_index = app, .napps = 3,
		};

		memset(h.run_id, 0xcd, sizeof(h.run_id));
		CHECK_EQ(relay_sink_begin(sk, &h), 0);
	}
	for (i = 0; i < 30; i++) {
		struct relay_frame fr = {
			.cpu = i % 2, .seq = i / 6, .t_open = 10 * i,
			.records = 1, .len = frame_len(i), .stored = frame_len(i),
			.flags = RELAY_FRAME_APP_FLAGS(i % 3), .payload = data,
		};

		payload(i, data, fr.len);
		CHECK_EQ(relay_sink_frame(sk, &fr), 0);
	}
	for (i = 0; i < 6; i++) {
		memset(&ctr[i], 0, sizeof(ctr[i]));
		ctr[i].cpu = RELAY_APP_CPU(i / 2, i % 2);
		ctr[i].stats.attempted_records = 100 * (i / 2) + i % 2;
	}
	CHECK_EQ(relay_sink_end(sk, ctr, 6, 0), 0);
	/* what reached the files: app 2, cpu 1 had i = 5, 11, 17, 23, 29 */
	relay_sink_totals(sk, RELAY_APP_CPU(2, 1), &t);
	CHECK_EQ(t.frames, 5);
	CHECK_EQ(t.bytes, frame_len(5) + frame_len(11) + frame_len(17) +
			  frame_len(23) + frame_len(29));
	/* app 0, cpu 0: i = 0, 6, 12, 18, 24 (not app 1's cpu 0: 4, 10...) */
	relay_sink_totals(sk, RELAY_APP_CPU(0, 0), &t);
	CHECK_EQ(t.frames, 5);
	CHECK_EQ(t.bytes, frame_len(0) + frame_len(6) + frame_len(12) +
			  frame_len(18) + frame_len(24));
	relay_sink_free(sk);
	for (nfiles = 0;; nfiles++) {
		snprintf(path, sizeof(path), "%s/k+t+s.%06u.relay%s", dir,
			 nfiles, zstd ? ".zst" : "");
		if (access(path, F_OK))
			break;
		raw = fopen(path, "r");
		CHECK(raw && fread(data, 1, 16, raw) == 16 && !fclose(raw));
		CHECK_EQ(relay_get16(data + 12), 2);	/* version 2 */
		CHECK_EQ(relay_stream_open(path, &s), 0);
		while ((ret = relay_stream_next(s, &f)) > 0) {
			const struct relay_run_header *h;

			if (ret == 2) {
				h = relay_stream_header(s);
				CHECK_EQ(h->version, 2);
				CHECK_EQ(h->app_index, headers % 3);
				CHECK_EQ(h->napps, 3);
				CHECK_EQ(h->file_index, nfiles);
				CHECK(!strcmp(h->app, app_names[headers % 3]));
				CHECK(relay_stream_app_header(s, headers % 3) &&
				      !strcmp(relay_stream_app_header(s,
					      headers % 3)->base,
					      app_names[headers % 3]));
				headers++;
				continue;
			}
			CHECK_EQ(headers % 3, 0);	/* all three first */
			CHECK_EQ(RELAY_FRAME_APP(f.flags), next % 3);
			CHECK_EQ(!!(f.flags & RELAY_FRAME_ZSTD), zstd);
			CHECK_EQ(f.cpu, next % 2);
			CHECK_EQ(f.len, frame_len(next));
			payload(next, data, f.len);
			CHECK(!memcmp(data, f.payload, f.len));
			next++;
		}
		CHECK_EQ(ret, 0);
		CHECK(relay_stream_app_header(s, 3) == NULL);
		if (relay_stream_counters(s, RELAY_APP_CPU(2, 1), &c) == 0) {
			with_counters++;
			for (i = 0; i < 6; i++) {
				CHECK_EQ(relay_stream_counters(s, ctr[i].cpu,
							       &c), 0);
				CHECK_EQ(c.stats.attempted_records,
					 100 * (i / 2) + i % 2);
				CHECK_EQ(c.stats.cpu, i % 2);
			}
			CHECK_EQ(relay_stream_counters(s, RELAY_APP_CPU(3, 0),
						       &c), -ENOENT);
			CHECK_EQ(relay_stream_trailer(s)->flags, 0);
		} else {
			CHECK_EQ(relay_stream_trailer(s)->flags,
				 RELAY_TRAILER_CONTINUED);
		}
		relay_stream_close(s);
	}
	printf("# %s: %u files, %u headers, %u frames\n",
	       zstd ? "zstd" : "plain", nfiles, headers, next);
	CHECK(nfiles >= 2);
	/* the last part has the run's end and its counters, the others not */
	CHECK_EQ(with_counters, 1);
	CHECK_EQ(headers, 3 * nfiles);
	CHECK_EQ(next, 30);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
	return 0;
}

/*
 * A 1.0 caller's relay_run_header ends before trigger: without
 * RELAY_HDR_SNAPSHOT or RELAY_HDR_APPS no sink reads past it (ASan sees
 * an over-read of this heap copy of only the 1.0 part).
 */
static int test_sink_1_0_header(void)
{
	const size_t size = offsetof(struct relay_run_header, trigger);
	struct relay_run_header full = {
		.flags = RELAY_HDR_ANCHOR, .ncpus = 2, .subbuf_size = 4096,
		.n_subbufs = 8, .host = "one", .kernel = "one", .app = "one",
		.base = "one", .tool = "1.0", .library = "1.0",
		.cmdline = "1.0",
	};
	void *h = malloc(size);
	struct relay_sink *fd, *sk;
	struct relay_stream *s;
	struct relay_frame f;
	int mfd = memfd_create("sink", 0);

	CHECK(h != NULL && mfd >= 0);
	memset(full.run_id, 0x10, sizeof(full.run_id));
	memcpy(h, &full, size);
	CHECK_EQ(relay_sink_fd(mfd, &fd), 0);
	CHECK_EQ(relay_sink_zstd(1, 0, fd, &sk), 0);
	CHECK_EQ(relay_sink_begin(sk, h), 0);
	CHECK_EQ(relay_sink_end(sk, NULL, 0, 0), 0);
	relay_sink_free(sk);
	free(h);
	CHECK(lseek(mfd, 0, SEEK_SET) == 0);
	CHECK_EQ(relay_stream_fdopen(mfd, &s), 0);
	CHECK_EQ(relay_stream_next(s, &f), 2);
	CHECK_EQ(relay_stream_header(s)->flags,
		 RELAY_HDR_ANCHOR | RELAY_HDR_COMPRESSED);
	CHECK(!strcmp(relay_stream_header(s)->app, "one"));
	CHECK_EQ(relay_stream_next(s, &f), 0);
	relay_stream_close(s);
	return 0;
}

/* A header's CPU count is bounded before the sink sizes its table. */
static int test_sink_ncpus_bounded(void)
{
	struct relay_run_header h = {
		.flags = RELAY_HDR_APPS, .ncpus = 0x4000000,
		.subbuf_size = 4096, .n_subbufs = 8, .host = "h",
		.kernel = "k", .app = "a", .base = "a", .tool = "t",
		.library = "l", .cmdline = "c", .napps = 64,
	};
	struct relay_sink *sk;
	int mfd = memfd_create("sink", 0);

	CHECK(mfd >= 0);
	/* 64 apps x 2^26 CPUs: 2^32 counters, 0 in 32 bits */
	CHECK_EQ(relay_sink_fd(mfd, &sk), 0);
	CHECK_EQ(relay_sink_begin(sk, &h), -EINVAL);
	relay_sink_free(sk);
	h.flags = 0;
	h.napps = 0;
	h.ncpus = RELAY_MAX_CPUS + 1;
	CHECK_EQ(relay_sink_fd(mfd, &sk), 0);
	CHECK_EQ(relay_sink_begin(sk, &h), -EINVAL);
	relay_sink_free(sk);
	h.ncpus = RELAY_MAX_CPUS;
	CHECK_EQ(relay_sink_fd(mfd, &sk), 0);
	CHECK_EQ(relay_sink_begin(sk, &h), 0);
	relay_sink_free(sk);
	close(mfd);
	return 0;
}

static int test_several_apps_roundtrip(void)
{
	/* files, and zstd in front of them (frames compressed on its thread) */
	return several_apps_roundtrip(false) || several_apps_roundtrip(true);
}

/* Put app @app's header of a run of @napps (0: a run of one app). */
static void put_app_header(struct buf *b, unsigned int app,
			   unsigned int napps)
{
	struct relay_run_header h = {
		.flags = napps ? RELAY_HDR_APPS : 0, .ncpus = 2,
		.host = "h", .kernel = "k", .app = "a", .base = "a",
		.tool = "t", .library = "l", .cmdline = "c",
		.app_index = app, .napps = napps,
	};
	uint8_t *p;
	size_t n;

	if (relay_encode_run(&h, &p, &n))
		abort();
	put(b, p, n);
	free(p);
}

/* A run of several apps that lacks a header or names a 4th app. */
static int test_several_apps_refused(void)
{
	static const char *const why[] = {
		"no run header of app 1", "frame of app 2, the run has 2",
		"run header of app 1 first", "run header in the middle",
	};
	struct relay_stream *s;
	struct relay_frame f;
	struct buf b;
	unsigned int k;
	int ret;

	/* Of one app: written as version 1, as ever. */
	memset(&b, 0, sizeof(b));
	put_app_header(&b, 0, 0);
	CHECK_EQ(relay_get16(b.p + 12), 1);
	free(b.p);
	for (k = 0; k < 4; k++) {
		memset(&b, 0, sizeof(b));
		put_app_header(&b, k == 2, 2);
		if (k == 1 || k == 3)
			put_app_header(&b, k == 1 ? 1 : 0, 2);
		put_frame(&b, 0, 0);
		if (k == 1) {	/* its app in flags: 2 */
			b.p[b.n - frame_len(0) - RELAY_FRAME_HDR_LEN + 26] = 2;
			relay_put32(b.p + b.n - frame_len(0) -
				    RELAY_FRAME_HDR_LEN + 16, relay_block_crc(
				    b.p + b.n - frame_len(0) -
				    RELAY_FRAME_HDR_LEN, RELAY_FRAME_HDR_LEN));
		}
		s = open_mem(b.p, b.n);
		CHECK(s != NULL);
		while ((ret = relay_stream_next(s, &f)) > 0)
			;
		CHECK_EQ(ret, -EBADMSG);
		CHECK(strstr(relay_stream_error(s), why[k]) ||
		      (printf("# %s\n", relay_stream_error(s)), 0));
		relay_stream_close(s);
		free(b.p);
	}
	return 0;
}

static int test_newer_version_refused(void)
{
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers;

	make_run(&b, 1);
	b.p[12] = RELAY_FORMAT_VERSION + 1;	/* the run header's version */
	relay_put32(b.p + 16, relay_block_crc(b.p, relay_get32(b.p + 4) + 8));
	s = open_mem(b.p, b.n);
	CHECK(s != NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 0), -EPROTONOSUPPORT);
	CHECK(strstr(relay_stream_error(s), "version 3") != NULL);
	relay_stream_close(s);
	free(b.p);
	return 0;
}

/* Not a run at all, and empty. */
static int test_not_a_run(void)
{
	struct relay_stream *s;
	unsigned int frames, headers;

	s = open_mem("[    1.000000] hello\n", 21);
	CHECK(s != NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 0), -EBADMSG);
	CHECK(strstr(relay_stream_error(s), "offset 0: not a relayfs") != NULL);
	relay_stream_close(s);
	s = open_mem("", 0);
	CHECK(s != NULL);
	CHECK_EQ(read_all(s, &frames, &headers, 0), -ENODATA);
	relay_stream_close(s);
	CHECK_EQ(relay_stream_open("/nonexistent/run.relay", &s), -ENOENT);
	return 0;
}

/* A pipe delivering a few bytes at a time reads as the file does. */
static int test_pipe_in_dribbles(void)
{
	struct relay_stream *s;
	struct buf b;
	unsigned int frames, headers;
	size_t off;
	int p[2], st;
	pid_t pid;

	make_run(&b, 8);
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (off = 0; off < b.n; off += 7)
			if (write(p[1], b.p + off, b.n - off < 7 ? b.n - off :
				  7) < 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	CHECK(relay_stream_fdopen(p[0], &s) == 0);
	CHECK_EQ(read_all(s, &frames, &headers, 1), 0);
	CHECK_EQ(frames, 8);
	relay_stream_close(s);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	      !WEXITSTATUS(st));
	free(b.p);
	return 0;
}

/*
 * Following a file that is truncated and written again (relay-collect
 * re-creates <base>.000000.relay for a new run in the same directory):
 * -ESTALE with the reason, whether the new data is shorter than what was
 * read (it used to wait forever) or longer (it used to read the new run
 * from the middle: "not a relayfs block").
 */
static int test_follow_file_recreated(void)
{
	struct relay_stream *s;
	struct relay_frame f;
	struct buf old = { 0 }, short_run = { 0 }, long_run = { 0 };
	const struct buf *again[2] = { &short_run, &long_run };
	unsigned int i, k;
	int fd;

	put_header(&old, 0, RELAY_HDR_ANCHOR);
	put_frame(&old, 0, 0);
	put_frame(&old, 1, 0);
	put_header(&short_run, 0, RELAY_HDR_ANCHOR);
	put_frame(&short_run, 0, 0);
	/* another file index: other first bytes (the header's CRC) */
	put_header(&long_run, 1, RELAY_HDR_ANCHOR);
	for (i = 0; i < 6; i++)
		put_frame(&long_run, i, 0);
	for (k = 0; k < 2; k++) {
		fd = memfd_create("followed", 0);
		CHECK(fd >= 0);
		CHECK_EQ(write(fd, old.p, old.n), (ssize_t)old.n);
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		CHECK_EQ(relay_stream_fdopen(fd, &s), 0);
		CHECK_EQ(relay_stream_follow(s), 1);
		CHECK_EQ(relay_stream_next(s, &f), 2);
		CHECK_EQ(relay_stream_next(s, &f), 1);
		CHECK_EQ(relay_stream_next(s, &f), 1);
		CHECK_EQ(relay_stream_next(s, &f), -EAGAIN);
		CHECK_EQ(ftruncate(fd, 0), 0);
		CHECK_EQ(pwrite(fd, again[k]->p, again[k]->n, 0),
			 (ssize_t)again[k]->n);
		CHECK_EQ(relay_stream_next(s, &f), -ESTALE);
		CHECK(strstr(relay_stream_error(s), "written again"));
		/* and it stays so */
		CHECK_EQ(relay_stream_next(s, &f), -ESTALE);
		relay_stream_close(s);
	}
	free(old.p);
	free(short_run.p);
	free(long_run.p);
	return 0;
}

static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One damaged copy of @b: flips, cuts, duplicated or dropped spans. */
static size_t mutate(const struct buf *b, uint8_t *out, size_t cap)
{
	size_t n = b->n, i, k, a, len;
	unsigned int m = 1 + next_rand() % 4;

	memcpy(out, b->p, n);
	for (i = 0; i < m; i++) {
		switch (next_rand() % 7) {
		case 0: case 1:		/* flip bits */
			out[next_rand() % n] ^= 1 << (next_rand() % 8);
			break;
		case 2:			/* a random byte value */
			out[next_rand() % n] = next_rand();
			break;
		case 3:			/* cut */
			n = next_rand() % (n + 1);
			if (!n)
				return 0;
			break;
		case 4:			/* duplicate a span */
			a = next_rand() % n;
			len = next_rand() % (n - a) % 512;
			if (n + len > cap)
				break;
			memmove(out + a + len, out + a, n - a);
			n += len;
			break;
		case 6:			/* a frame's cpu, CRC made right */
			for (k = 0; k + RELAY_FRAME_HDR_LEN <= n; k++) {
				if (relay_get32(out + k) != RELAY_BLOCK_MAGIC ||
				    relay_get16(out + k + 14) !=
				    RELAY_BLOCK_FRAME ||
				    relay_get32(out + k + 4) + 8 !=
				    RELAY_FRAME_HDR_LEN || next_rand() % 3)
					continue;
				relay_put32(out + k + 20, next_rand() % 2 ?
					    (uint32_t)next_rand() :
					    0xffffffffU);
				relay_put32(out + k + 16, relay_block_crc(
					    out + k, RELAY_FRAME_HDR_LEN));
				break;
			}
			break;
		case 5:			/* drop a span */
			a = next_rand() % n;
			len = next_rand() % (n - a);
			memmove(out + a, out + a + len, n - a - len);
			n -= len;
			if (!n)
				return 0;
			break;
		}
		/* Sometimes make a damaged block's CRC right again. */
		if (next_rand() % 4 == 0) {
			for (k = 0; k + RELAY_BLOCK_PREFIX <= n; k++) {
				uint32_t size = relay_get32(out + k + 4);

				if (relay_get32(out + k) != RELAY_BLOCK_MAGIC ||
				    size < RELAY_BLOCK_MIN ||
				    k + 8 + size > n)
					continue;
				relay_put32(out + k + 16,
					    relay_block_crc(out + k, size + 8));
			}
		}
	}
	return n;
}

static int test_fuzz(void)
{
	const char *secs_env = getenv("RELAY_FUZZ_SECS");
	const char *seed_env = getenv("RELAY_FUZZ_SEED");
	double secs = secs_env ? atof(secs_env) : 3;
	unsigned long runs = 0, outcome[5] = { 0 };
	struct timespec t0, t;
	struct buf b;
	uint8_t *out;
	size_t cap;

	rng = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed1234abcdULL;
	printf("# seed 0x%llx, %.1f s\n", (unsigned long long)rng, secs);
	make_run(&b, 12);
	cap = b.n * 2;
	out = malloc(cap);
	CHECK(out != NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct relay_stream *s;
		unsigned int frames, headers;
		size_t n = mutate(&b, out, cap);
		int ret;

		s = open_mem(out, n);
		CHECK(s != NULL);
		ret = read_all(s, &frames, &headers, 0);
		/* An answer, always one of these. */
		CHECK(ret == 0 || ret == -ENODATA || ret == -EBADMSG ||
		      ret == -EPROTONOSUPPORT ||
		      (printf("# run %lu: %d\n", runs, ret), 0));
		CHECK(ret == 0 || strncmp(relay_stream_error(s), "offset ",
					  7) == 0);
		outcome[ret == 0 ? 0 : ret == -ENODATA ? 1 :
			ret == -EBADMSG ? 2 : 3]++;
		relay_stream_close(s);
		runs++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	printf("# %lu runs: %lu clean, %lu unfinished, %lu corrupt, %lu "
	       "newer\n", runs, outcome[0], outcome[1], outcome[2],
	       outcome[3]);
	/* The mutations reached every answer. */
	CHECK(outcome[0] && outcome[1] && outcome[2]);
	free(out);
	free(b.p);
	return 0;
}

/* A snapshot's run header: the trigger section read back exactly. */
static int test_snapshot_trigger(void)
{
	struct relay_run_header h = {
		.flags = RELAY_HDR_SNAPSHOT | RELAY_HDR_OVERWRITE, .ncpus = 2,
		.subbuf_size = 4096, .n_subbufs = 4,
		.host = "h", .kernel = "k", .app = "sample", .base = "sample",
		.tool = "t", .library = "l", .cmdline = "c",
		.trigger = { .kind = RELAY_TRIGGER_KERNEL, .cpu = 1,
			     .context = RELAYFS_TRIGGER_NMI, .flags = 0,
			     .seq = 7, .time_ns = 123456789012ULL,
			     .kernel_seq = 42, .missed = 3,
			     .reason = "disk-error" },
	};
	struct relay_run_header out;
	char strs[512];
	uint8_t *p;
	size_t n;
	int ret;

	CHECK_EQ(relay_encode_run(&h, &p, &n), 0);
	CHECK_EQ(relay_decode_run(p, n, &out, strs), 0);
	CHECK_EQ(out.flags, h.flags);
	CHECK_EQ(out.trigger.kind, RELAY_TRIGGER_KERNEL);
	CHECK_EQ(out.trigger.cpu, 1);
	CHECK_EQ(out.trigger.context, RELAYFS_TRIGGER_NMI);
	CHECK_EQ(out.trigger.seq, 7);
	CHECK_EQ(out.trigger.time_ns, 123456789012ULL);
	CHECK_EQ(out.trigger.kernel_seq, 42);
	CHECK_EQ(out.trigger.missed, 3);
	CHECK(!strcmp(out.trigger.reason, "disk-error"));
	CHECK(!strcmp(out.cmdline, "c"));
	/* Cut into the section: refused, not read past the block. */
	CHECK_EQ(relay_decode_run(p, n - 11, &out, strs), -EBADMSG);
	CHECK_EQ(relay_decode_run(p, n - 1, &out, strs), -EBADMSG);
	free(p);
	/* A reason of 63 bytes is the most: a longer one is cut. */
	memset(h.trigger.reason, 'r', sizeof(h.trigger.reason));
	CHECK_EQ(relay_encode_run(&h, &p, &n), 0);
	CHECK_EQ(relay_decode_run(p, n, &out, strs), 0);
	CHECK_EQ(strlen(out.trigger.reason), RELAY_TRIGGER_REASON_MAX - 1);
	free(p);
	/*
	 * Without the flag the trigger section is not read: the same
	 * bytes (section kept, only the flag cleared, the CRC made right)
	 * decode as a plain run's, with no trigger.
	 */
	strcpy(h.trigger.reason, "disk-error");
	CHECK_EQ(relay_encode_run(&h, &p, &n), 0);
	relay_put32(p + RELAY_BLOCK_PREFIX,
		    relay_get32(p + RELAY_BLOCK_PREFIX) & ~RELAY_HDR_SNAPSHOT);
	relay_put32(p + 16, relay_block_crc(p, relay_get32(p + 4) + 8));
	memset(&out, 0xff, sizeof(out));
	ret = relay_decode_run(p, n, &out, strs);
	printf("# the flag cleared: %d\n", ret);
	CHECK_EQ(ret, 0);
	CHECK_EQ(out.flags, RELAY_HDR_OVERWRITE);
	CHECK_EQ(out.trigger.kind, 0);
	CHECK_EQ(out.trigger.seq, 0);
	CHECK_EQ(out.trigger.reason[0], 0);
	CHECK(!strcmp(out.cmdline, "c"));
	free(p);
	return 0;
}

static const struct ktap_case cases[] = {
	{ "snapshot_trigger", test_snapshot_trigger },
	{ "follow_file_recreated", test_follow_file_recreated },
	{ "sink_1_0_header", test_sink_1_0_header },
	{ "sink_ncpus_bounded", test_sink_ncpus_bounded },
	{ "roundtrip", test_roundtrip },
	{ "concatenated_parts", test_concatenated_parts },
	{ "every_truncation", test_every_truncation },
	{ "corruption_named", test_corruption_named },
	{ "cpu_out_of_range", test_cpu_out_of_range },
	{ "stored_over_bound", test_stored_over_bound },
	{ "huge_len_small_file", test_huge_len_small_file },
	{ "concatenated_runs_end", test_concatenated_runs_end },
	{ "newer_version_refused", test_newer_version_refused },
	{ "several_apps_roundtrip", test_several_apps_roundtrip },
	{ "several_apps_refused", test_several_apps_refused },
	{ "not_a_run", test_not_a_run },
	{ "pipe_in_dribbles", test_pipe_in_dribbles },
	{ "fuzz", test_fuzz },
};

int main(int argc, char **argv)
{
	return ktap_run(cases, sizeof(cases) / sizeof(cases[0]), argv + 1,
			argc > 1 ? argc - 1 : 0);
}

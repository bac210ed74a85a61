// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reader of the run format (docs/format.md): files, pipes, parts and
 * runs concatenated.  It reads through its own buffer, so standard input
 * and pipes work as files do, and checks every block before using it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zstd.h>
#include "format.h"

enum stream_state {
	S_START,	/* a run header must come */
	S_RUN,		/* in a run: frames, counters, trailer */
	S_ENDED,	/* after a trailer: the end, or a run header */
	S_DONE,		/* sticky result in .result */
};

struct relay_stream {
	int fd;
	uint8_t *buf;		/* read ahead: [pos, have) unused */
	size_t cap, pos, have;
	uint64_t base;		/* stream offset of buf[0] */
	int eof;
	int follow;		/* relay_stream_follow(): 1 a growing file,
				 * 2 a pipe (non-blocking) */
	enum stream_state state;
	int result;
	struct relay_run_header hdr;	/* the last one read */
	int have_hdr;
	/* The run's apps' headers (one: apps[0] = hdr) and their strings */
	struct relay_run_header apps[RELAY_MAX_APPS];
	char *strs[RELAY_MAX_APPS];
	unsigned int napps;	/* read so far, of apps[0].napps */
	struct relay_trailer trailer;
	int have_trailer;
	int new_run;		/* a header was returned: the last run's end
				 * stays readable until the next block */
	struct relay_cpu_counters *ctr;
	unsigned int nctr;
	uint8_t *out;		/* decompressed payload */
	size_t out_cap;
	ZSTD_DCtx *dctx;
	char err[160];
	/* Following a file: its first bytes, to know it is still the one. */
	uint8_t head[32];
	int have_head;
};

int relay_stream_fdopen(int fd, struct relay_stream **sp)
{
	struct relay_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->fd = fd;
	*sp = s;
	return 0;
}

int relay_stream_open(const char *path, struct relay_stream **sp)
{
	int fd, err;

	if (!strcmp(path, "-")) {
		fd = dup(STDIN_FILENO);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	err = relay_stream_fdopen(fd, sp);
	if (err)
		close(fd);
	return err;
}

void relay_stream_close(struct relay_stream *s)
{
	unsigned int i;

	if (!s)
		return;
	close(s->fd);
	free(s->buf);
	for (i = 0; i < RELAY_MAX_APPS; i++)
		free(s->strs[i]);
	free(s->ctr);
	free(s->out);
	ZSTD_freeDCtx(s->dctx);
	free(s);
}

const struct relay_run_header *relay_stream_header(const struct relay_stream *s)
{
	return s->have_hdr ? &s->hdr : NULL;
}

const struct relay_run_header *
relay_stream_app_header(const struct relay_stream *s, unsigned int app)
{
	return s->have_hdr && app < s->napps ? &s->apps[app] : NULL;
}

const struct relay_trailer *relay_stream_trailer(const struct relay_stream *s)
{
	return s->have_trailer ? &s->trailer : NULL;
}

const char *relay_stream_error(const struct relay_stream *s)
{
	return s->err[0] ? s->err : "no error";
}

uint64_t relay_stream_offset(const struct relay_stream *s)
{
	return s->base + s->pos;
}

int relay_stream_counters(const struct relay_stream *s, unsigned int cpu,
			  struct relay_cpu_counters *c)
{
	unsigned int i;

	for (i = 0; i < s->nctr; i++) {
		if (s->ctr[i].cpu == cpu) {
			*c = s->ctr[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int stream_fail(struct relay_stream *s, int err, uint64_t off,
		       const char *fmt, ...)
{
	char msg[120];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(s->err, sizeof(s->err), "offset %llu: %s",
		 (unsigned long long)off, msg);
	s->state = S_DONE;
	s->result = err;
	return err;
}

int relay_stream_follow(struct relay_stream *s)
{
	struct stat st;
	int fl;

	if (fstat(s->fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		s->follow = 1;
		return 1;
	}
	fl = fcntl(s->fd, F_GETFL);
	if (fl < 0 || fcntl(s->fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	s->follow = 2;
	return 2;
}

int relay_stream_fd(const struct relay_stream *s)
{
	return s->fd;
}

int relay_stream_ended(const struct relay_stream *s)
{
	return s->state == S_ENDED && s->have_trailer;
}

/*
 * Following a file: -ESTALE if it is no longer the data read so far (it
 * shrank, or was truncated and written again: a new run in its place,
 * relay-collect re-creating <base>.000000.relay), else 0.
 */
static int follow_same_file(struct relay_stream *s)
{
	uint8_t head[sizeof(s->head)];
	struct stat st;

	if (s->follow != 1)
		return 0;
	if (!s->have_head && !s->base && s->have >= sizeof(s->head)) {
		memcpy(s->head, s->buf, sizeof(s->head));
		s->have_head = 1;
		return 0;
	}
	if (fstat(s->fd, &st))
		return -errno;
	if ((uint64_t)st.st_size < s->base + s->have)
		return -ESTALE;
	if (s->have_head &&
	    (pread(s->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	     memcmp(head, s->head, sizeof(head))))
		return -ESTALE;
	return 0;
}

/*
 * Make @need bytes from pos available.  0: they are; 1: the data ended
 * before them; 2 (following): not yet; -errno.
 */
static int stream_fill(struct relay_stream *s, size_t need)
{
	while (s->have - s->pos < need) {
		ssize_t n;

		if (s->eof)
			return 1;
		if (s->pos && s->pos == s->have) {
			s->base += s->pos;
			s->have = s->pos = 0;
		} else if (s->pos > s->cap / 2) {
			memmove(s->buf, s->buf + s->pos, s->have - s->pos);
			s->base += s->pos;
			s->have -= s->pos;
			s->pos = 0;
		}
		if (s->cap - s->have < need || s->cap - s->have < 65536) {
			size_t cap = s->cap ? s->cap : 65536;
			uint8_t *b;

			while (cap < s->pos + need || cap - s->have < 65536)
				cap *= 2;
			b = realloc(s->buf, cap);
			if (!b)
				return -ENOMEM;
			s->buf = b;
			s->cap = cap;
		}
		n = read(s->fd, s->buf + s->have, s->cap - s->have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && s->follow)
				return 2;
			return -errno;
		}
		s->have += n;
		if (s->follow == 1) {
			int err = follow_same_file(s);

			if (err)
				return err;
			if (!n)
				return 2;	/* a growing file: more may come */
		}
		if (!n)
			s->eof = 1;
	}
	return 0;
}

/* The data ended at @off inside a run (or before any). */
static int stream_short(struct relay_stream *s, uint64_t off, int err)
{
	if (err == -ESTALE)
		return stream_fail(s, err, off, "the file shrank or was "
				   "written again from its start (a new run "
				   "in its place?)");
	if (err < 0)
		return stream_fail(s, err, off, "%s", strerror(-err));
	if (s->state == S_ENDED) {
		if (s->have == s->pos) {	/* right after a trailer */
			s->state = S_DONE;
			s->result = 0;
			return 0;
		}
		return stream_fail(s, -ENODATA, off, "a block cut short "
				   "after the run's end");
	}
	return stream_fail(s, -ENODATA, off, s->state == S_START &&
			   s->have == s->pos && !off ? "empty" :
			   "the run never finished (no trailer): the data "
			   "ends after its last whole frame");
}

static int stream_payload(struct relay_stream *s, struct relay_frame *f,
			  uint64_t stored, uint64_t off)
{
	const uint8_t *in = s->buf + s->pos;
	size_t n;

	f->stored = stored;
	if (!(f->flags & RELAY_FRAME_ZSTD)) {
		f->payload = in;
		return 1;
	}
	/* Its own header must say @len before @len bytes are allocated. */
	if (ZSTD_getFrameContentSize(in, stored) != f->len)
		return stream_fail(s, -EBADMSG, off, "bad zstd payload: its "
				   "content size is not the frame's %zu bytes",
				   f->len);
	if (!s->dctx && !(s->dctx = ZSTD_createDCtx()))
		return stream_fail(s, -ENOMEM, off, "out of memory");
	if (s->out_cap < f->len || !s->out) {
		uint8_t *o = realloc(s->out, f->len ? f->len : 1);

		if (!o)
			return stream_fail(s, -ENOMEM, off, "out of memory");
		s->out = o;
		s->out_cap = f->len;
	}
	n = ZSTD_decompressDCtx(s->dctx, s->out, f->len, in, stored);
	if (ZSTD_isError(n) || n != f->len)
		return stream_fail(s, -EBADMSG, off, "bad zstd payload: %s",
				   ZSTD_isError(n) ? ZSTD_getErrorName(n) :
				   "short");
	f->payload = s->out;
	return 1;
}

/*
 * A run header: a run's (or a rotated part's) first, or in a run of
 * several apps the next app's, right after the ones before it.
 */
static int stream_run_header(struct relay_stream *s, const uint8_t *b,
			     size_t len, uint64_t off)
{
	struct relay_run_header h;
	char *strs = malloc(len);
	unsigned int k;

	if (!strs)
		return stream_fail(s, -ENOMEM, off, "out of memory");
	if (relay_decode_run(b, len, &h, strs)) {
		free(strs);
		return stream_fail(s, -EBADMSG, off, "bad run header");
	}
	if (!h.ncpus || h.ncpus > RELAY_MAX_CPUS || h.napps > RELAY_MAX_APPS) {
		free(strs);
		return stream_fail(s, -EBADMSG, off, "run header: %u CPUs, "
				   "%u apps", h.ncpus, h.napps);
	}
	k = h.app_index;
	if (s->state == S_RUN &&
	    (k != s->napps || k >= s->apps[0].napps ||
	     h.napps != s->apps[0].napps ||
	     h.file_index != s->apps[0].file_index ||
	     memcmp(h.run_id, s->apps[0].run_id, sizeof(h.run_id)))) {
		free(strs);
		return stream_fail(s, -EBADMSG, off, "run header in the "
				   "middle of a run");
	}
	if (s->state != S_RUN && k) {
		free(strs);
		return stream_fail(s, -EBADMSG, off, "run header of app %u "
				   "first", k);
	}
	free(s->strs[k]);
	s->strs[k] = strs;
	s->apps[k] = h;
	s->hdr = h;
	s->napps = k + 1;
	s->have_hdr = 1;
	/* The last run's counters and trailer: cleared on the next block. */
	if (!k)
		s->new_run = 1;
	s->state = S_RUN;
	return 2;
}

/* Where every app's header must have come: -EBADMSG if one is missing. */
static int stream_apps_complete(struct relay_stream *s, uint64_t off)
{
	if (s->napps == s->apps[0].napps)
		return 0;
	return stream_fail(s, -EBADMSG, off, "no run header of app %u",
			   s->napps);
}

static int stream_counters(struct relay_stream *s, const uint8_t *b,
			   size_t len, uint64_t off)
{
	struct relay_cpu_counters c, *v;

	relay_decode_stats(b, len, &c);
	if (RELAY_APP_OF(c.cpu) >= s->napps ||
	    RELAY_CPU_OF(c.cpu) >= s->apps[RELAY_APP_OF(c.cpu)].ncpus)
		return stream_fail(s, -EBADMSG, off, "counters of cpu %u of "
				   "app %u, the run has %u apps, %u CPUs",
				   RELAY_CPU_OF(c.cpu), RELAY_APP_OF(c.cpu),
				   s->napps, s->apps[0].ncpus);
	if (relay_stream_counters(s, c.cpu, &c) == 0)
		return stream_fail(s, -EBADMSG, off, "counters of cpu %u "
				   "twice", c.cpu);
	v = realloc(s->ctr, (s->nctr + 1) * sizeof(*v));
	if (!v)
		return stream_fail(s, -ENOMEM, off, "out of memory");
	s->ctr = v;
	relay_decode_stats(b, len, &s->ctr[s->nctr++]);
	return 0;
}

int relay_stream_next(struct relay_stream *s, struct relay_frame *f)
{
	for (;;) {
		uint64_t off = s->base + s->pos, stored;
		const uint8_t *b;
		unsigned int type, version;
		uint32_t size;
		int err;

		if (s->state == S_DONE)
			return s->result;
		if (s->new_run) {
			s->nctr = 0;
			s->have_trailer = 0;
			s->new_run = 0;
		}
		err = stream_fill(s, 8);
		if (err == 2)
			return -EAGAIN;
		if (err)
			return stream_short(s, off, err);
		b = s->buf + s->pos;
		if (relay_get32(b) != RELAY_BLOCK_MAGIC)
			return stream_fail(s, -EBADMSG, off, "not a relayfs "
					   "block (magic %08x)",
					   relay_get32(b));
		size = relay_get32(b + 4);
		if (size < RELAY_BLOCK_MIN || size > RELAY_BLOCK_MAX)
			return stream_fail(s, -EBADMSG, off, "block size %u",
					   size);
		err = stream_fill(s, 8 + size);
		if (err == 2)
			return -EAGAIN;
		if (err)
			return stream_short(s, off, err);
		b = s->buf + s->pos;
		if (relay_get32(b + 8) != RELAY_BLOCK_TAG)
			return stream_fail(s, -EBADMSG, off, "not a relayfs "
					   "block (tag)");
		version = relay_get16(b + 12);
		type = relay_get16(b + 14);
		if (relay_get32(b + 16) != relay_block_crc(b, size + 8))
			return stream_fail(s, -EBADMSG, off, "bad CRC");
		if (version > RELAY_FORMAT_VERSION || !version)
			return stream_fail(s, -EPROTONOSUPPORT, off, "format "
					   "version %u", version);
		if (type != RELAY_BLOCK_RUN && s->state != S_RUN)
			return stream_fail(s, -EBADMSG, off, "no run header");
		if (type != RELAY_BLOCK_RUN && s->state == S_RUN &&
		    stream_apps_complete(s, off))
			return s->result;
		switch (type) {
		case RELAY_BLOCK_RUN:
			err = stream_run_header(s, b, 8 + size, off);
			s->pos += 8 + size;
			return err;
		case RELAY_BLOCK_FRAME:
			if (relay_decode_frame(b, 8 + size, f, &stored))
				return stream_fail(s, -EBADMSG, off, "frame "
						   "too long");
			if (RELAY_FRAME_APP(f->flags) >= s->napps)
				return stream_fail(s, -EBADMSG, off, "frame "
						   "of app %u, the run has "
						   "%u", RELAY_FRAME_APP(
						   f->flags), s->napps);
			if (f->cpu >= s->apps[RELAY_FRAME_APP(f->flags)].ncpus)
				return stream_fail(s, -EBADMSG, off, "frame "
						   "of cpu %u, the run has "
						   "%u", f->cpu, s->apps[
						   RELAY_FRAME_APP(f->flags)]
						   .ncpus);
			if (f->flags & RELAY_FRAME_ZSTD ?
			    stored > ZSTD_compressBound(f->len) || stored < 8 :
			    stored != f->len)
				return stream_fail(s, -EBADMSG, off, "frame "
						   "of %zu bytes stores %llu",
						   f->len, (unsigned long long)
						   stored);
			/* Header and payload, or neither: a follower retries
			 * from the header, wherever the buffer moved.
			 */
			err = stream_fill(s, 8 + size + stored);
			if (err == 2)
				return -EAGAIN;
			if (err)
				return stream_short(s, off, err);
			s->pos += 8 + size;
			err = stream_payload(s, f, stored, off);
			if (err == 1)
				s->pos += stored;
			return err;
		case RELAY_BLOCK_STATS:
			err = stream_counters(s, b, 8 + size, off);
			if (err)
				return err;
			break;
		case RELAY_BLOCK_TRAILER:
			relay_decode_trailer(b, 8 + size, &s->trailer);
			s->have_trailer = 1;
			s->state = S_ENDED;
			break;
		default:	/* a later version's: skipped */
			break;
		}
		s->pos += 8 + size;
	}
}

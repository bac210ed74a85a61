// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The NATS sink's local spool: the messages the cluster did not take
 * (yet), on disk in the run format and in order, bounded in bytes.
 * Files <dir>/<name>.<N>.relay each start with the run's header block
 * (file_index N) and go on with message bodies exactly as published
 * (frames, the end; the run header message not again), so relay-merge
 * reads a spool left behind; the
 * order and the producer sequence of every message are kept in memory.
 * A file whose messages were all acknowledged is deleted: that room is
 * free again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fleet.h"
#include "format.h"

struct spool_file {
	unsigned int index;
	int fd;
	uint64_t size;
	uint64_t live;		/* messages in it not acknowledged */
};

struct spool_entry {
	uint64_t pseq, seq, off;
	unsigned int kind, cpu, file;	/* file: its index */
	size_t len;
};

struct relay_spool {
	char *dir, *name;
	uint8_t *hdr, *run;	/* run: the run header message's body */
	size_t hdr_len, run_len;
	uint64_t max, bytes, file_max;
	struct spool_file *files;	/* oldest first; the last is written */
	unsigned int nfiles, next_index;
	struct spool_entry *e;		/* a ring of cap entries */
	size_t cap, head, count, sent;	/* sent: of count, from head */
};

static void spool_path(const struct relay_spool *s, unsigned int index,
		       char *p, size_t n)
{
	snprintf(p, n, "%s/%s.%06u.relay", s->dir, s->name, index);
}

int relay_spool_open(const char *dir, const char *name, const uint8_t *hdr,
		     size_t hdr_len, uint64_t max, struct relay_spool **sp)
{
	struct relay_spool *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->dir = strdup(dir);
	s->name = strdup(name);
	s->hdr = malloc(hdr_len);
	if (!s->dir || !s->name || !s->hdr) {
		relay_spool_close(s, 0);
		return -ENOMEM;
	}
	memcpy(s->hdr, hdr, hdr_len);
	s->hdr_len = hdr_len;
	s->max = max;
	/* Files small enough that acknowledged ones free room soon. */
	s->file_max = max / 8 < (4 << 20) ? max / 8 : (4 << 20);
	/* One level: the spool's parent is the user's to make. */
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		relay_spool_close(s, 0);
		return err;
	}
	*sp = s;
	return 0;
}

/* A new file to write, starting with the header: its size counted. */
static int spool_new_file(struct relay_spool *s)
{
	struct spool_file *f;
	char path[4096];
	int fd;

	f = realloc(s->files, (s->nfiles + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	s->files = f;
	spool_path(s, s->next_index, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	relay_put32(s->hdr + RELAY_BLOCK_PREFIX + 4, s->next_index);
	relay_block_seal(s->hdr, s->hdr_len, RELAY_BLOCK_RUN);
	if (pwrite(fd, s->hdr, s->hdr_len, 0) != (ssize_t)s->hdr_len) {
		close(fd);
		unlink(path);
		return -ENOSPC;
	}
	f[s->nfiles++] = (struct spool_file){ s->next_index++, fd,
					      s->hdr_len, 0 };
	s->bytes += s->hdr_len;
	return 0;
}

static int spool_grow(struct relay_spool *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024, i;
	struct spool_entry *e = malloc(cap * sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (i = 0; i < s->count; i++)
		e[i] = s->e[(s->head + i) % s->cap];
	free(s->e);
	s->e = e;
	s->cap = cap;
	s->head = 0;
	return 0;
}

int relay_spool_add(struct relay_spool *s, const struct relay_spool_item *it)
{
	struct spool_file *f = s->nfiles ? &s->files[s->nfiles - 1] : NULL;
	int need_file = !f || f->size + it->len > s->file_max;
	uint64_t need = it->len + (need_file ? s->hdr_len : 0);
	struct spool_entry *e;
	ssize_t w;
	int err;

	/* An empty spool takes any one message: it can only wait here. */
	if (s->bytes + need > s->max && !it->force && s->count)
		return -ENOSPC;
	if (s->count == s->cap && (err = spool_grow(s)))
		return err;
	if (need_file) {
		err = spool_new_file(s);
		if (err)
			return err;
		f = &s->files[s->nfiles - 1];
	}
	/*
	 * The run header message: its blocks already begin every file (a
	 * second copy would be "a run header in the middle of a run" to a
	 * reader); kept in memory to be resent.
	 */
	if (it->kind == RELAY_MSG_RUN) {
		free(s->run);
		s->run = malloc(it->len ? it->len : 1);
		if (!s->run)
			return -ENOMEM;
		memcpy(s->run, it->body, it->len);
		s->run_len = it->len;
		e = &s->e[(s->head + s->count++) % s->cap];
		*e = (struct spool_entry){ .pseq = it->pseq, .off = UINT64_MAX,
					   .kind = it->kind, .file = f->index,
					   .len = it->len };
		f->live++;
		return 0;
	}
	w = pwrite(f->fd, it->body, it->len, f->size);
	if (w != (ssize_t)it->len) {
		err = w < 0 ? -errno : -ENOSPC;
		if (ftruncate(f->fd, f->size)) {
			/* the reader stops at the cut anyway */
		}
		return err;
	}
	e = &s->e[(s->head + s->count++) % s->cap];
	*e = (struct spool_entry){ .pseq = it->pseq, .seq = it->seq,
				   .off = f->size, .kind = it->kind,
				   .cpu = it->cpu, .file = f->index,
				   .len = it->len };
	f->size += it->len;
	f->live++;
	s->bytes += it->len;
	return 0;
}

static struct spool_file *spool_file(struct relay_spool *s, unsigned int idx)
{
	unsigned int i;

	for (i = 0; i < s->nfiles; i++)
		if (s->files[i].index == idx)
			return &s->files[i];
	return NULL;
}

int relay_spool_next(struct relay_spool *s, struct relay_spool_item *it)
{
	struct spool_entry *e;
	struct spool_file *f;

	if (s->sent == s->count)
		return 0;
	e = &s->e[(s->head + s->sent) % s->cap];
	f = spool_file(s, e->file);
	if (!f)
		return -EIO;
	it->body = malloc(e->len ? e->len : 1);
	if (!it->body)
		return -ENOMEM;
	if (e->off == UINT64_MAX)
		memcpy(it->body, s->run, e->len);
	else if (pread(f->fd, it->body, e->len, e->off) != (ssize_t)e->len) {
		free(it->body);
		it->body = NULL;
		return -EIO;
	}
	it->pseq = e->pseq;
	it->kind = e->kind;
	it->cpu = e->cpu;
	it->seq = e->seq;
	it->len = e->len;
	s->sent++;
	return 1;
}

/* Drop file @i (all its messages acknowledged) from disk and the list. */
static void spool_drop_file(struct relay_spool *s, unsigned int i)
{
	char path[4096];

	spool_path(s, s->files[i].index, path, sizeof(path));
	close(s->files[i].fd);
	unlink(path);
	s->bytes -= s->files[i].size;
	memmove(&s->files[i], &s->files[i + 1],
		(--s->nfiles - i) * sizeof(*s->files));
}

int relay_spool_done(struct relay_spool *s, uint64_t pseq)
{
	while (s->count && s->sent && s->e[s->head].pseq <= pseq) {
		struct spool_file *f = spool_file(s, s->e[s->head].file);

		if (f)
			f->live--;
		s->head = (s->head + 1) % s->cap;
		s->count--;
		s->sent--;
	}
	/* Files emptied: all of them but the one written, or that too. */
	while (s->nfiles && !s->files[0].live &&
	       (s->nfiles > 1 || !s->count))
		spool_drop_file(s, 0);
	return 0;
}

void relay_spool_rewind(struct relay_spool *s)
{
	s->sent = 0;
}

uint64_t relay_spool_count(const struct relay_spool *s)
{
	return s->count;
}

uint64_t relay_spool_bytes(const struct relay_spool *s)
{
	return s->bytes;
}

void relay_spool_close(struct relay_spool *s, int remove_empty)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->nfiles; i++) {
		if (remove_empty && !s->files[i].live) {
			char path[4096];

			spool_path(s, s->files[i].index, path, sizeof(path));
			unlink(path);
		}
		close(s->files[i].fd);
	}
	free(s->files);
	free(s->e);
	free(s->hdr);
	free(s->run);
	free(s->name);
	free(s->dir);
	free(s);
}

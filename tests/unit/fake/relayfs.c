// SPDX-License-Identifier: GPL-2.0
/* The fake relayfs of fake/relayfs.h: the --wrap'ed calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include "relayfs.h"

struct fake_app fake;

int __real_open(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_ioctl(int fd, unsigned long req, ...);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __real_munmap(void *addr, size_t len);
int __real_close(int fd);

/* Descriptors of the control file: what a read() returns next. */
#define MAXFD	1024
static char *ctl_text[MAXFD];
static size_t ctl_pos[MAXFD];
static bool is_ctl[MAXFD];

void fake_reset(const char *name, unsigned int cpus, unsigned int total)
{
	unsigned int i;

	for (i = 0; i < FAKE_MAXCPU; i++)
		free(fake.buf[i].map);
	memset(&fake, 0, sizeof(fake));
	snprintf(fake.name, sizeof(fake.name), "%s", name);
	fake.cpus = cpus;
	fake.subbuf_size = 4096;
	fake.n_subbufs = 4;
	for (i = 0; i < FAKE_MAXCPU; i++) {
		fake.buf[i].total = total;
		fake.buf[i].fd = -1;
	}
}

unsigned int fake_subbuf_used(unsigned int cpu, uint64_t seq)
{
	return 64 + (cpu * 7 + seq * 13) % 64 * 16;
}

void fake_subbuf_fill(unsigned int cpu, uint64_t seq, uint8_t *p)
{
	unsigned int i, n = fake_subbuf_used(cpu, seq);

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(cpu * 100 + seq * 7 + i);
}

static struct fake_buf *buf_of(int fd, unsigned int *cpu)
{
	unsigned int i;

	for (i = 0; fd >= 0 && i < fake.cpus; i++) {
		if (fake.buf[i].fd == fd) {
			*cpu = i;
			return &fake.buf[i];
		}
	}
	return NULL;
}

/* Sub-buffers complete so far: all once closed, else a buffer ahead. */
static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t ready(struct fake_buf *b)
{
	uint64_t r = b->pos + fake.n_subbufs, paced;

	if (fake.pace_ms && !fake.closed) {
		paced = (mono() - fake.started) * 1000 / fake.pace_ms;
		if (r > paced)
			r = paced;
	}
	if (fake.closed || r > b->total)
		r = b->total;
	return r;
}

static void meta(struct fake_buf *b, unsigned int cpu, uint64_t seq,
		 struct relayfs_subbuf *m)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->offset = (seq % fake.n_subbufs) * fake.subbuf_size;
	m->t_open = 1000000 * seq + cpu;
	m->t_close = m->t_open + 500;
	m->records = FAKE_RECORDS;
	m->used = fake_subbuf_used(cpu, seq);
	m->bytes = m->used;
	m->padding = fake.subbuf_size - m->used;
	if (b->map)
		fake_subbuf_fill(cpu, seq, b->map + m->offset);
}

static char *state_text(void)
{
	char *t = malloc(1024);

	snprintf(t, 1024, "state %s\nsubbuf_size %u\nn_subbufs %u\nmode %s\n"
		 "cpus %u\nbase %s\nruns 1\nheld 0\ndefault_subbuf_size 4096\n"
		 "default_n_subbufs 4\ndefault_mode %s\n",
		 fake.running ? "running" : "idle", fake.subbuf_size,
		 fake.n_subbufs, fake.overwrite ? "overwrite" : "no-overwrite",
		 fake.cpus, fake.name,
		 fake.overwrite ? "overwrite" : "no-overwrite");
	return t;
}

int __wrap_open(const char *path, int flags, ...)
{
	char prefix[300], ctl[300];
	unsigned int cpu;
	va_list ap;
	mode_t mode;
	int fd;

	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	if (strncmp(path, FAKE_ROOT "/", strlen(FAKE_ROOT) + 1))
		return __real_open(path, flags, mode);
	snprintf(ctl, sizeof(ctl), FAKE_ROOT "/%s/control", fake.name);
	snprintf(prefix, sizeof(prefix), FAKE_ROOT "/%s/%s", fake.name,
		 fake.name);
	if (!strcmp(path, ctl)) {
		fd = eventfd(0, EFD_CLOEXEC);
		if (fd < 0 || fd >= MAXFD)
			abort();
		is_ctl[fd] = true;
		ctl_text[fd] = state_text();
		ctl_pos[fd] = 0;
		return fd;
	}
	if (strncmp(path, prefix, strlen(prefix)) ||
	    sscanf(path + strlen(prefix), "%u", &cpu) != 1 ||
	    cpu >= fake.cpus || fake.buf[cpu].missing) {
		errno = ENOENT;
		return -1;
	}
	if (fake.buf[cpu].open_err) {
		errno = fake.buf[cpu].open_err;
		return -1;
	}
	/* Always readable: the library's own calls say when data is. */
	fd = eventfd(1, EFD_CLOEXEC);
	fake.buf[cpu].fd = fd;
	return fd;
}

static ssize_t fake_read(struct fake_buf *b, unsigned int cpu, void *p,
			 size_t n, int fd)
{
	if (++b->reads == b->read_err_at) {
		errno = b->read_err;
		return -1;
	}
	if (b->pos >= ready(b)) {
		if (fake.closed)
			return 0;
		if (fcntl(fd, F_GETFL) & O_NONBLOCK) {
			errno = EAGAIN;
			return -1;
		}
		return 0;	/* a blocking read of a stuck fake: end */
	}
	meta(b, cpu, b->pos, &b->last);
	if (n < b->last.used) {
		errno = EINVAL;
		return -1;
	}
	fake_subbuf_fill(cpu, b->pos, p);
	b->consumed_records += b->last.records;
	b->consumed_bytes += b->last.bytes;
	b->pos++;
	return b->last.used;
}

ssize_t __wrap_read(int fd, void *p, size_t n)
{
	unsigned int cpu;
	struct fake_buf *b = buf_of(fd, &cpu);
	size_t k;

	if (b)
		return fake_read(b, cpu, p, n, fd);
	if (fd >= 0 && fd < MAXFD && is_ctl[fd]) {
		k = strlen(ctl_text[fd]) - ctl_pos[fd];
		if (k > n)
			k = n;
		memcpy(p, ctl_text[fd] + ctl_pos[fd], k);
		ctl_pos[fd] += k;
		return k;
	}
	return __real_read(fd, p, n);
}

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
	char cmd[256];
	unsigned int size, nsb, i;
	char mode[32] = "";

	if (!(fd >= 0 && fd < MAXFD && is_ctl[fd]))
		return __real_write(fd, p, n);
	snprintf(cmd, sizeof(cmd), "%.*s", (int)n, (const char *)p);
	if (!strncmp(cmd, "stop", 4)) {
		fake.stops++;
		fake.closed = true;
		fake.running = false;
		return n;
	}
	if (sscanf(cmd, "start subbuf_size=%u n_subbufs=%u mode=%31s", &size,
		   &nsb, mode) >= 2) {
		fake.running = true;
		fake.closed = false;
		fake.started = mono();
		fake.overwrite = !strcmp(mode, "overwrite");
		for (i = 0; i < fake.cpus; i++) {
			fake.buf[i].pos = fake.buf[i].first_valid = 0;
			free(fake.buf[i].map);
			fake.buf[i].map = NULL;
		}
		return n;
	}
	errno = EINVAL;
	return -1;
}

static int fake_consume(struct fake_buf *b, unsigned int cpu,
			struct relayfs_consume *c)
{
	struct relayfs_subbuf *e = (struct relayfs_subbuf *)(uintptr_t)
				   c->entries;
	uint64_t s, r;
	unsigned int k = 0;

	if (c->version != RELAYFS_ABI_VERSION)
		return -EINVAL;
	if (++b->consumes >= b->consume_err_at && b->consume_err_at &&
	    b->consumes <= b->consume_err_at + b->consume_err_times) {
		if (b->lap_on_err && b->first_valid < b->lap_on_err)
			b->first_valid = b->lap_on_err;
		return -b->consume_err;
	}
	/* Acknowledge (a repeated ack is a no-op), then snapshot. */
	if (c->ack < b->pos)
		return -EINVAL;
	if (c->ack > ready(b))
		return -EINVAL;
	for (s = b->pos; s < c->ack; s++) {
		if (s < b->first_valid)
			continue;
		b->consumed_records += FAKE_RECORDS;
		b->consumed_bytes += fake_subbuf_used(cpu, s);
	}
	if (c->ack > b->pos)
		b->pos = c->ack;
	c->valid_from = fake.overwrite ? b->first_valid : b->pos;
	r = ready(b);
	s = b->pos > b->first_valid ? b->pos : b->first_valid;
	for (; s < r && k < c->max_entries; s++)
		meta(b, cpu, s, &e[k++]);
	c->n_entries = k;
	c->next = b->pos;
	c->status = fake.closed && b->pos >= b->total ?
		    RELAYFS_CONSUME_EOF : 0;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	unsigned int cpu;
	struct fake_buf *b = buf_of(fd, &cpu);
	va_list ap;
	void *arg;
	int err = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!b)
		return __real_ioctl(fd, req, arg);
	if (req == RELAYFS_IOC_GET_INFO) {
		struct relayfs_buf_info *i = arg;

		memset(i, 0, sizeof(*i));
		i->version = RELAYFS_ABI_VERSION;
		i->cpu = cpu;
		i->subbuf_size = fake.subbuf_size;
		i->n_subbufs = fake.n_subbufs;
		i->flags = fake.overwrite ? RELAYFS_BUF_OVERWRITE : 0;
		i->buf_size = (uint64_t)fake.subbuf_size * fake.n_subbufs;
	} else if (req == RELAYFS_IOC_GET_STATS) {
		struct relayfs_buf_stats *s = arg;
		uint64_t all = (uint64_t)b->total * FAKE_RECORDS;

		memset(s, 0, sizeof(*s));
		s->version = RELAYFS_ABI_VERSION;
		s->cpu = cpu;
		s->attempted_records = s->accepted_records = all;
		s->consumed_records = b->consumed_records;
		s->consumed_bytes = b->consumed_bytes;
		s->unread_records = all - b->consumed_records;
		s->subbufs_produced = b->total;
		s->subbufs_consumed = b->pos;
	} else if (req == RELAYFS_IOC_CONSUME) {
		err = fake_consume(b, cpu, arg);
	} else if (req == RELAYFS_IOC_GET_SUBBUF) {
		if (++b->getsubs == b->getsub_err_at)
			err = -b->getsub_err;
		else
			memcpy(arg, &b->last, sizeof(b->last));
	} else if (req == RELAYFS_IOC_GET_CLOCKS && fake.clocks) {
		struct relayfs_clocks *c = arg;

		memset(c, 0, sizeof(*c));
		c->version = RELAYFS_ABI_VERSION;
		c->local_ns = 5000;
		c->realtime_ns = 1700000000000000000ULL;
		c->monotonic_ns = 6000;
		c->boottime_ns = 7000;
	} else {
		err = -ENOTTY;
	}
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	unsigned int cpu;
	struct fake_buf *b = buf_of(fd, &cpu);

	if (!b)
		return __real_mmap(addr, len, prot, flags, fd, off);
	b->map = calloc(1, len);
	return b->map ? b->map : MAP_FAILED;
}

int __wrap_munmap(void *addr, size_t len)
{
	unsigned int i;

	for (i = 0; i < fake.cpus; i++) {
		if (fake.buf[i].map && fake.buf[i].map == addr) {
			free(fake.buf[i].map);
			fake.buf[i].map = NULL;
			return 0;
		}
	}
	return __real_munmap(addr, len);
}

int __wrap_close(int fd)
{
	unsigned int cpu;
	struct fake_buf *b = buf_of(fd, &cpu);

	if (fd == 0)
		fake.fd0_closes++;
	if (b)
		b->fd = -1;
	if (fd >= 0 && fd < MAXFD && is_ctl[fd]) {
		is_ctl[fd] = false;
		free(ctl_text[fd]);
		ctl_text[fd] = NULL;
	}
	if (fd == 0)
		return 0;	/* keep the test's stdin */
	if (__real_close(fd) < 0) {
		if (errno == EBADF)
			fake.ebadf_closes++;
		return -1;
	}
	return 0;
}

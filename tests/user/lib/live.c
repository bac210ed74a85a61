// SPDX-License-Identifier: GPL-2.0
/*
 * Live consumers of the test producer's channel: a read() or mmap reader
 * thread per CPU verifying every record while the producer writes, with
 * or without CPU hotplug underneath; shared by rfs-read.c and
 * rfs-torture.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "ktap.h"
#include "rfstest.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

int consume(int fd, uint64_t ack, unsigned int flags,
		   struct relayfs_subbuf *e, unsigned int max,
		   struct relayfs_consume *c)
{
	memset(c, 0, sizeof(*c));
	c->version = RELAYFS_ABI_VERSION;
	c->flags = flags;
	c->ack = ack;
	c->entries = (uintptr_t)e;
	c->max_entries = max;
	return ioctl(fd, RELAYFS_IOC_CONSUME, c);
}

/* Check one entry's metadata against its bytes, then the records. */
int verify_entry(struct reader *r, const struct relayfs_subbuf *e,
			const uint8_t *p)
{
	long recs = r->records, bytes = r->bytes;

	if (e->used > r->subbuf || e->used + e->padding != r->subbuf ||
	    e->offset % r->subbuf || e->t_open > e->t_close)
		return snprintf(r->err, sizeof(r->err),
				"cpu%d sb %llu: bad metadata used %u pad %u",
				r->cpu, (unsigned long long)e->seq, e->used,
				e->padding);
	if (r->hdr && memcmp(p, &e->seq, sizeof(e->seq)))
		return snprintf(r->err, sizeof(r->err),
				"cpu%d sb %llu: header disagrees", r->cpu,
				(unsigned long long)e->seq);
	if (verify_chunk(r, p, e->used))
		return -1;
	if (r->records - recs != (long)e->records ||
	    r->bytes - bytes != (long)e->bytes)
		return snprintf(r->err, sizeof(r->err),
				"cpu%d sb %llu: %llu records in metadata, %ld "
				"in data", r->cpu, (unsigned long long)e->seq,
				(unsigned long long)e->records,
				r->records - recs);
	r->gaps += e->seq - r->expect;
	r->expect = e->seq + 1;
	return 0;
}

/*
 * A zero-copy consumer: map the buffer, then one RELAYFS_IOC_CONSUME per
 * batch acknowledges the last batch and waits for the next.  In overwrite
 * mode it copies the batch first and keeps what the ack validated.
 */
void *mmap_reader_fn(void *arg)
{
	struct reader *r = arg;
	struct relayfs_subbuf e[MAX_ENTRIES];
	size_t size = (size_t)r->subbuf * r->n_subbufs;
	uint8_t *map, *copy = NULL;
	struct relayfs_consume c;
	uint64_t ack = 0;
	unsigned int i, n;

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, r->fd, 0);
	if (map == MAP_FAILED) {
		snprintf(r->err, sizeof(r->err), "mmap: %s", strerror(errno));
		return NULL;
	}
	if (r->overwrite)
		copy = malloc((size_t)r->subbuf * MAX_ENTRIES);
	for (;;) {
		r->syscalls++;
		if (consume(r->fd, ack, RELAYFS_CONSUME_WAIT, e, MAX_ENTRIES,
			    &c)) {
			snprintf(r->err, sizeof(r->err), "consume: %s",
				 strerror(errno));
			break;
		}
		if (c.status & RELAYFS_CONSUME_EOF)
			break;
		n = c.n_entries;
		if (!n)
			continue;	/* woken, but lapped meanwhile */
		if (!r->overwrite) {
			for (i = 0; i < c.n_entries; i++)
				if (verify_entry(r, &e[i], map + e[i].offset))
					goto out;
			ack = e[c.n_entries - 1].seq + 1;
			continue;
		}
		/* Copy, validate with the ack, keep what was intact. */
		for (i = 0; i < c.n_entries; i++)
			memcpy(copy + (size_t)i * r->subbuf,
			       map + e[i].offset, e[i].used);
		ack = e[c.n_entries - 1].seq + 1;
		r->syscalls++;
		if (consume(r->fd, ack, 0, NULL, 0, &c)) {
			snprintf(r->err, sizeof(r->err), "ack: %s",
				 strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			if (e[i].seq >= c.valid_from &&
			    verify_entry(r, &e[i], copy + (size_t)i * r->subbuf))
				goto out;
		usleep(2000);	/* a slow consumer: writers lap it */
	}
out:
	free(copy);
	munmap(map, size);
	return NULL;
}

static int start_thread(struct run *run, int cpu)
{
	struct reader *r = &run->rd[cpu];

	CHECK(pthread_create(&r->th, NULL,
			     run->use_mmap ? mmap_reader_fn : reader_fn,
			     r) == 0);
	return 0;
}

int start_reader(struct run *run, int cpu)
{
	struct reader *r = &run->rd[cpu];

	CHECK(reader_open(r, cpu, run->len, run->hdr, run->overwrite) == 0);
	return start_thread(run, cpu);
}

/* Wait for every reader, then the exact checks. */
int finish_readers(struct run *run)
{
	int cpu, ret = 0;

	/* Join them all, even after a failure. */
	for (cpu = 0; cpu < ncpus; cpu++) {
		struct reader *r = &run->rd[cpu];

		if (reader_finish(r))
			ret = -1;
		else if (run->use_mmap)
			printf("# cpu%d: %ld sub-buffers in %ld consume calls, "
			       "%ld overwritten\n", cpu, r->subbufs,
			       r->syscalls, r->gaps);
	}
	return ret;
}

/* The contexts "ctx=" of testprod's write command @w asks for, a mask. */
static unsigned int ctx_mask(const char *w)
{
	static const char *const names[] = { "task", "softirq", "hardirq",
					     "nmi", "all" };
	const char *p = strstr(w, "ctx=");
	size_t n;
	int i;

	if (!p)
		return 1U << RFS_CTX_TASK;	/* testprod's default */
	p += 4;
	for (i = 0; i < 5; i++) {
		n = strlen(names[i]);
		if (!strncmp(p, names[i], n) && !isalnum((unsigned char)p[n]))
			return i < 4 ? 1U << i : (1U << RFS_CTX_INJECT) - 1;
	}
	return 0;
}

/*
 * Records were written, not only counted: on every CPU, every context
 * the write asked for had records accepted, and the CPU's reader read
 * some.  All dropped is not a pass.  The exceptions, precisely:
 *  - records longer than a sub-buffer's payload are all refused
 *    (too_big_is_refused checks that they are);
 *  - @hotplug_cpu (or -1): the CPU that hotplug_run() takes offline and
 *    back.  Offline when the write began, testprod gives it nothing
 *    (do_write() skips offline CPUs); offline later, its timers and its
 *    work migrate and write into another CPU's buffer;
 *  - a context starved by a full buffer: without overwrite, the other
 *    contexts (or injected bursts) can fill the buffer before it starts
 *    and keep it full while it writes, when the reader cannot keep up.
 *    Seen in the torture storms: a task's 1500 records all refused,
 *    4 KiB x 4, len 200, cpu1 going on and off line (hotplug_storm);
 *    a task's 800, behind bursts of 22 records of 200 bytes after every
 *    third commit (inject_storm).  Such a context's every record met a
 *    full buffer (-ENOSPC, no other drop), and the CPU accepted records
 *    from the others: both checked.  In overwrite mode nothing is
 *    refused for space: every context must get records in.
 */
/* All of a stream's records met a full no-overwrite buffer. */
static bool starved(const struct run *run, const struct stream_res *s)
{
	return !run->overwrite && s->nospc > 0 && !s->busy && !s->nested &&
	       !s->big && !s->other;
}

static int check_written(const struct run *run, const char *w,
			 int hotplug_cpu)
{
	unsigned int mask = ctx_mask(w);
	const char *only = strstr(w, "cpu=");
	int cpu, ctx;
	long all;

	CHECK(mask != 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct reader *r = &run->rd[cpu];

		if (cpu == hotplug_cpu || (only && atoi(only + 4) != cpu))
			continue;
		if (run->len > r->subbuf - run->hdr)
			continue;
		for (all = 0, ctx = 0; ctx < RFS_NR_CTX; ctx++)
			all += res[cpu][ctx].ok;
		CHECK(all > 0 || (printf("# cpu%d: no record accepted\n", cpu),
				  0));
		for (ctx = 0; ctx < RFS_CTX_INJECT; ctx++)
			if ((mask & (1U << ctx)) && res[cpu][ctx].ok <= 0 &&
			    !starved(run, &res[cpu][ctx])) {
				printf("# cpu%d ctx %d: %ld records accepted, "
				       "%ld dropped\n", cpu, ctx,
				       res[cpu][ctx].ok, res[cpu][ctx].nospc +
				       res[cpu][ctx].busy +
				       res[cpu][ctx].nested);
				return -1;
			}
		CHECK(r->records > 0 ||
		      (printf("# cpu%d: no record read\n", cpu), 0));
	}
	return 0;
}

/*
 * Open the channel, write, close, drain and verify everything; readers
 * run during the write, or start after the close (@run->after_close).
 */
static volatile int flushing;

/* RELAYFS_IOC_FLUSH on every reader's file until the write ends. */
static void *flush_fn(void *arg)
{
	struct run *run = arg;
	int cpu;

	while (flushing) {
		for (cpu = 0; cpu < ncpus; cpu++) {
			if (ioctl(run->rd[cpu].fd, RELAYFS_IOC_FLUSH))
				return (void *)(long)-errno;
			run->flushes++;
		}
	}
	return NULL;
}

int run_channel(struct run *run)
{
	struct reader *r;
	pthread_t fl;
	void *fret = NULL;
	int cpu;

	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open %s", run->open), 0);
	if (run->setup)
		CHECK_EQ(ctl("%s", run->setup), 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		r = &run->rd[cpu];
		if (run->after_close)
			CHECK(reader_open(r, cpu, run->len, run->hdr,
					  run->overwrite) == 0);
		else
			CHECK(start_reader(run, cpu) == 0);
	}
	run->flushes = 0;
	flushing = run->flush_storm;
	if (flushing)
		CHECK(pthread_create(&fl, NULL, flush_fn, run) == 0);
	CHECK_EQ(ctl("write len=%u %s", run->len, run->write), 0);
	if (flushing) {
		flushing = 0;
		pthread_join(fl, &fret);
		CHECK_EQ((long)fret, 0);
		CHECK(run->flushes > 0);
	}
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	if (run->after_close)
		for (cpu = 0; cpu < ncpus; cpu++)
			CHECK(start_thread(run, cpu) == 0);
	CHECK(finish_readers(run) == 0);
	return check_written(run, run->write, -1);
}

int set_cpu1(int online)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, online ? "1" : "0", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

static volatile int writing;

static void *hotplug_fn(void *arg)
{
	long *cycles = arg;

	while (writing) {
		if (set_cpu1(0) || set_cpu1(1))
			break;
		(*cycles)++;
		usleep(20000);
	}
	return NULL;
}

int hotplug_run(struct run *run, const char *write, long *cycles)
{
	pthread_t hp;
	int cpu;

	CHECK(ncpus >= 2);
	*cycles = 0;
	memset(res, 0, sizeof(res));
	CHECK_EQ(ctl("open %s", run->open), 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		CHECK(start_reader(run, cpu) == 0);
	writing = 1;
	CHECK(pthread_create(&hp, NULL, hotplug_fn, cycles) == 0);
	CHECK_EQ(ctl("write len=%u %s", run->len, write), 0);
	writing = 0;
	pthread_join(hp, NULL);
	CHECK(*cycles > 0);
	CHECK_EQ(set_cpu1(1), 0);
	CHECK_EQ(ctl("close"), 0);
	CHECK_EQ(read_results(), 0);
	CHECK(finish_readers(run) == 0);
	return check_written(run, write, 1);
}

/*
 * relayfs_reset() in a loop (testprod "resets=1") while every context on
 * every CPU writes, with records too big, counted drops, switches and
 * discards mixed in.  After any number of resets both counter equations
 * hold exactly, and each buffer still switches through every slot.
 */
int reset_storm(const char *open, const char *setup, unsigned int n_subbufs,
		int records, long *resets)
{
	struct relayfs_buf_stats st;
	long failed, per;
	char buf[4096];
	int cpu, fd;

	CHECK_EQ(ctl("open %s", open), 0);
	if (setup)
		CHECK_EQ(ctl("%s", setup), 0);
	CHECK_EQ(ctl("write len=64 count=%d ctx=all mix=1 resets=1",
		     records), 0);
	CHECK(read_ctl_pair("resets", resets, &failed) == 0);
	CHECK(*resets > 0);
	CHECK_EQ(failed, 0);
	CHECK_EQ(ctl("flush"), 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		fd = open_cpu(cpu, O_NONBLOCK);
		CHECK(fd >= 0);
		CHECK(get_stats(fd, &st) == 0);
		if (st.attempted_records != st.accepted_records +
		    st.dropped_records + st.refused_records)
			printf("# cpu%d: attempted %llu, accepted %llu, "
			       "dropped %llu, refused %llu\n", cpu,
			       (unsigned long long)st.attempted_records,
			       (unsigned long long)st.accepted_records,
			       (unsigned long long)st.dropped_records,
			       (unsigned long long)st.refused_records);
		CHECK(check_equations(&st) == 0);
		/* Drain: every slot is free for what follows. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		CHECK_EQ(errno, EAGAIN);
		close(fd);
	}
	/* The setup (an injection) was for the storm only. */
	if (setup)
		CHECK_EQ(ctl("inject every=0"), 0);
	/*
	 * n - 1 sub-buffers' worth from a task on each CPU, no reset: all
	 * fit.  A slot that a reset left incomplete refuses every switch
	 * into it (-EBUSY), which a task never gets otherwise.
	 */
	per = (n_subbufs - 1) * ((4096 - 8) / 64);
	CHECK_EQ(ctl("write len=64 count=%ld ctx=task", per), 0);
	CHECK_EQ(read_results(), 0);
	for (cpu = 0; cpu < ncpus; cpu++) {
		CHECK_EQ(res[cpu][RFS_CTX_TASK].busy, 0);
		CHECK_EQ(res[cpu][RFS_CTX_TASK].ok, per);
		CHECK(check_cpu_equations(cpu) == 0);
	}
	CHECK_EQ(ctl("close"), 0);
	return 0;
}

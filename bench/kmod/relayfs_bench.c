// SPDX-License-Identifier: GPL-2.0
/*
 * Write-path benchmark: relayfs beside the kernel's relay and the ftrace
 * ring buffer, through one harness.  Runs at load and prints one line per
 * case to the kernel log:
 *
 *   relayfs-bench: mode=M cpus=C backend=B size=S ns=N min=A p90=P max=X
 *                  written=W err=E
 *
 * written=1 if every timed write wrote its record (drop mode: 0, as it
 * should; otherwise 0 means the back-end refuses that size); err is the
 * case's setup error, and then every figure is 0.
 *
 * N is the median over batches of (batch time / records) minus the
 * median for an empty call, in local_clock() nanoseconds: under qemu
 * -icount shift=0 one guest instruction is one nanosecond, so N counts
 * instructions.  With cpus > 1 every online CPU runs the case at once
 * and N is the mean of their medians.  A, P and X are the minimum, 90th
 * percentile and maximum over every batch of every CPU (each minus its
 * CPU's empty median): the spread.
 *
 * fail=1 makes every case's setup fail (err=-EIO): a deliberately broken
 * run, for checking that bench/run.sh and the report refuse it.
 *
 * Back-ends are called through noinline wrappers with a run-time length,
 * in the same mode (overwrite: a flight recorder), as the SPEC asks:
 *   relayfs_write, relayfs_reserve (reserve+copy+commit), relayfs_hdr
 *   (relayfs_write of the timestamp + length header ftrace events carry,
 *   plus the payload), relay_write and __relay_write (the kernel's relay,
 *   header inlines, buffers on debugfs), rb_write (ring_buffer_write) and
 *   rb_reserve (ring_buffer_lock_reserve + copy + unlock_commit), and
 *   memcpy (the payload copy alone, into a per-CPU buffer: what every
 *   back-end pays, so that a back-end's fixed cost is its cost minus
 *   this; not run in drop mode, where nothing is copied).
 * Modes:
 *   nofill	buffers large enough that no sub-buffer switch happens in
 *		the timed loops (the ring buffer still changes page every
 *		4 KiB: that is its design)
 *   switch	4 KiB sub-buffers (ring buffer: 4 pages): switches included
 *   drop	no-overwrite buffers filled first: every write drops
 *
 *   insmod relayfs_bench.ko [modes=nofill,switch,drop] [sizes=8,64]
 *	[backends=relayfs_write,rb_write] [count=2000] [batches=11]
 *	[cpus=one|all|both]
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/cpu.h>
#include <linux/sched/clock.h>
#include <linux/relay.h>
#include <linux/debugfs.h>
#include <linux/ring_buffer.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/delay.h>
#include <relayfs/relayfs.h>
#include "../../kernel/compat.h"
#include "relay_debugfs.h"

#define BENCH_MAX_SIZE	4096
#define BENCH_MAX_BATCHES 31

static char *modes = "nofill,switch,drop";
module_param(modes, charp, 0444);
static char *sizes = "8,16,32,64,128,256,1024,4096";
module_param(sizes, charp, 0444);
static char *backends = "relayfs_write,relayfs_reserve,relayfs_hdr,relay_write,__relay_write,rb_write,rb_reserve,memcpy";
module_param(backends, charp, 0444);
static unsigned int count = 2000;
module_param(count, uint, 0444);
static unsigned int batches = 11;
module_param(batches, uint, 0444);
static char *cpus = "both";
module_param(cpus, charp, 0444);
static bool fail;
module_param(fail, bool, 0444);
MODULE_PARM_DESC(fail, "fail every case's setup (tests the reporting)");

enum bench_mode { MODE_NOFILL, MODE_SWITCH, MODE_DROP };

static u8 payload[BENCH_MAX_SIZE + 16];
static DEFINE_PER_CPU(u8 [BENCH_MAX_SIZE], copy_dst);
static struct relayfs_chan *rfs;
static struct rchan *rly;
static struct trace_buffer *rb;
static struct dentry *rly_dir;
static bool rly_overwrite;

/* ---- the back-ends, each behind a noinline wrapper ---- */

static noinline bool b_empty(size_t len)
{
	barrier();
	return true;
}

static noinline bool b_relayfs_write(size_t len)
{
	return !relayfs_write(rfs, payload, len);
}

static noinline bool b_relayfs_reserve(size_t len)
{
	struct relayfs_rsv rsv;

	if (relayfs_reserve(rfs, len, &rsv))
		return false;
	memcpy(rsv.data, payload, len);
	relayfs_commit(&rsv);
	return true;
}

/* What an ftrace event carries besides its payload. */
struct bench_hdr {
	u64 ts;
	u32 len;
} __packed;

static noinline bool b_relayfs_hdr(size_t len)
{
	struct relayfs_rsv rsv;
	struct bench_hdr *h;

	if (relayfs_reserve(rfs, sizeof(*h) + len, &rsv))
		return false;
	h = rsv.data;
	h->ts = local_clock();
	h->len = len;
	memcpy(h + 1, payload, len);
	relayfs_commit(&rsv);
	return true;
}

/*
 * relay returns nothing: whether it wrote is in this CPU's buffer.  A
 * record longer than a sub-buffer is dropped; so is one that finds the
 * buffer full (no-overwrite), and then relay_switch_subbuf() leaves the
 * offset at subbuf_size + 1, past any record it wrote.  The bench
 * threads are bound to their CPU, and only they write.
 */
static bool rly_wrote(size_t len)
{
	return len <= rly->subbuf_size &&
	       (*raw_cpu_ptr(rly->buf))->offset <= rly->subbuf_size;
}

static noinline bool b_relay_write(size_t len)
{
	relay_write(rly, payload, len);
	return rly_wrote(len);
}

static noinline bool b___relay_write(size_t len)
{
	bool ok;

	preempt_disable();
	__relay_write(rly, payload, len);
	ok = rly_wrote(len);
	preempt_enable();
	return ok;
}

static noinline bool b_rb_write(size_t len)
{
	return !ring_buffer_write(rb, len, payload);
}

static noinline bool b_rb_reserve(size_t len)
{
	struct ring_buffer_event *ev = ring_buffer_lock_reserve(rb, len);

	if (!ev)
		return false;
	memcpy(ring_buffer_event_data(ev), payload, len);
	relayfs_rb_unlock_commit(rb, ev);
	return true;
}

/* The copy every back-end makes of the payload, and nothing else. */
static noinline bool b_memcpy(size_t len)
{
	memcpy(raw_cpu_ptr(copy_dst), payload, len);
	return true;
}

enum bench_kind { K_RELAYFS, K_RELAY, K_RB, K_COPY };

static const struct bench_backend {
	const char *name;
	enum bench_kind kind;
	bool (*write)(size_t len);	/* false: not written */
	size_t extra;		/* bytes it adds to each record */
} bench_backends[] = {
	{ "relayfs_write", K_RELAYFS, b_relayfs_write, 0 },
	{ "relayfs_reserve", K_RELAYFS, b_relayfs_reserve, 0 },
	{ "relayfs_hdr", K_RELAYFS, b_relayfs_hdr, sizeof(struct bench_hdr) },
	{ "relay_write", K_RELAY, b_relay_write, 0 },
	{ "__relay_write", K_RELAY, b___relay_write, 0 },
	{ "rb_write", K_RB, b_rb_write, 0 },
	{ "rb_reserve", K_RB, b_rb_reserve, 0 },
	{ "memcpy", K_COPY, b_memcpy, 0 },
};

/* ---- the kernel's relay: debugfs files, overwrite or not ---- */

static int rly_subbuf_start(struct rchan_buf *buf, void *subbuf,
			    void *prev, size_t prev_padding)
{
	return rly_overwrite || !relay_buf_full(buf);
}

static const struct rchan_callbacks rly_cb = {
	.subbuf_start = rly_subbuf_start,
	.create_buf_file = bench_relay_create,
	.remove_buf_file = bench_relay_remove,
};

/* ---- one case ---- */

struct bench_case {
	const struct bench_backend *be;
	size_t len;
	unsigned int n;			/* records per batch */
	atomic_t ready;
	struct completion go;
	atomic_t done;
	struct completion all_done;
	atomic_t failed;		/* writes that did not write */
	u64 result[NR_CPUS];		/* per CPU, ns * 1000: the median */
	/* Per CPU, every batch's ns * 1000 minus the empty median. */
	u64 (*batch)[BENCH_MAX_BATCHES];	/* [nr_cpu_ids] */
	bool ran[NR_CPUS];
};

/* A case's figures, ns * 1000: mean of the medians, and the spread. */
struct bench_figs {
	u64 median, min, p90, max;
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * ns * 1000 per call of @fn in each batch, into @t (sorted); their
 * median.  Failures counted.
 */
static u64 bench_time(bool (*fn)(size_t), size_t len, unsigned int n,
		      atomic_t *failed, u64 *t)
{
	unsigned int b, i, bad = 0;

	for (b = 0; b < batches; b++) {
		u64 t0 = local_clock();

		for (i = 0; i < n; i++)
			bad += !fn(len);
		t[b] = div_u64((local_clock() - t0) * 1000, n);
		cond_resched();
	}
	atomic_add(bad, failed);
	sort(t, batches, sizeof(t[0]), cmp_u64, NULL);
	return t[batches / 2];
}

static int bench_thread(void *arg)
{
	struct bench_case *c = arg;
	unsigned int cpu = raw_smp_processor_id();	/* bound to it */
	u64 cost, empty, t[BENCH_MAX_BATCHES];
	unsigned int b;

	atomic_inc(&c->ready);
	wait_for_completion(&c->go);
	/* Warm up: the first sub-buffer is opened here, not timed. */
	c->be->write(c->len);
	cost = bench_time(c->be->write, c->len, c->n, &c->failed,
			  c->batch[cpu]);
	empty = bench_time(b_empty, c->len, c->n, &c->failed, t);
	c->result[cpu] = cost > empty ? cost - empty : 0;
	for (b = 0; b < batches; b++)
		c->batch[cpu][b] = c->batch[cpu][b] > empty ?
				   c->batch[cpu][b] - empty : 0;
	c->ran[cpu] = true;
	if (atomic_dec_and_test(&c->done))
		complete(&c->all_done);
	return 0;
}

/* Records per timed batch: at most 256 KiB of them. */
static unsigned int bench_batch(size_t rec_bytes)
{
	return min_t(unsigned int, count,
		     max_t(unsigned int, (256 * 1024) / rec_bytes, 16));
}

/* Geometry for @mode: sub-buffer size and count, overwrite or not. */
static void bench_geometry(enum bench_mode mode, size_t rec_bytes,
			   size_t *subbuf, size_t *n, bool *overwrite)
{
	/* nofill: every batch of the case (and the warm-up) fits. */
	size_t need = rec_bytes * bench_batch(rec_bytes) * (batches + 2);

	*overwrite = mode != MODE_DROP;
	*n = mode == MODE_NOFILL ? 2 : 4;
	*subbuf = mode == MODE_NOFILL ? roundup_pow_of_two(need) : 4096;
}

static int bench_setup(const struct bench_backend *be, enum bench_mode mode,
		       size_t len)
{
	size_t subbuf, n;
	bool ow;

	if (fail)
		return -EIO;

	bench_geometry(mode, len + be->extra + 16, &subbuf, &n, &ow);
	switch (be->kind) {
	case K_RELAYFS:
		rfs = relayfs_open("bench", NULL, subbuf, n, ow, NULL);
		return PTR_ERR_OR_ZERO(rfs);
	case K_RELAY:
		rly_overwrite = ow;
		rly = relay_open("bench", rly_dir, subbuf, n, &rly_cb, NULL);
		return rly ? 0 : -ENOMEM;
	case K_RB:
		rb = ring_buffer_alloc(subbuf * n, ow ? RB_FL_OVERWRITE : 0);
		return rb ? 0 : -ENOMEM;
	case K_COPY:
		return 0;
	}
	return -EINVAL;
}

static void bench_teardown(const struct bench_backend *be)
{
	switch (be->kind) {
	case K_RELAYFS:
		relayfs_close(rfs);
		break;
	case K_RELAY:
		relay_close(rly);
		break;
	case K_RB:
		ring_buffer_free(rb);
		break;
	case K_COPY:
		break;
	}
}

/* Drop mode: fill every CPU's buffer before timing. */
static void bench_fill(void *info)
{
	const struct bench_backend *be = info;
	unsigned int i;

	for (i = 0; i < 64 * 1024; i++)
		if (!be->write(64))
			break;		/* full */
}

/* The spread over every batch of every CPU that ran: min, p90, max. */
static void bench_spread(struct bench_case *c, unsigned int ncpu,
			 struct bench_figs *f)
{
	unsigned int cpu, b, n = 0;
	u64 *all;

	all = kvmalloc_array(ncpu * batches, sizeof(*all), GFP_KERNEL);
	if (!all)
		return;
	for_each_online_cpu(cpu)
		for (b = 0; b < batches && c->ran[cpu] && n < ncpu * batches;
		     b++)
			all[n++] = c->batch[cpu][b];
	if (n) {
		sort(all, n, sizeof(*all), cmp_u64, NULL);
		f->min = all[0];
		/* Nearest rank: the smallest at or above 90% of them. */
		f->p90 = all[DIV_ROUND_UP(n * 9, 10) - 1];
		f->max = all[n - 1];
	}
	kvfree(all);
}

/*
 * One case on one CPU or all; @f and @written are zero unless it ran
 * (a setup error leaves nothing to report but the error).
 */
static int bench_run(const struct bench_backend *be, enum bench_mode mode,
		     size_t len, bool all, struct bench_figs *f, bool *written)
{
	struct bench_case *c;
	unsigned int cpu, ncpu = 0;
	u64 sum = 0;
	int err;

	memset(f, 0, sizeof(*f));
	*written = false;
	c = kvzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->batch = kvcalloc(nr_cpu_ids, sizeof(*c->batch), GFP_KERNEL);
	if (!c->batch) {
		err = -ENOMEM;
		goto out;
	}
	atomic_set(&c->failed, 0);
	c->be = be;
	c->len = len;
	c->n = bench_batch(len + be->extra + 16);
	init_completion(&c->go);
	init_completion(&c->all_done);
	err = bench_setup(be, mode, len);
	if (err)
		goto out;
	if (mode == MODE_DROP)
		on_each_cpu(bench_fill, (void *)be, 1);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		struct task_struct *t;

		if (!all && ncpu)
			break;
		t = kthread_create_on_cpu(bench_thread, c, cpu, "rfsbench/%u");
		if (IS_ERR(t)) {
			err = PTR_ERR(t);
			break;
		}
		atomic_inc(&c->done);
		wake_up_process(t);
		ncpu++;
	}
	cpus_read_unlock();
	if (ncpu) {
		while (atomic_read(&c->ready) < ncpu)
			usleep_range(100, 200);
		complete_all(&c->go);
		wait_for_completion(&c->all_done);
	}
	for_each_online_cpu(cpu)
		sum += c->result[cpu];
	if (ncpu && !err) {
		f->median = div_u64(sum, ncpu);
		bench_spread(c, ncpu, f);
		*written = !atomic_read(&c->failed);
	}
	bench_teardown(be);
out:
	kvfree(c->batch);
	kvfree(c);
	return err;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/* Every case, printed; the first case's error, if any failed. */
static int bench_all(void)
{
	static const char *const mode_names[] = { "nofill", "switch", "drop" };
	unsigned int m, b, pass;
	unsigned long len;
	char *list, *tok, *p;
	struct bench_figs f;
	bool written;
	int first = 0;

	for (m = 0; m < ARRAY_SIZE(mode_names); m++) {
		if (!listed(modes, mode_names[m]))
			continue;
		for (pass = 0; pass < 2; pass++) {
			bool all = pass;

			if ((all && !strcmp(cpus, "one")) ||
			    (!all && !strcmp(cpus, "all")))
				continue;
			for (b = 0; b < ARRAY_SIZE(bench_backends); b++) {
				const struct bench_backend *be =
					&bench_backends[b];

				if (!listed(backends, be->name) ||
				    (be->kind == K_COPY && m == MODE_DROP))
					continue;
				list = kstrdup(sizes, GFP_KERNEL);
				for (p = list; p && (tok = strsep(&p, ","));) {
					int err;

					if (kstrtoul(tok, 0, &len) || !len ||
					    len > BENCH_MAX_SIZE)
						continue;
					err = bench_run(be, m, len, all, &f,
							&written);
					pr_info("relayfs-bench: mode=%s cpus=%u backend=%s size=%lu ns=%llu.%03llu min=%llu.%03llu p90=%llu.%03llu max=%llu.%03llu written=%d err=%d\n",
						mode_names[m],
						all ? num_online_cpus() : 1,
						be->name, len,
						div_u64(f.median, 1000),
						f.median % 1000,
						div_u64(f.min, 1000),
						f.min % 1000,
						div_u64(f.p90, 1000),
						f.p90 % 1000,
						div_u64(f.max, 1000),
						f.max % 1000, written, err);
					if (err && !first)
						first = err;
				}
				kfree(list);
			}
		}
	}
	return first;
}

static int __init bench_init(void)
{
	unsigned int i;
	int err;

	if (!batches || batches > BENCH_MAX_BATCHES || !count)
		return -EINVAL;
	for (i = 0; i < sizeof(payload); i++)
		payload[i] = i;
	rly_dir = debugfs_create_dir("relayfs_bench", NULL);
	err = bench_all();
	debugfs_remove(rly_dir);
	/* A case that failed fails the load: no figures from a broken run. */
	pr_info("relayfs-bench: done%s\n", err ? ", with errors" : "");
	return err;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("relayfs write-path benchmark beside relay and the ftrace ring buffer");

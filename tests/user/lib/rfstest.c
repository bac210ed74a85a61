// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the in-VM test programs; see rfstest.h. */
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include "ktap.h"
#include "rfstest.h"

int ncpus;

int ctl(const char *fmt, ...)
{
	char cmd[128];
	va_list ap;
	int fd, n, ret = 0;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open(ROOT "/ctl", O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, cmd, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

struct stream_res res[MAXCPU][RFS_NR_CTX];

int read_results(void)
{
	FILE *f = fopen(ROOT "/ctl", "r");
	unsigned int cpu, seq;
	int ctx;
	long v[6];

	if (!f)
		return -errno;
	while (fscanf(f, "%u %d %ld %ld %ld %ld %ld %ld %u", &cpu, &ctx,
		      &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &seq) == 9) {
		struct stream_res *r = &res[cpu][ctx];

		r->ok = v[0]; r->nospc = v[1]; r->busy = v[2];
		r->nested = v[3]; r->big = v[4]; r->other = v[5];
		r->seq = seq;
	}
	fclose(f);
	return 0;
}

/* The line of the ctl file that starts with @key, parsed by @fmt. */
static int ctl_line(const char *key, const char *fmt, void *a, void *b)
{
	FILE *f = fopen(ROOT "/ctl", "r");
	char line[256];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			ret = sscanf(line + strlen(key), fmt, a, b) == 2 ?
			      0 : -EINVAL;
	fclose(f);
	return ret;
}

int read_window(unsigned long long *t0, unsigned long long *t1)
{
	return ctl_line("window ", "%llu %llu", t0, t1);
}

int read_maps(int *mapped, int *unmapped)
{
	return ctl_line("maps ", "%d %d", mapped, unmapped);
}

int read_ctl_pair(const char *key, long *a, long *b)
{
	char k[32];

	snprintf(k, sizeof(k), "%s ", key);
	return ctl_line(k, "%ld %ld", a, b);
}


int verify_rec(struct reader *r, const uint8_t *p, unsigned int avail)
{
	const struct rfs_rec *h = (const void *)p;
	uint32_t i, seq;

	if (r->len < sizeof(*h)) {
		/* Pattern records: one task stream, fixed length. */
		seq = r->next_seq[RFS_CTX_TASK];
		for (i = 0; i < r->len; i++)
			if (p[i] != rfs_pattern(seq, i))
				return snprintf(r->err, sizeof(r->err),
					"cpu%d: short record %u byte %u bad",
					r->cpu, seq, i);
		r->next_seq[RFS_CTX_TASK]++;
		return 0;
	}
	if (avail < sizeof(*h) || h->magic != RFS_REC_MAGIC ||
	    h->len != r->len || h->cpu != r->cpu || h->ctx >= RFS_NR_CTX)
		return snprintf(r->err, sizeof(r->err),
				"cpu%d: bad record header at +%ld (magic %x "
				"len %u cpu %u)", r->cpu, r->bytes, h->magic,
				h->len, h->cpu);
	seq = h->seq;
	if (r->overwrite ? seq < r->next_seq[h->ctx] :
			   seq != r->next_seq[h->ctx])
		return snprintf(r->err, sizeof(r->err),
				"cpu%d ctx%u: seq %u, expected %u", r->cpu,
				h->ctx, seq, r->next_seq[h->ctx]);
	if (h->csum != rfs_csum(h, p + sizeof(*h), r->len - sizeof(*h)))
		return snprintf(r->err, sizeof(r->err),
				"cpu%d ctx%u seq %u: checksum", r->cpu, h->ctx,
				seq);
	r->next_seq[h->ctx] = seq + 1;
	return 0;
}

/* One read() is one sub-buffer: header, then whole records. */
int verify_chunk(struct reader *r, const uint8_t *p, unsigned int n)
{
	unsigned int off = 0;

	if (r->hdr) {
		uint64_t sb;

		memcpy(&sb, p, sizeof(sb));
		if (r->overwrite ? (int64_t)sb < r->next_sb :
				   (int64_t)sb != r->next_sb)
			return snprintf(r->err, sizeof(r->err),
					"cpu%d: sub-buffer %llu, expected %lld",
					r->cpu, (unsigned long long)sb,
					(long long)r->next_sb);
		r->next_sb = sb + 1;
		off = r->hdr;
	}
	if ((n - off) % r->len)
		return snprintf(r->err, sizeof(r->err),
				"cpu%d: %u bytes is not whole records of %u",
				r->cpu, n - off, r->len);
	for (; off < n; off += r->len) {
		if (verify_rec(r, p + off, n - off))
			return -1;
		r->records++;
		r->bytes += r->len;
	}
	r->subbufs++;
	return 0;
}

void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint8_t *buf = malloc(r->subbuf);
	struct relayfs_subbuf sb;
	ssize_t n;

	while (buf && (n = read(r->fd, buf, r->subbuf)) > 0) {
		if (verify_chunk(r, buf, n))
			break;
		/* Which sub-buffer that was: gaps are overwritten ones. */
		if (ioctl(r->fd, RELAYFS_IOC_GET_SUBBUF, &sb)) {
			snprintf(r->err, sizeof(r->err), "GET_SUBBUF: %s",
				 strerror(errno));
			break;
		}
		if (sb.seq < r->expect || (ssize_t)sb.used != n) {
			snprintf(r->err, sizeof(r->err),
				 "cpu%d: sub-buffer %llu (%u bytes) after %llu "
				 "(%zd bytes read)", r->cpu,
				 (unsigned long long)sb.seq, sb.used,
				 (unsigned long long)r->expect, n);
			break;
		}
		r->gaps += sb.seq - r->expect;
		r->expect = sb.seq + 1;
	}
	if (!buf)
		snprintf(r->err, sizeof(r->err), "out of memory");
	else if (n < 0 && !r->err[0])
		snprintf(r->err, sizeof(r->err), "read: %s", strerror(errno));
	free(buf);
	return NULL;
}

int open_cpu(int cpu, int flags)
{
	char path[96];

	snprintf(path, sizeof(path), ROOT "/rfs%d", cpu);
	return open(path, O_RDONLY | flags);
}

int reader_open(struct reader *r, int cpu, unsigned int len,
		unsigned int hdr, bool overwrite)
{
	struct relayfs_buf_info info;

	memset(r, 0, sizeof(*r));
	r->cpu = cpu;
	r->len = len;
	r->hdr = hdr;
	r->overwrite = overwrite;
	r->fd = open_cpu(cpu, 0);
	CHECK(r->fd >= 0);
	CHECK(ioctl(r->fd, RELAYFS_IOC_GET_INFO, &info) == 0);
	CHECK_EQ(info.version, RELAYFS_ABI_VERSION);
	CHECK_EQ(info.cpu, cpu);
	CHECK_EQ(info.header_size, hdr);
	CHECK_EQ(!!(info.flags & RELAYFS_BUF_OVERWRITE), overwrite);
	r->subbuf = info.subbuf_size;
	r->n_subbufs = info.n_subbufs;
	return 0;
}

int reader_finish(struct reader *r)
{
	int ret;

	pthread_join(r->th, NULL);
	if (r->err[0]) {
		printf("# %s\n", r->err);
		close(r->fd);
		return -1;
	}
	ret = check_counts(r, true);
	close(r->fd);
	return ret;
}

int get_stats(int fd, struct relayfs_buf_stats *st)
{
	memset(st, 0xa5, sizeof(*st));
	return ioctl(fd, RELAYFS_IOC_GET_STATS, st);
}

/* Both equations, exactly, and agreement with producer and reader. */
int check_counts(struct reader *r, bool drained)
{
	struct relayfs_buf_stats st;
	long ok = 0, drop = 0, big = 0;
	int ctx;

	CHECK(get_stats(r->fd, &st) == 0);
	CHECK_EQ(st.version, RELAYFS_ABI_VERSION);
	CHECK_EQ(st.cpu, r->cpu);
	CHECK_EQ(st.attempted_records, st.accepted_records +
		 st.dropped_records + st.refused_records);
	CHECK_EQ(st.attempted_bytes, st.accepted_bytes + st.dropped_bytes +
		 st.refused_bytes);
	CHECK_EQ(st.accepted_records, st.consumed_records +
		 st.overwritten_records + st.unread_records);
	CHECK_EQ(st.accepted_bytes, st.consumed_bytes +
		 st.overwritten_bytes + st.unread_bytes);
	for (ctx = 0; ctx < RFS_NR_CTX; ctx++) {
		struct stream_res *s = &res[r->cpu][ctx];

		ok += s->ok;
		drop += s->nospc + s->busy + s->nested;
		big += s->big;
		CHECK_EQ(s->other, 0);
	}
	CHECK_EQ(st.accepted_records, ok);
	CHECK_EQ(st.accepted_bytes, ok * r->len);
	CHECK_EQ(st.dropped_records, drop);
	CHECK_EQ(st.refused_records, big);
	if (drained) {
		CHECK_EQ(st.unread_records, 0);
		CHECK_EQ(st.consumed_records, r->records);
		CHECK_EQ(st.consumed_bytes, r->bytes);
		CHECK_EQ(st.subbufs_consumed, r->subbufs);
		/* The reader saw exactly which sub-buffers were lost. */
		CHECK_EQ(st.subbufs_overwritten, r->gaps);
		CHECK_EQ(st.subbufs_produced, r->expect);
	}
	if (!r->overwrite) {
		CHECK_EQ(st.overwritten_records, 0);
		CHECK_EQ(st.subbufs_overwritten, 0);
	}
	return 0;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

int become(uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	char line[256];
	bool none = false;
	FILE *f;

	if (setgroups(n, groups) || setgid(gid) || setuid(uid))
		return -errno;
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		return -EPERM;
	/* setuid() from root to another uid cleared every capability. */
	f = fopen("/proc/self/status", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "CapEff:\t0000000000000000\n"))
			none = true;
	fclose(f);
	return none ? 0 : -EPERM;
}

static pid_t collect_start_id(const struct identity *id, char *const argv[],
			      const char *log)
{
	pid_t pid = fork();
	char path[128];
	int fd;

	if (pid)
		return pid;
	snprintf(path, sizeof(path), "%s.out", log);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	snprintf(path, sizeof(path), "%s.err", log);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	fd = id ? become(id->uid, id->gid, id->groups, id->n_groups) : 0;
	if (fd) {
		fprintf(stderr, "become %u: %s\n", (unsigned int)id->uid,
			strerror(-fd));
		_exit(126);
	}
	execvp("relay-collect", argv);
	_exit(127);
}

pid_t collect_start(char *const argv[], const char *log)
{
	return collect_start_id(NULL, argv, log);
}

int collect_as(const struct identity *id, char *const argv[],
	       const char *log)
{
	return collect_wait(collect_start_id(id, argv, log));
}

int collect_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int collect_wait_timeout(pid_t pid, unsigned int secs)
{
	unsigned int ms;
	char path[64];
	int st;

	for (ms = 0; ms < secs * 1000; ms += 10) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
			       128 + WTERMSIG(st);
		usleep(10000);
	}
	/* Stuck: where, in the kernel log (sysrq w), then kill it. */
	printf("# pid %d still running after %u s; wchan:\n", pid, secs);
	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	show(path);
	write_file("/proc/sysrq-trigger", "w");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

int collect(char *const argv[], const char *log)
{
	return collect_wait(collect_start(argv, log));
}

bool file_has(const char *path, const char *needle)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, needle) != NULL;
}

void show(const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		printf("# %s", line);
	if (f)
		fclose(f);
}

long app_control_value(const char *app, const char *key)
{
	char line[128], k[64], path[128];
	long v = -1, x;
	FILE *f;

	snprintf(path, sizeof(path), RELAYFS "/%s/control", app);
	f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", k, &x) == 2 && !strcmp(k, key))
			v = x;
	if (f)
		fclose(f);
	return v;
}

bool app_running(const char *app)
{
	char line[128], path[128];
	bool running = false;
	FILE *f;

	snprintf(path, sizeof(path), RELAYFS "/%s/control", app);
	f = fopen(path, "r");

	if (f && fgets(line, sizeof(line), f))
		running = !strcmp(line, "state running\n");
	if (f)
		fclose(f);
	return running;
}

int pin_to_cpu0(bool pin)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < (pin ? 1 : ncpus); cpu++)
		CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Both counter equations of a stats snapshot, records and bytes. */
int check_equations(const struct relayfs_buf_stats *st)
{
	CHECK_EQ(st->attempted_records, st->accepted_records +
		 st->dropped_records + st->refused_records);
	CHECK_EQ(st->attempted_bytes, st->accepted_bytes +
		 st->dropped_bytes + st->refused_bytes);
	CHECK_EQ(st->accepted_records, st->consumed_records +
		 st->overwritten_records + st->unread_records);
	CHECK_EQ(st->accepted_bytes, st->consumed_bytes +
		 st->overwritten_bytes + st->unread_bytes);
	return 0;
}

/* The same for CPU @cpu's buffer, which nobody reads at the moment. */
int check_cpu_equations(int cpu)
{
	struct relayfs_buf_stats st;
	int fd = open_cpu(cpu, O_NONBLOCK);

	CHECK(fd >= 0);
	CHECK(get_stats(fd, &st) == 0);
	close(fd);
	return check_equations(&st);
}

int rfstest_main(const struct ktap_case *cases, int n, int argc, char **argv)
{
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpus > MAXCPU)
		ncpus = MAXCPU;
	return ktap_run(cases, n, argv + 1, argc > 1 ? argc - 1 : 0);
}

int read_run_stats(const char *dir, const char *app,
		   struct run_stats st[MAXCPU], size_t *subbuf)
{
	char path[128], line[512], name[64];
	unsigned int cpu;
	struct run_stats s;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s.stats", dir, app);
	f = fopen(path, "r");
	CHECK(f != NULL);
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(sscanf(line, "# app %63s subbuf_size %zu", name, subbuf) == 2);
	CHECK(!strcmp(name, app));
	CHECK(fgets(line, sizeof(line), f) != NULL);	/* field names */
	while (fscanf(f, "%u %llu %llu %llu %llu %llu %llu %llu %llu %llu "
		      "%llu %llu %llu %llu %llu %llu", &cpu, &s.att, &s.acc,
		      &s.drop, &s.ref, &s.cons, &s.over, &s.unread, &s.accb,
		      &s.consb, &s.produced, &s.sbcons, &s.sbover, &s.backlog,
		      &s.wsb, &s.wbytes) == 16) {
		CHECK(cpu < MAXCPU);
		st[cpu] = s;
		n++;
	}
	fclose(f);
	CHECK_EQ(n, ncpus);
	return 0;
}

/*
 * What the kernel command line says for module @name ("name.param=value"
 * words), as modprobe would pass it; insmod does not, and the harness
 * sets test switches there (relayfs.log_objects=1 on the race kernel).
 */
static void cmdline_params(const char *name, char *out, size_t size)
{
	char line[4096], *w, *save = NULL;
	size_t len = strlen(name), used = 0;
	FILE *f = fopen("/proc/cmdline", "r");

	out[0] = '\0';
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		for (w = strtok_r(line, " \n", &save); w;
		     w = strtok_r(NULL, " \n", &save)) {
			if (strncmp(w, name, len) || w[len] != '.')
				continue;
			used += snprintf(out + used, size - used, "%s ",
					 w + len + 1);
			if (used >= size) {
				out[size - 1] = '\0';
				break;
			}
		}
	}
	fclose(f);
}

int load_module(const char *mod, const char *params)
{
	char path[256], name[64], all[1024];
	const char *base = strrchr(mod, '/');
	size_t i;
	int fd, ret = 0;

	/* A path, or a module of /lib/relayfs by its file name. */
	if (base)
		snprintf(path, sizeof(path), "%s", mod);
	else
		snprintf(path, sizeof(path), "/lib/relayfs/%s.ko", mod);
	base = base ? base + 1 : mod;
	/* The module's name: relayfs-inject.ko is relayfs; '-' is '_'. */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
	if (!strcmp(name, "relayfs-inject"))
		name[strlen("relayfs")] = '\0';
	for (i = 0; name[i]; i++)
		if (name[i] == '-')
			name[i] = '_';
	cmdline_params(name, all, sizeof(all));
	snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s", params);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, all, 0))
		ret = -errno;
	close(fd);
	return ret;
}

int unload_module(const char *mod)
{
	return syscall(SYS_delete_module, mod, O_NONBLOCK) ? -errno : 0;
}

int module_refs(const char *mod)
{
	char path[96];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

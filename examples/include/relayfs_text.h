/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text record form of klog and tprintk, one record per message:
 *
 *   [seconds.micros] cpuN <tag> C:TGID/PID:CGID:COMM message
 *   <TAB>second line of a multi-line message
 *
 * The context token after the tag (docs/klog-tprintk.md) says where the
 * record was written: C is t (task), s (softirq), h (hardirq) or n (NMI);
 * TGID/PID, CGID and COMM are those of current, the task itself in task
 * context and the interrupted one otherwise (as ftrace records it).  CGID
 * is the cgroup v2 id of its default-hierarchy cgroup (what
 * name_to_handle_at() on /sys/fs/cgroup/PATH gives, and bpf's
 * bpf_get_current_cgroup_id()), "-" where RCU is not watching (idle) or
 * without cgroups.  COMM has every byte outside '!'..'~' and '\' written
 * as \xHH, so the token has no blank.
 *
 * The timestamp is local_clock(), the printk clock, so records from all
 * CPUs (and dmesg) merge by it; every line after the first starts with a
 * tab, so a merge keeps a record whole; a record always ends in '\n'.
 * Within one CPU's file, a record of an interrupting context can precede
 * by microseconds the one it interrupted (it wrote between the other's
 * clock read and its write): relay-merge sorts by the timestamp.
 */
#ifndef RELAYFS_TEXT_H
#define RELAYFS_TEXT_H

/* The one place the form is written (kernel) and parsed (user space). */
#ifdef __KERNEL__
#include <linux/cgroup.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/math64.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>

#define RTEXT_MAX	1024	/* bytes per record, longer ones are cut */
#define RTEXT_HDR_MAX	160	/* rtext_header()'s longest */

/*
 * A string module parameter set from sysfs ("echo TEXT > ..."): stored
 * without the surrounding whitespace and newline.
 */
static inline int rtext_param_set(const char *val,
				  const struct kernel_param *kp)
{
	const struct kparam_string *kps = kp->str;
	char buf[128];

	if (strlen(val) >= min_t(size_t, sizeof(buf), kps->maxlen))
		return -ENOSPC;
	strscpy(buf, val, sizeof(buf));
	strscpy(kps->string, strim(buf), kps->maxlen);
	return 0;
}

static const struct kernel_param_ops rtext_param_ops = {
	.set = rtext_param_set,
	.get = param_get_string,
};

/* module_param_string(), but trimmed as rtext_param_set() does. */
#define rtext_param_string(name, var)					\
	static struct kparam_string __rtext_param_##name = {		\
		.maxlen = sizeof(var), .string = var,			\
	};								\
	module_param_cb(name, &rtext_param_ops, &__rtext_param_##name, 0644)

/* The context letter of this CPU's current level: t, s, h or n. */
static __always_inline char rtext_ctx_letter(void)
{
	static const char letters[] = "tshn";

	return letters[interrupt_context_level() & 3];
}

/*
 * The cgroup v2 id of current, or 0 if unknown.  With preemption off
 * (the caller's), current's css_set and its cgroup stay valid (freed
 * after RCU grace periods) and task_css_set_check() is satisfied by
 * rcu_read_lock_sched_held(): no lock, so NMI context too, where RCU
 * watches.  Both 6.1 and 6.12 have task_dfl_cgroup() and cgroup_id()
 * inline in <linux/cgroup.h>.
 */
static __always_inline u64 rtext_cgroup_id(void)
{
#ifdef CONFIG_CGROUPS
	if (rcu_is_watching())
		return cgroup_id(task_dfl_cgroup(current));
#endif
	return 0;
}

/*
 * Write "[sec.usec] cpuN <tag> C:TGID/PID:CGID:COMM " at @buf; returns
 * its length.  Any context, with preemption off.
 */
static inline size_t rtext_header(char *buf, u64 ns, unsigned int cpu,
				  const char *tag)
{
	char comm[TASK_COMM_LEN], cg[24];
	size_t len;
	u32 rem_ns;
	u64 sec = div_u64_rem(ns, NSEC_PER_SEC, &rem_ns);
	u64 cgid = rtext_cgroup_id();
	int i;

	if (cgid)
		snprintf(cg, sizeof(cg), "%llu", cgid);
	else
		strscpy(cg, "-", sizeof(cg));
	/* A racy copy, as ftrace's: another thread may rename the task. */
	memcpy(comm, current->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = 0;
	len = scnprintf(buf, RTEXT_MAX, "[%5llu.%06u] cpu%u %s %c:%d/%d:%s:",
			sec, rem_ns / 1000, cpu, tag, rtext_ctx_letter(),
			task_tgid_nr(current), task_pid_nr(current), cg);
	for (i = 0; comm[i]; i++) {
		unsigned char c = comm[i];

		if (c > ' ' && c < 0x7f && c != '\\')
			buf[len++] = c;
		else
			len += scnprintf(buf + len, RTEXT_MAX - len, "\\x%02x",
					 c);
	}
	buf[len++] = ' ';
	buf[len] = 0;
	return len;
}

/*
 * Finish a record of @len bytes at @buf (RTEXT_MAX bytes of room): a tab
 * after every inner newline, exactly one newline at the end.  Returns the
 * record's length.
 */
static inline size_t rtext_finish(char *buf, size_t len)
{
	size_t i;

	while (len && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (len + 1 >= RTEXT_MAX - 1)
			len--;		/* make room: cut the last byte */
		memmove(buf + i + 2, buf + i + 1, len - i - 1);
		buf[++i] = '\t';
		len++;
	}
	buf[len++] = '\n';
	return len;
}

#else /* user space: the parser */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A record's context, from its first line. */
struct rtext_ctx {
	char kind;		/* 't', 's', 'h', 'n' */
	long tgid, pid;
	uint64_t cgroup;	/* 0: unknown ("-") */
	char comm[16];		/* unescaped, NUL-terminated */
};

/* Digits at *@p up to @end into *@v; advances *@p. */
static inline int rtext_num(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9' && *v < UINT64_MAX / 10)
		*v = *v * 10 + (uint64_t)(*(*p)++ - '0');
	return *p > s ? 0 : -1;
}

/*
 * Parse the context token of record line @line (@len bytes, the first
 * line of a record: "[s.us] cpuN TAG C:TGID/PID:CGID:COMM ...").
 * Returns 0 and fills @c, or -1 if the line has no such token (a record
 * written before the form had it, or not klog/tprintk's).
 */
static inline int rtext_parse_ctx(const char *line, size_t len,
				  struct rtext_ctx *c)
{
	const char *p = line, *end = line + len;
	uint64_t v;
	size_t n = 0;
	int field;

	/* "[...] ", "cpuN ", "TAG ": three blank-ended fields. */
	for (field = 0; field < 3; field++) {
		if (field == 0) {
			p = memchr(p, ']', (size_t)(end - p));
			if (!p)
				return -1;
		}
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	if (end - p < 2 || !*p || !strchr("tshn", *p) || p[1] != ':')
		return -1;
	c->kind = *p;
	p += 2;
	if (rtext_num(&p, end, &v) || p == end || *p++ != '/')
		return -1;
	c->tgid = (long)v;
	if (rtext_num(&p, end, &v) || p == end || *p++ != ':')
		return -1;
	c->pid = (long)v;
	if (p < end && *p == '-') {
		p++;
		c->cgroup = 0;
	} else if (rtext_num(&p, end, &c->cgroup)) {
		return -1;
	}
	if (p == end || *p++ != ':')
		return -1;
	while (p < end && *p != ' ' && *p != '\n') {
		char ch = *p++;

		if (ch == '\\' && end - p >= 3 && *p == 'x') {
			char hex[3] = { p[1], p[2], 0 };

			ch = (char)strtoul(hex, NULL, 16);
			p += 3;
		}
		if (n + 1 >= sizeof(c->comm))
			return -1;
		c->comm[n++] = ch;
	}
	c->comm[n] = 0;
	return n ? 0 : -1;
}

#endif /* __KERNEL__ */

#endif /* RELAYFS_TEXT_H */

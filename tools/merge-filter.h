/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relay-merge's record filters: --app (whole apps of a run, any records),
 * and --pid, --comm, --cgroup (relay-merge(1)),
 * on the context token of klog's and tprintk's records
 * (examples/include/relayfs_text.h parses it).  All given must match
 * (AND); a record matches only if it was written in task context (the
 * "t" kind: an interrupt's or NMI's record names the task it interrupted,
 * which did not write it) and has the token.  Loss markers always pass.
 */
#ifndef RELAY_MERGE_FILTER_H
#define RELAY_MERGE_FILTER_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../examples/include/relayfs_text.h"

#define MERGE_MAX_PIDS	64

struct merge_filter {
	int active;			/* any filter given */
	unsigned int npids;
	long pids[MERGE_MAX_PIDS];	/* --pid: the tgid or the pid */
	const char *comm;		/* --comm: exact */
	int have_cgroup;
	uint64_t cgroup;		/* --cgroup */
	unsigned int napps;
	char *apps[MERGE_MAX_PIDS];	/* --app: these apps' records only */
};

/* "APP[,APP...]" into @f (strings kept in @arg); -EINVAL if malformed. */
static int merge_filter_apps(struct merge_filter *f, char *arg)
{
	char *save = NULL, *a;

	for (a = strtok_r(arg, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		if (f->napps == MERGE_MAX_PIDS)
			return -EINVAL;
		f->apps[f->napps++] = a;
	}
	return f->napps ? 0 : -EINVAL;
}

/* Are the records of @app (a run's, or one app's of a run) kept? */
static int merge_filter_app(const struct merge_filter *f, const char *app)
{
	unsigned int i;

	for (i = 0; i < f->napps; i++)
		if (!strcmp(f->apps[i], app))
			return 1;
	return !f->napps;
}

/* "PID[,PID...]" into @f; -EINVAL if malformed. */
static int merge_filter_pids(struct merge_filter *f, const char *arg)
{
	const char *p = arg;
	char *end;

	do {
		long v;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || (*end && *end != ',') ||
		    f->npids == MERGE_MAX_PIDS)
			return -EINVAL;
		f->pids[f->npids++] = v;
		p = end + 1;
	} while (*end == ',');
	f->active = 1;
	return 0;
}

/*
 * The id of the cgroup v2 directory @path: its kernfs file handle, which
 * is the 64-bit id the kernel's cgroup_id() gives (and bpf's).
 */
static int merge_cgroup_path_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[64];
	} h;
	int mnt;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = sizeof(h.bytes);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0))
		return -errno;
	if (h.fh.handle_bytes != sizeof(*id))
		return -EMEDIUMTYPE;	/* not a cgroup v2 directory */
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

/*
 * "ID" (digits: anywhere) or "PATH" (a cgroup v2 directory under
 * /sys/fs/cgroup on this host, resolved now).  -EINVAL if malformed,
 * -errno if PATH cannot be resolved.
 */
static int merge_filter_cgroup(struct merge_filter *f, const char *arg)
{
	char path[4096];
	char *end;

	if (*arg >= '0' && *arg <= '9') {
		errno = 0;
		f->cgroup = strtoull(arg, &end, 10);
		if (errno || *end)
			return -EINVAL;
	} else {
		int err;

		while (*arg == '/')
			arg++;
		if ((size_t)snprintf(path, sizeof(path), "/sys/fs/cgroup/%s",
				     arg) >= sizeof(path))
			return -ENAMETOOLONG;
		err = merge_cgroup_path_id(path, &f->cgroup);
		if (err)
			return err;
	}
	f->have_cgroup = 1;
	f->active = 1;
	return 0;
}

/* Does record @text (@len bytes, its first line first) pass @f? */
static int merge_filter_match(const struct merge_filter *f, const char *text,
			      size_t len)
{
	struct rtext_ctx c;
	const char *nl = memchr(text, '\n', len);
	unsigned int i;

	if (!f->active)
		return 1;
	if (rtext_parse_ctx(text, nl ? (size_t)(nl - text) : len, &c) ||
	    c.kind != 't')
		return 0;
	if (f->comm && strcmp(f->comm, c.comm))
		return 0;
	if (f->have_cgroup && c.cgroup != f->cgroup)
		return 0;
	if (!f->npids)
		return 1;
	for (i = 0; i < f->npids; i++)
		if (f->pids[i] == c.tgid || f->pids[i] == c.pid)
			return 1;
	return 0;
}

#endif

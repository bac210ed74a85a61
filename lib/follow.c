// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relay_follow_*(): a run read as it is written (tail -f).  The stream
 * reader (stream.c) in follow mode returns -EAGAIN where a growing file
 * or a pipe has no more yet, from the start of the block it needs; here
 * that becomes a wait (poll(2) on a pipe, a short sleep between reads of
 * a file), rotated files are followed to the next one, and the run's
 * final trailer is the end.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "format.h"

/* How often a file that has no more data is read again. */
#define FOLLOW_POLL_MS	20

struct relay_follow {
	char *path;		/* the file being read, NULL: stdin */
	char *dir;		/* followed directory: waiting for a file */
	struct relay_stream *s;
	int pipe;		/* s is a pipe: poll(2) it */
	int result;		/* sticky end or error, 1: none */
	char err[512];
};

static double follow_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int relay_follow_open(const char *path, struct relay_follow **fp)
{
	struct relay_follow *fl = calloc(1, sizeof(*fl));
	struct stat st;
	int err = 0;

	if (!fl)
		return -ENOMEM;
	fl->result = 1;
	if (!strcmp(path, "-")) {
		err = relay_stream_open("-", &fl->s);
		if (!err)
			err = relay_stream_follow(fl->s);
		if (err > 0) {
			fl->pipe = err == 2;
			err = 0;
		}
	} else if (stat(path, &st)) {
		err = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		fl->dir = strdup(path);
		err = fl->dir ? 0 : -ENOMEM;
	} else {
		fl->path = strdup(path);
		err = fl->path ? 0 : -ENOMEM;
	}
	if (err) {
		relay_follow_close(fl);
		return err;
	}
	*fp = fl;
	return 0;
}

static int run_file_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 6 && !strcmp(n + l - 6, ".relay")) ||
	       (l > 10 && !strcmp(n + l - 10, ".relay.zst"));
}

/* The directory's first run file in name order, once there is one. */
static int follow_pick(struct relay_follow *fl)
{
	DIR *d = opendir(fl->dir);
	struct dirent *e;
	char *best = NULL;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!run_file_name(e->d_name) ||
		    (best && strcmp(e->d_name, best) >= 0))
			continue;
		free(best);
		best = strdup(e->d_name);
		if (!best)
			break;
	}
	closedir(d);
	if (!best)
		return 0;
	fl->path = malloc(strlen(fl->dir) + strlen(best) + 2);
	if (fl->path)
		sprintf(fl->path, "%s/%s", fl->dir, best);
	free(best);
	return fl->path ? 1 : -ENOMEM;
}

/*
 * The rotated part after @path: <base>.<N>.relay[.zst] -> N + 1, as
 * many digits as N has at least (sink-file.c writes six).
 */
static char *next_part(const char *path)
{
	size_t l = strlen(path), sfx, d = 0, at;
	unsigned long long n;
	char *next;

	sfx = l > 10 && !strcmp(path + l - 10, ".relay.zst") ? 10 : 6;
	if (l <= sfx)
		return NULL;
	at = l - sfx;
	while (d < at && path[at - d - 1] >= '0' && path[at - d - 1] <= '9')
		d++;
	if (!d || d > 18 || d == at || path[at - d - 1] != '.')
		return NULL;
	n = strtoull(path + at - d, NULL, 10) + 1;
	next = malloc(l + 21);
	if (next)
		sprintf(next, "%.*s%0*llu%s", (int)(at - d), path, (int)d, n,
			path + at);
	return next;
}

static int follow_fail(struct relay_follow *fl, int err, const char *fmt,
		       const char *arg)
{
	snprintf(fl->err, sizeof(fl->err), fmt, arg);
	fl->result = err;
	return err;
}

/* Open the current file, if it is there yet (0: not yet). */
static int follow_open_file(struct relay_follow *fl)
{
	int err;

	if (!fl->path) {
		err = follow_pick(fl);
		if (err <= 0)
			return err;
	}
	err = relay_stream_open(fl->path, &fl->s);
	if (err == -ENOENT)
		return 0;
	if (!err)
		err = relay_stream_follow(fl->s);
	if (err > 0) {
		fl->pipe = err == 2;
		return 1;
	}
	return err;
}

/* Wait for more data, at most until @deadline: 0, or -EAGAIN. */
static int follow_wait(struct relay_follow *fl, double deadline)
{
	double left = deadline - follow_now();
	int ms;

	if (left <= 0)
		return -EAGAIN;
	ms = (int)(left * 1000) + 1;
	if (fl->s && fl->pipe) {
		struct pollfd p = { .fd = relay_stream_fd(fl->s),
				    .events = POLLIN };

		if (poll(&p, 1, ms) < 0 && errno != EINTR)
			return -errno;
		return 0;
	}
	if (ms > FOLLOW_POLL_MS)
		ms = FOLLOW_POLL_MS;
	nanosleep(&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
	return 0;
}

int relay_follow_next(struct relay_follow *fl, struct relay_frame *f,
		      int timeout_ms)
{
	double deadline = follow_now() + timeout_ms / 1000.0;
	int ret;

	for (;;) {
		if (fl->result <= 0)
			return fl->result;
		if (!fl->s) {
			ret = follow_open_file(fl);
			if (ret < 0)
				return follow_fail(fl, ret, "%s: cannot open",
						   fl->path ? fl->path :
						   fl->dir);
		}
		if (fl->s) {
			ret = relay_stream_next(fl->s, f);
			if (ret != -EAGAIN) {
				if (ret > 0)
					return ret;
				snprintf(fl->err, sizeof(fl->err), "%s",
					 relay_stream_error(fl->s));
				fl->result = ret;
				return ret;
			}
			if (relay_stream_ended(fl->s)) {
				const struct relay_trailer *t =
					relay_stream_trailer(fl->s);
				char *next;

				if (!(t->flags & RELAY_TRAILER_CONTINUED) ||
				    !fl->path) {
					fl->result = 0;
					return 0;
				}
				next = next_part(fl->path);
				if (!next)
					return follow_fail(fl, -EBADMSG, "%s: "
							   "a rotated part "
							   "without a part "
							   "number",
							   fl->path);
				relay_stream_close(fl->s);
				fl->s = NULL;
				free(fl->path);
				fl->path = next;
				continue;
			}
		}
		ret = follow_wait(fl, deadline);
		if (ret)
			return ret;
	}
}

const struct relay_run_header *relay_follow_header(const struct relay_follow *fl)
{
	return fl->s ? relay_stream_header(fl->s) : NULL;
}

const char *relay_follow_name(const struct relay_follow *fl)
{
	if (fl->path)
		return fl->path;
	return fl->dir ? fl->dir : "standard input";
}

const char *relay_follow_error(const struct relay_follow *fl)
{
	return fl->err;
}

void relay_follow_close(struct relay_follow *fl)
{
	if (!fl)
		return;
	relay_stream_close(fl->s);
	free(fl->path);
	free(fl->dir);
	free(fl);
}

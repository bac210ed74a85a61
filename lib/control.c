// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The relay-app control protocol (docs/relay-app.md): a control file's
 * state, its commands, and the list of registered apps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "librelay.h"

int relay_read_state(const char *path, struct relay_state *s)
{
	char buf[2048], *line, *save = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, sizeof(buf) - 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	memset(s, 0, sizeof(*s));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');
		unsigned long long v;

		if (!val)
			continue;
		*val++ = '\0';
		v = strtoull(val, NULL, 10);
		if (!strcmp(line, "state"))
			s->running = !strcmp(val, "running");
		else if (!strcmp(line, "base")) {
			/* Whole: a name longer than the buffer is refused. */
			if (strlen(val) >= sizeof(s->base))
				return -ENAMETOOLONG;
			strcpy(s->base, val);
		} else if (!strcmp(line, "cpus"))
			s->cpus = v;
		else if (!strcmp(line, "subbuf_size"))
			s->subbuf_size = v;
		else if (!strcmp(line, "n_subbufs"))
			s->n_subbufs = v;
		else if (!strcmp(line, "mode"))
			s->overwrite = !strcmp(val, "overwrite");
		else if (!strcmp(line, "default_subbuf_size"))
			s->default_subbuf_size = v;
		else if (!strcmp(line, "default_n_subbufs"))
			s->default_n_subbufs = v;
		else if (!strcmp(line, "default_mode"))
			s->default_overwrite = !strcmp(val, "overwrite");
		else if (!strcmp(line, "runs"))
			s->runs = v;
	}
	return s->base[0] && s->cpus ? 0 : -EPROTO;
}

int relay_command(int fd, const char *cmd)
{
	ssize_t n;

	do {
		n = write(fd, cmd, strlen(cmd));
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct relay_app_info *)a)->name,
		      ((const struct relay_app_info *)b)->name);
}

int relay_app_list(const char *root, struct relay_app_info *apps,
		   unsigned int max)
{
	struct relay_app_info *all = NULL, *v;
	unsigned int n = 0;
	struct relay_state st;
	struct dirent *d;
	char path[4096];
	DIR *dp;

	if (!root)
		root = RELAY_DEFAULT_ROOT;
	dp = opendir(root);
	if (!dp)
		return -errno;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= sizeof(all->name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/control", root, d->d_name);
		if (relay_read_state(path, &st))
			continue;	/* a channel, not an app */
		v = realloc(all, (n + 1) * sizeof(*v));
		if (!v) {
			free(all);
			closedir(dp);
			return -ENOMEM;
		}
		all = v;
		memset(&all[n], 0, sizeof(all[n]));
		strcpy(all[n].name, d->d_name);
		all[n].running = st.running;
		all[n].subbuf_size = st.running ? st.subbuf_size :
				     st.default_subbuf_size;
		all[n].n_subbufs = st.running ? st.n_subbufs :
				   st.default_n_subbufs;
		all[n].overwrite = st.running ? st.overwrite :
				   st.default_overwrite;
		all[n].cpus = st.cpus;
		all[n].runs = st.runs;
		n++;
	}
	closedir(dp);
	if (n)
		qsort(all, n, sizeof(*all), by_name);
	if (apps)
		memcpy(apps, all, (n < max ? n : max) * sizeof(*all));
	free(all);
	return n;
}

int relay_app_start(const char *root, const char *app, size_t subbuf_size,
		    size_t n_subbufs, enum relay_mode mode)
{
	return relay_app_start_flush(root, app, subbuf_size, n_subbufs, mode,
				     0);
}

int relay_app_start_flush(const char *root, const char *app,
			  size_t subbuf_size, size_t n_subbufs,
			  enum relay_mode mode, unsigned int flush_ms)
{
	struct relay_state st;
	char path[4096], cmd[160], fl[32] = "";
	int fd, ov, err;

	if (!app || !*app || strchr(app, '/'))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/%s/control",
		     root ? root : RELAY_DEFAULT_ROOT, app) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = relay_read_state(path, &st);
	if (err)
		goto fail;
	ov = mode == RELAY_MODE_DEFAULT ? st.default_overwrite :
	     mode == RELAY_MODE_OVERWRITE;
	if (flush_ms)
		snprintf(fl, sizeof(fl), " flush_ms=%u", flush_ms);
	snprintf(cmd, sizeof(cmd),
		 "start subbuf_size=%zu n_subbufs=%zu mode=%s%s\n",
		 subbuf_size ? subbuf_size : st.default_subbuf_size,
		 n_subbufs ? n_subbufs : st.default_n_subbufs,
		 ov ? "overwrite" : "no-overwrite", fl);
	err = relay_command(fd, cmd);
	if (err)
		goto fail;
	return fd;
fail:
	close(fd);
	return err;
}

int relay_app_stop(int control_fd)
{
	int err = relay_command(control_fd, "stop\n");

	/* -ENODEV: the app went away; its run is over anyway. */
	return err == -ENODEV ? 0 : err;
}

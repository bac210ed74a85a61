/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The relay-app control protocol (not installed). */
#ifndef RELAY_CONTROL_H
#define RELAY_CONTROL_H

#include <stddef.h>
#include "librelay.h"

/* What a control file says (its "key value" lines). */
struct relay_state {
	char base[256];
	unsigned int cpus;
	size_t subbuf_size, n_subbufs;
	size_t default_subbuf_size, default_n_subbufs;
	int overwrite, default_overwrite, running;
	unsigned long long runs;
};

/* relay_app_start() with the run's flush interval (0: the default). */
int relay_app_start_flush(const char *root, const char *app,
			  size_t subbuf_size, size_t n_subbufs,
			  enum relay_mode mode, unsigned int flush_ms);
/* Read @path's state from a fresh descriptor; -EPROTO if malformed. */
int relay_read_state(const char *path, struct relay_state *s);
/* Write @cmd to the control file @fd, retrying EINTR. */
int relay_command(int fd, const char *cmd);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The relay-app control protocol (not installed). */
#ifndef RELAY_CONTROL_H
#define RELAY_CONTROL_H

#include <stddef.h>

/* What a control file says (its "key value" lines). */
struct relay_state {
	char base[256];
	unsigned int cpus;
	size_t subbuf_size, n_subbufs;
	size_t default_subbuf_size, default_n_subbufs;
	int overwrite, default_overwrite, running;
	unsigned long long runs;
};

/* Read @path's state from a fresh descriptor; -EPROTO if malformed. */
int relay_read_state(const char *path, struct relay_state *s);
/* Write @cmd to the control file @fd, retrying EINTR. */
int relay_command(int fd, const char *cmd);

#endif

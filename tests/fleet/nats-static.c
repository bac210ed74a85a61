// SPDX-License-Identifier: GPL-2.0
/*
 * The NATS output of the VM's static relay-collect: there is none.
 * Debian's libnats has no static library, so the static copy the test
 * initramfs runs says so at start (exit 4); the fleet test in the VM
 * runs the dynamic relay-collect with its libraries instead.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fleet.h"

int relay_nats_out_open(const struct relay_nats_opts *o, int compress,
			struct relay_nats_out *out, char *err, size_t n)
{
	(void)o;
	(void)compress;
	memset(out, 0, sizeof(*out));
	snprintf(err, n, "this static relay-collect has no NATS (libnats "
		 "has no static library): run the dynamic one");
	return -EPROTONOSUPPORT;
}

void relay_nats_out_close(struct relay_nats_out *out)
{
	(void)out;
}

void relay_nats_sink_stats(void *ctx, struct relay_nats_stats *st)
{
	(void)ctx;
	memset(st, 0, sizeof(*st));
}

const char *relay_nats_sink_error(void *ctx)
{
	(void)ctx;
	return NULL;
}

void relay_nats_stats_print(FILE *f, const struct relay_nats_stats *st,
			    int json)
{
	(void)f;
	(void)st;
	(void)json;
}

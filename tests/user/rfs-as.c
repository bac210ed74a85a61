// SPDX-License-Identifier: GPL-2.0
/*
 * Run a command as another user, as systemd's User=/Group= or a login
 * would: busybox has no tool that sets supplementary groups.
 *
 *   rfs-as UID GID[,GID...] CMD [ARG...]
 *
 * The first GID is the primary group, the others the supplementary ones
 * (none if only one is given).  No capability is left (checked); exits
 * 126 if the switch fails, 127 if CMD cannot be run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/rfstest.h"

#define MAX_GROUPS	16

static int parse_id(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *v > 0xfffffffeUL ? -1 : (int)(end - s);
}

int main(int argc, char **argv)
{
	gid_t groups[MAX_GROUPS];
	unsigned long uid, v;
	const char *p;
	size_t n = 0;
	int len, err;

	if (argc < 4 || parse_id(argv[1], &uid) != (int)strlen(argv[1])) {
		fprintf(stderr, "usage: rfs-as UID GID[,GID...] CMD [ARG...]\n");
		return 126;
	}
	for (p = argv[2]; ; p += len + 1) {
		len = parse_id(p, &v);
		if (len < 0 || n == MAX_GROUPS ||
		    (p[len] != ',' && p[len] != '\0')) {
			fprintf(stderr, "rfs-as: bad group list '%s'\n",
				argv[2]);
			return 126;
		}
		groups[n++] = v;
		if (!p[len])
			break;
	}
	err = become(uid, groups[0], groups + 1, n - 1);
	if (err) {
		fprintf(stderr, "rfs-as: %lu: %s\n", uid, strerror(-err));
		return 126;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "rfs-as: %s: %s\n", argv[3], strerror(errno));
	return 127;
}

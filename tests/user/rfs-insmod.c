// SPDX-License-Identifier: GPL-2.0
/*
 * rfs-insmod FILE.ko [PARAM...]: insmod that also passes the kernel command
 * line's options for the module ("name.param=value"), as modprobe does.
 * The suites' insmod (tests/vm/lib.sh) is this, so that a boot can switch
 * on test support in our modules (the race kernel's relayfs.log_objects=1).
 */
#include <stdio.h>
#include <string.h>
#include "lib/rfstest.h"

int main(int argc, char **argv)
{
	char params[1024] = "";
	size_t used = 0;
	int i, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: rfs-insmod FILE.ko [PARAM...]\n");
		return 2;
	}
	for (i = 2; i < argc && used < sizeof(params); i++)
		used += snprintf(params + used, sizeof(params) - used, "%s%s",
				 i > 2 ? " " : "", argv[i]);
	ret = load_module(argv[1], params);
	if (ret) {
		fprintf(stderr, "rfs-insmod: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	return 0;
}

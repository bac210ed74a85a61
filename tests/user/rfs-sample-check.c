// SPDX-License-Identifier: GPL-2.0
/*
 * Verify a relay-collect run of the sample relay-app (examples/sample) in
 * DIR: every record of every CPU, the index, the counters, and agreement
 * with the producer's own counts (tests/user/lib/sample.c).  For suites
 * that collect with the installed tools (tests/vm/install/): the one
 * place that knows relay-collect's output format for them.
 *
 *   rfs-sample-check DIR LEN [CONTEXTS]
 *
 * LEN is the sample's record length; CONTEXTS (task,softirq,hardirq) the
 * contexts it wrote from, each of which must have records on every CPU.
 * The sample module must still be loaded.  Exit 0 when everything checks.
 */
#include <stdlib.h>
#include <unistd.h>
#include "ktap.h"
#include "lib/rfstest.h"

int main(int argc, char **argv)
{
	char *end;
	unsigned long len;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: rfs-sample-check DIR LEN [CONTEXTS]\n");
		return 2;
	}
	len = strtoul(argv[2], &end, 0);
	if (*end || !len) {
		fprintf(stderr, "rfs-sample-check: bad length '%s'\n", argv[2]);
		return 2;
	}
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpus > MAXCPU)
		ncpus = MAXCPU;
	if (argc == 4)
		sample_set_contexts(argv[3]);
	return sample_check_run(argv[1], len, false, true) ? 1 : 0;
}

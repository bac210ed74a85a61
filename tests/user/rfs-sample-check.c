// SPDX-License-Identifier: GPL-2.0
/*
 * Verify a relay-collect run of the sample relay-app (examples/sample) in
 * DIR: every record of every CPU, the index, the counters, and agreement
 * with the producer's own counts (tests/user/lib/sample.c).  For suites
 * that collect with the installed tools (tests/vm/install/): the one
 * place that knows relay-collect's output format for them.
 *
 *   rfs-sample-check DIR LEN [CONTEXTS]
 *   rfs-sample-check FILE LEN [CONTEXTS]
 *
 * LEN is the sample's record length; CONTEXTS (task,softirq,hardirq) the
 * contexts it wrote from, each of which must have records on every CPU.
 * A FILE (one run, as relay-gather writes it: no .stats beside it) is
 * checked against the counters at its end.  The sample module must
 * still be loaded.  Exit 0 when everything checks.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ktap.h"
#include "lib/rfstest.h"
#include "lib/run.h"

int main(int argc, char **argv)
{
	char *end;
	unsigned long len;
	struct stat st;

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
	if (!stat(argv[1], &st) && S_ISREG(st.st_mode)) {
		struct run_data rd;
		int ret;

		if (run_read_files(&argv[1], 1, &rd)) {
			fprintf(stderr, "rfs-sample-check: %s: unreadable\n",
				argv[1]);
			run_free(&rd);
			return 1;
		}
		printf("# %s: %llu frames\n", argv[1],
		       (unsigned long long)rd.frames);
		ret = sample_check_data(NULL, &rd, len, false, true);
		run_free(&rd);
		return ret ? 1 : 0;
	}
	return sample_check_run(argv[1], len, false, true) ? 1 : 0;
}

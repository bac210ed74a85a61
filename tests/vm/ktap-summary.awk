# Turn the VM's result stream (tests/vm/init) into counts.
#
# Input: the ttyS1 log: "# suite-begin NAME", one KTAP document, then
# "# suite-end NAME rc=N"; finally "# vm-done".  Variables: kernel (label),
# expect (space separated suite names that must appear).
#
# Every top-level "ok"/"not ok" line counts; a suite that exits non-zero
# without a failing test, whose plan does not match what ran, that never
# ends, or that never starts, counts as one failure, so a crash or a hang can
# never look like a pass; so does an empty plan (1..0).  Prints one line per failure and a final
# "P F S" line for the caller to sum.
function problem(msg) {
	printf("not ok %s@%s: %s\n", suite, kernel, msg)
	fail++
}
function finish(rc,    x) {
	if (plan < 0)
		problem("no KTAP plan")
	else if (plan == 0)
		problem("empty plan 1..0: nothing was tested")
	else if (n != plan)
		problem(sprintf("plan 1..%d but %d results", plan, n))
	else if (rc != 0 && sfail == 0)
		problem("exit status " rc)
	seen[suite] = 1
	insuite = 0
}
BEGIN { pass = fail = skip = 0; insuite = 0 }
{ sub(/\r$/, "") }
/^# suite-begin / {
	suite = $3; insuite = 1; plan = -1; n = 0; sfail = 0
	next
}
/^# suite-end / {
	rc = $4; sub(/^rc=/, "", rc)
	finish(rc + 0)
	next
}
/^# vm-done/ { done = 1; next }
!insuite { next }
/^1\.\.[0-9]+/ { if (plan < 0) plan = substr($1, 4) + 0; next }
/^ok [0-9]+/ {
	n++
	if ($0 ~ /# *SKIP/) {
		skip++
		printf("skip %s@%s: %s\n", suite, kernel, $0)
	} else
		pass++
	next
}
/^not ok [0-9]+/ {
	n++; fail++; sfail++
	printf("not ok %s@%s: %s\n", suite, kernel, $0)
	next
}
/^# / && ($0 ~ /fail|FAIL|expected|got/) { print "  " suite "@" kernel " " $0 }
# What the VM printed after the suites: the kernel log dumps, scanned
# elsewhere (tests/vm/kernel-log-scan.py).
END {
	if (insuite) {
		problem("did not finish (VM crashed, panicked or hung)")
		seen[suite] = 1
	}
	m = split(expect, want, " ")
	for (i = 1; i <= m; i++) {
		if (!(want[i] in seen)) {
			suite = want[i]
			problem("never ran")
		}
	}
	print pass, fail, skip
}

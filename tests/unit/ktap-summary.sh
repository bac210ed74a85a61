#!/bin/sh
# Host-side test of tests/vm/ktap-summary.awk: the counts the test command
# prints must turn every way a suite can go wrong into a failure.
awk_file=$(cd "$(dirname "$0")/../vm" && pwd)/ktap-summary.awk
n=0
fails=0

# case NAME EXPECTED_COUNTS EXPECT_SUITES INPUT
case_() {
	n=$((n + 1))
	got=$(printf '%b' "$4" | awk -v kernel=k -v expect="$3" \
		-f "$awk_file" | tail -n 1)
	if [ "$got" = "$2" ]; then
		echo "ok $n $1"
	else
		echo "# expected '$2', got '$got'"
		echo "not ok $n $1"
		fails=$((fails + 1))
	fi
}

echo "KTAP version 1"
echo "1..9"
ok="# suite-begin a\nKTAP version 1\n1..2\nok 1 x\nok 2 y\n# suite-end a rc=0\n"
case_ "all pass" "2 0 0" "a" "$ok# vm-done\n"
case_ "a failing test" "1 1 0" "a" \
	"# suite-begin a\n1..2\nok 1 x\nnot ok 2 y\n# suite-end a rc=1\n"
case_ "skip is counted apart" "1 0 1" "a" \
	"# suite-begin a\n1..2\nok 1 x\nok 2 y # SKIP no NMI\n# suite-end a rc=0\n"
case_ "fewer results than planned" "1 1 0" "a" \
	"# suite-begin a\n1..2\nok 1 x\n# suite-end a rc=0\n"
case_ "no plan at all" "0 1 0" "a" "# suite-begin a\n# suite-end a rc=1\n"
case_ "non-zero exit without a failing test" "2 1 0" "a" \
	"# suite-begin a\n1..2\nok 1 x\nok 2 y\n# suite-end a rc=124\n"
case_ "VM died inside a suite" "1 1 0" "a" "# suite-begin a\n1..2\nok 1 x\n"
case_ "suite that never ran" "2 1 0" "a b" "$ok"
case_ "empty plan 1..0" "0 1 0" "a" "# suite-begin a\n1..0\n# suite-end a rc=0\n"
[ "$fails" -eq 0 ]

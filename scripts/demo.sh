#!/bin/sh
# make demo: on a fresh Debian 12 machine, install what is needed, build,
# boot Debian's 6.12 kernel in qemu, and show klog and tprintk collected
# by relay-collect and merged by relay-merge (tests/vm/suites/demo).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/install-deps.sh
kdir=$(ls -d /lib/modules/6.12*/build 2>/dev/null | head -n 1)
[ -n "$kdir" ] || { echo "demo: no 6.12 kernel headers" >&2; exit 1; }
kver=$(basename "$(dirname "$kdir")")
echo "demo: building the modules for $kver and the tools"
mkdir -p build
# The demo needs one kernel and no sparse pass: make check does the rest.
SPARSE=0 make -s all KDIRS="$kdir" >build/demo-build.log 2>&1 ||
	{ cat build/demo-build.log; exit 1; }
echo "demo: booting $kver in qemu (software emulation, about 15 s)"
status=0
tests/vm/run.sh "$kver" demo >build/demo.out 2>&1 || status=$?
# The people-facing lines of the demo suite, without their KTAP prefix.
sed -n '/^# suite-begin demo/,/^# suite-end demo/p' \
	"build/vm/$kver/results.log" |
	sed -n 's/^# \{0,1\}//p' | grep -v '^suite-'
if [ "$status" -ne 0 ]; then
	echo "demo: something failed; the VM's logs are in build/vm/$kver/" >&2
	tail -n 5 build/demo.out >&2
fi
exit "$status"

#!/bin/sh
# The test command (make check): install what is missing, build for every
# kernel with every style gate, run host-side unit tests, then boot each
# kernel in qemu and run every in-VM suite.  Ends with one line
# "N passed, N failed[, N skipped]" and exits non-zero on any failure.
#
# Kernels: every Debian kernel with headers and a /boot image, and the
# debug kernels of tests/kernels, built from linux-source once and cached
# (scripts/build-kernel.sh).  Each kernel runs every suite whose "# needs:"
# options its configuration has; a suite marked "# order: last" runs after
# the others (the kmemleak scan).
#
# Environment: KERNELS="rel1 rel2" to test a subset of Debian's kernels;
# DEBUG_KERNELS="debug race" (the default; "" for none); SUITES=a,b (default:
# all in tests/vm/suites); VM_TIMEOUT, VM_SMP as in tests/vm/run.sh.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
start=$(date +%s)
pass=0 fail=0 skip=0

result() {	# result STATUS NAME
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - $2"
	else
		fail=$((fail + 1))
		echo "not ok - $2"
	fi
}

finish() {
	line="$pass passed, $fail failed"
	[ "$skip" -ne 0 ] && line="$line, $skip skipped"
	echo "# total time $(($(date +%s) - start))s"
	echo "$line"
	[ "$fail" -eq 0 ]
	exit $?
}

scripts/install-deps.sh || { result 1 "install dependencies"; finish; }

# Build: compiler, sparse (C=2) and modpost warnings fail it, per kernel.
kernels=""
for kdir in /lib/modules/*/build; do
	[ -d "$kdir" ] || continue
	kver=$(basename "$(dirname "$kdir")")
	if [ -n "${KERNELS:-}" ] && ! echo " $KERNELS " | grep -q " $kver "; then
		continue
	fi
	scripts/build-modules.sh "$kdir"
	result $? "build modules for $kver (no compiler/sparse/modpost warning)"
	[ -r "/boot/vmlinuz-$kver" ] && kernels="$kernels $kver"
done
for flavor in ${DEBUG_KERNELS-debug race}; do
	scripts/build-kernel.sh "$flavor" >"build/kernel-$flavor.out" 2>&1
	rc=$?
	sed '$d' "build/kernel-$flavor.out"
	result $rc "build the $flavor kernel (tests/kernels/$flavor.config)" ||
		continue
	kver=$(tail -n 1 "build/kernel-$flavor.out")
	scripts/build-modules.sh "build/$kver/kdir"
	result $? "build modules for $kver (no compiler/sparse/modpost warning)" &&
		kernels="$kernels $kver"
done
[ -n "$kernels" ] || { result 1 "a kernel to test on"; finish; }

make -s lib tools user
result $? "build librelay, tools and test programs (-Wall -Wextra -Werror)" || finish

scripts/checkpatch.sh
result $? "checkpatch.pl clean"

# Host-side unit tests: each program or script prints KTAP.
for t in build/user/unit/* tests/unit/*.sh; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	{
		echo "# suite-begin $name"
		"$t"
		echo "# suite-end $name rc=$?"
	} >"build/unit-$name.log" 2>&1
	set -- $(awk -v kernel=host -v expect="$name" \
		-f tests/vm/ktap-summary.awk "build/unit-$name.log" |
		tee "build/unit-$name.summary" | tail -n 1)
	sed '$d' "build/unit-$name.summary"
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	[ "$2" -ne 0 ] && cat "build/unit-$name.log"
done

# The kernel's configuration, wherever that kernel came from.
kconfig() {
	if [ -r "/boot/config-$1" ]; then
		echo "/boot/config-$1"
	else
		echo "build/$1/kdir/.config"
	fi
}

# The suites for kernel $1: those it has every needed option for, in name
# order, the "order: last" ones at the end.  On the race kernel (KCSAN)
# only those marked "race: yes", the ones that run writers and readers
# concurrently.
suites_for() {
	cfg=$(kconfig "$1")
	first="" last=""
	for name in $(echo "${SUITES:-$(ls tests/vm/suites)}" | tr ',' ' '); do
		f=tests/vm/suites/$name
		ok=1
		if grep -q '^CONFIG_KCSAN=y' "$cfg" &&
		   ! grep -q '^# race: yes' "$f"; then
			ok=0
		fi
		for opt in $(sed -n 's/^# needs: //p' "$f"); do
			grep -q "^$opt=[ym]" "$cfg" || ok=0
		done
		[ "$ok" = 1 ] || continue
		if grep -q '^# order: last' "$f"; then
			last="$last,$name"
		else
			first="$first,$name"
		fi
	done
	echo "$first$last" | sed 's/^,//'
}

for kver in $kernels; do
	suites=$(suites_for "$kver")
	# The torture suite's time: longer on the debug kernels.  KCSAN
	# panics on its first report under panic_on_warn, races elsewhere in
	# the kernel included: on the race kernel it only reports, and the
	# log scan fails the run for the races that are ours (run.sh).
	extra="torture_secs=40"
	case $kver in
	*-relayfs-debug) extra="torture_secs=60" ;;
	*-relayfs-race) extra="torture_secs=60 panic_on_warn=0" ;;
	esac
	VM_APPEND="$extra ${VM_APPEND:-}" \
		tests/vm/run.sh "$kver" "$suites" >"build/vm-$kver.out" 2>&1
	sed '$d' "build/vm-$kver.out"
	set -- $(tail -n 1 "build/vm-$kver.out")
	pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
done
finish

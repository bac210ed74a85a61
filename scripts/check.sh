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
# A suite left out of a kernel is listed as a skip with its reason; in a
# full run (every kernel, every suite) a suite that ran on no kernel fails.
# Then the harness proves itself: planted failures (tests/vm/planted/) of
# each class it must catch, each of which must fail its suite.
#
# Environment: KERNELS="rel1 rel2" to test a subset of Debian's kernels;
# DEBUG_KERNELS="debug race" (the default; "" for none; FLAVOR@6.1 builds a
# flavor from linux-source-6.1); SUITES=a,b (default:
# all in tests/vm/suites); PLANTED=0 to leave out the planted failures;
# INSTALL=0 to leave out the install proof (scripts/check-install.sh: the
# Debian packages installed into a clean root, one boot per Debian kernel
# with what DKMS built there, purged); VM_TIMEOUT, VM_SMP as in
# tests/vm/run.sh.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p build
start=$(date +%s)
pass=0 fail=0 skip=0 n=0

result() {	# result STATUS NAME: one numbered line; returns STATUS
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok $n - $2"
		return 0
	fi
	fail=$((fail + 1))
	echo "not ok $n - $2"
	return 1
}

# add_counts "P F S" WHAT: add a runner's counts; a runner that died
# without them is one failure, not an arithmetic error that ends the
# script before its summary.
add_counts() {
	if echo "$1" | grep -Eq '^[0-9]+ [0-9]+ [0-9]+$'; then
		set -- $1
		pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	else
		result 1 "$2 (no counts: '$1')"
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
	# A kernel whose modules did not build is not booted: stale
	# modules of an earlier build would be tested instead.
	scripts/build-modules.sh "$kdir"
	result $? "build modules for $kver (no compiler/sparse/modpost warning)" &&
		[ -r "/boot/vmlinuz-$kver" ] && kernels="$kernels $kver"
done
for flavor in ${DEBUG_KERNELS-debug race}; do
	# FLAVOR or FLAVOR@SERIES (debug@6.1): from that linux-source.
	series=""
	case $flavor in *@*) series=${flavor#*@} ;; esac
	scripts/build-kernel.sh "${flavor%@*}" $series \
		>"build/kernel-$flavor.out" 2>&1
	rc=$?
	sed '$d' "build/kernel-$flavor.out"
	result $rc "build the $flavor kernel (tests/kernels/${flavor%@*}.config)" ||
		continue
	kver=$(tail -n 1 "build/kernel-$flavor.out")
	scripts/build-modules.sh "build/$kver/kdir"
	result $? "build modules for $kver (no compiler/sparse/modpost warning)" &&
		kernels="$kernels $kver"
done
[ -n "$kernels" ] || { result 1 "a kernel to test on"; finish; }

make -s lib tools user
result $? "build librelay, tools and test programs (-Wall -Wextra -Werror)" ||
	finish

scripts/checkpatch.sh
result $? "checkpatch.pl clean"

# Host-side unit tests: each program or script prints KTAP.  The fleet
# runner (tests/fleet/fleet.sh) starts real nats-server processes on
# 127.0.0.1 and kills them at the end; the in-tree series
# (scripts/check-intree.sh) applies, checkpatch clean.
for t in build/user/unit/* tests/unit/*.sh tests/fleet/fleet.sh \
	scripts/check-intree.sh; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	{
		echo "# suite-begin $name"
		"$t"
		echo "# suite-end $name rc=$?"
	} >"build/unit-$name.log" 2>&1
	awk -v kernel=host -v expect="$name" -f tests/vm/ktap-summary.awk \
		"build/unit-$name.log" >"build/unit-$name.summary"
	sed '$d' "build/unit-$name.summary"
	counts=$(tail -n 1 "build/unit-$name.summary")
	add_counts "$counts" "unit test $name"
	[ "${counts#* }" = "0 ${counts##* }" ] || cat "build/unit-$name.log"
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
# concurrently.  Each suite left out is written to build/skipped-$1 with
# its reason.
all_suites=$(echo "${SUITES:-$(ls tests/vm/suites)}" | tr ',' ' ')
suites_for() {
	cfg=$(kconfig "$1")
	first="" last=""
	: >"build/skipped-$1"
	for name in $all_suites; do
		f=tests/vm/suites/$name
		why=""
		if grep -q '^CONFIG_KCSAN=y' "$cfg" &&
		   ! grep -q '^# race: yes' "$f"; then
			why="not a race suite (no '# race: yes')"
		fi
		for opt in $(sed -n 's/^# needs: //p' "$f"); do
			grep -q "^$opt=[ym]" "$cfg" || why="${why:+$why; }no $opt"
		done
		if [ -n "$why" ]; then
			echo "$name: $why" >>"build/skipped-$1"
			continue
		fi
		if grep -q '^# order: last' "$f"; then
			last="$last,$name"
		else
			first="$first,$name"
		fi
	done
	echo "$first$last" | sed 's/^,//'
}

ran=""
# The race kernel's boots: KCSAN only reports (panic_on_warn would end the
# run at the first race anywhere in the kernel), and our modules log their
# allocations with real addresses so a race on our memory is told from one
# on the core's (tests/vm/kernel-log-scan.py).
race_append="panic_on_warn=0 no_hash_pointers relayfs.log_objects=1"
race_append="$race_append relayfs_plant.log_objects=1"

for kver in $kernels; do
	suites=$(suites_for "$kver")
	[ -n "$suites" ] || continue
	# The torture suite's time: longer on the debug kernels.  KCSAN
	# panics on its first report under panic_on_warn, races elsewhere in
	# the kernel included: on the race kernel it only reports, and the
	# log scan fails the run for the races that are ours (run.sh).
	extra="torture_secs=40"
	case $kver in
	*-relayfs-debug) extra="torture_secs=60" ;;
	*-relayfs-race) extra="torture_secs=60 $race_append" ;;
	esac
	VM_APPEND="$extra ${VM_APPEND:-}" \
		tests/vm/run.sh "$kver" "$suites" >"build/vm-$kver.out" 2>&1
	sed '$d' "build/vm-$kver.out"
	add_counts "$(tail -n 1 "build/vm-$kver.out")" "the suites on $kver"
	ran="$ran $(echo "$suites" | tr ',' ' ')"
	while IFS= read -r line; do
		echo "skip $kver: $line"
	done <"build/skipped-$kver"
done

# Every suite must run somewhere.  Only a full run can tell: with fewer
# kernels (KERNELS, DEBUG_KERNELS="") or suites, the list is for reading.
nowhere=""
for name in $all_suites; do
	echo " $ran " | grep -q " $name " || nowhere="$nowhere $name"
done
if [ -z "${KERNELS:-}" ] && [ -z "${SUITES:-}" ] &&
   [ "${DEBUG_KERNELS-debug race}" = "debug race" ]; then
	[ -z "$nowhere" ]
	result $? "every suite ran on at least one kernel${nowhere:+ (never:$nowhere)}"
elif [ -n "$nowhere" ]; then
	echo "# not a full run: suites that ran on no kernel:$nowhere"
fi

# The install proof on the Debian kernels tested here (docs/install.md).
if [ "${INSTALL:-1}" = 1 ]; then
	debian=""
	for kver in $kernels; do
		[ -r "/boot/vmlinuz-$kver" ] && debian="$debian $kver"
	done
	# shellcheck disable=SC2086
	scripts/check-install.sh $debian >build/check-install.out 2>&1
	sed '$d' build/check-install.out
	add_counts "$(tail -n 1 build/check-install.out)" "the install proof"
fi

[ "${PLANTED:-1}" = 1 ] && . scripts/check-planted.sh
finish

#!/bin/sh
# Boot one kernel in qemu (TCG) with the relayfs test initramfs, run suites,
# and summarise their KTAP results.
#
#   tests/vm/run.sh KERNELRELEASE SUITE[,SUITE...]
#
# Needs build/<release>/modules/*.ko and build/user/ (make all).
# Environment:
#   VM_TIMEOUT=900     host-side limit for the whole boot, in seconds; past
#                      it the VM counts as hung and fails
#   VM_SMP=2           vCPUs (this machine has 2 cores: at most 2)
#   VM_MEM=1024        MiB of guest memory
#   VM_APPEND=...      extra kernel command line
#   VM_DIR=build/vm/<release>   where the initramfs and both logs are kept
#   VM_SUITES_DIR=tests/vm/suites   where the suites come from (bench/vm)
#   VM_QEMU_OPTS=...   extra qemu options (the benchmark's -icount)
#   VM_ROOT_EXTRA=DIR  a tree copied over the initramfs last (an installed
#                      system's files: scripts/check-install.sh, with
#                      tests/vm/stage-dynamic.sh for its programs)
#
# Output: one line per failure or skip, then "P F S" as the last line;
# the exit status is non-zero when anything failed.  The console log and
# the result log stay in VM_DIR for debugging.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
suites=$2
timeout_s=${VM_TIMEOUT:-900}
vmdir=${VM_DIR:-$top/build/vm/$kver}
stage=$vmdir/initramfs
# Sockets and other short-lived files: a short path of their own, since a
# UNIX socket's path is limited to 107 bytes whatever the checkout's is.
rundir=$(mktemp -d "${TMPDIR:-/tmp}/rfsvm.XXXXXX") || exit 2
trap 'rm -rf "$rundir"' EXIT
mon=$rundir/monitor.sock

# Debian's kernels are in /boot; the debug kernels built from
# linux-source (scripts/build-kernel.sh) next to their modules.
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || kernel=$top/build/$kver/vmlinuz
[ -r "$kernel" ] || { echo "run.sh: no kernel image for $kver" >&2; exit 2; }
sysmap=/boot/System.map-$kver
[ -r "$sysmap" ] || sysmap=$top/build/$kver/kdir/System.map
mods=$top/build/$kver/modules
[ -d "$mods" ] || { echo "run.sh: no $mods (make modules)" >&2; exit 2; }

rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" \
	 "$stage/lib/relayfs" "$stage/suites" "$stage/usr/bin" "$stage/etc"
cp /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$top/tests/vm/init" "$stage/init"
cp "${VM_SUITES_DIR:-$top/tests/vm/suites}"/* "$stage/suites/"
cp "$top"/tests/vm/lib.sh "$stage/lib/relayfs/lib.sh"
cp "$mods"/*.ko "$stage/lib/relayfs/"
cp "$mods"/*.syms "$stage/lib/relayfs/" 2>/dev/null || :
if [ -d "$top/build/user/vm" ]; then
	cp "$top"/build/user/vm/* "$stage/usr/bin/"
fi
# The shared libraries a dynamically linked program needs (ldd), with
# the loader.
copy_libs() {
	mkdir -p "$stage/lib64" "$stage/lib/x86_64-linux-gnu"
	cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
	ldd "$1" | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
		cp -L "$lib" "$stage/lib/x86_64-linux-gnu/"
	done
}
# The host's zstd, the standard decoder the tests check compressed runs
# with (zstd -dc).
if [ -x /usr/bin/zstd ]; then
	cp /usr/bin/zstd "$stage/usr/bin/zstd"
	copy_libs /usr/bin/zstd
fi
# valgrind for the user-space tools: its static launcher and memcheck,
# the dynamic loader and libc that its preloads and a dynamically linked
# relay-collect need.
vg=/usr/libexec/valgrind
if [ -x /usr/bin/valgrind ] && [ -x "$top/build/bin/relay-collect" ]; then
	mkdir -p "$stage$vg" "$stage/lib64" "$stage/lib/x86_64-linux-gnu"
	# Debian's valgrind is a script around valgrind.bin: call the binary.
	cp /usr/bin/valgrind.bin "$stage/usr/bin/valgrind"
	cp "$vg/memcheck-amd64-linux" "$vg/vgpreload_core-amd64-linux.so" \
	   "$vg/vgpreload_memcheck-amd64-linux.so" "$vg/default.supp" \
	   "$stage$vg/"
	cp -L /lib64/ld-linux-x86-64.so.2 "$stage/lib64/"
	cp "$top/build/bin/relay-collect" "$stage/usr/bin/relay-collect-dyn"
	copy_libs "$stage/usr/bin/relay-collect-dyn"
	# memcheck needs ld.so's symbols (libc6-dbg), found by build id.
	id=$(readelf -n /lib64/ld-linux-x86-64.so.2 |
	     awk '/Build ID/ { print $3 }')
	dbg=/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)
	mkdir -p "$stage$dbg"
	cp "$dbg/$(echo "$id" | cut -c3-).debug" "$stage$dbg/"
fi
# An unprivileged user for permission tests.
printf 'root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n' \
	>"$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
if [ -n "${VM_ROOT_EXTRA:-}" ]; then
	cp -a "$VM_ROOT_EXTRA/." "$stage/" || exit 2
fi
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) \
	>"$vmdir/initramfs.cpio.gz"

# Fail loudly but fairly: any WARN or oops panics (and panic=-1 with
# -no-reboot ends qemu at once); lockups, hung tasks and RCU stalls panic
# too, with thresholds raised for TCG speed; slub and page poisoning catch
# use-after-free and overruns in our allocations.
cmdline="console=ttyS0 loglevel=5 panic=-1 panic_on_warn=1 oops=panic
softlockup_panic=1 watchdog_thresh=30 hung_task_panic=1
sysctl.kernel.hung_task_timeout_secs=240
rcupdate.rcu_cpu_stall_timeout=90 sysctl.kernel.panic_on_rcu_stall=1
slub_debug=FZPU page_poison=1 log_buf_len=8M printk.devkmsg=on
nokaslr suites=$suites ${VM_APPEND:-}"
cmdline=$(echo $cmdline)

boot() {
	rm -f "$vmdir/console.log" "$vmdir/results.log" \
	      "$vmdir/kcsan-foreign.log"
	rm -f "$mon" "$vmdir/hang.txt" "$vmdir/hang-registers.txt"
	qemu-system-x86_64 \
		-nodefaults -no-reboot -display none \
		-machine pc -accel tcg -cpu qemu64 \
		-smp "${VM_SMP:-2}" -m "${VM_MEM:-1024}" \
		-kernel "$kernel" -initrd "$vmdir/initramfs.cpio.gz" \
		-append "$cmdline" ${VM_QEMU_OPTS:-} \
		-monitor "unix:$mon,server,nowait" \
		-serial "file:$vmdir/console.log" \
		-serial "file:$vmdir/results.log" </dev/null &
	qpid=$!
	waited=0
	while kill -0 "$qpid" 2>/dev/null && [ "$waited" -lt "$timeout_s" ]; do
		sleep 1
		waited=$((waited + 1))
	done
	if kill -0 "$qpid" 2>/dev/null; then
		# Hung: say where every vCPU is before ending it.
		"$top/tests/vm/hang-report.py" "$mon" \
			"$sysmap" >"$vmdir/hang.txt" 2>&1
		kill -9 "$qpid"
		wait "$qpid"
		qrc=124
	else
		wait "$qpid"
		qrc=$?
	fi
}

start=$(date +%s)
boot
# A kernel that dies while booting, before the first suite began and with
# no module of ours loaded ("Not tainted"), met an emulator fault, not a
# bug of ours (seen once: an int3 oops in early text patching under TCG).
# Boot once more, and say so; a second such failure counts.
if ! grep -q '^# suite-begin' "$vmdir/results.log" 2>/dev/null &&
   grep -q 'Not tainted' "$vmdir/console.log" 2>/dev/null &&
   ! grep -q 'Tainted: .*O' "$vmdir/console.log" 2>/dev/null; then
	echo "# $kver: the kernel died while booting, before any suite" \
	     "(console.log.boot-failure); booting again"
	cp "$vmdir/console.log" "$vmdir/console.log.boot-failure"
	boot
fi
end=$(date +%s)

expect=$(echo "$suites" | tr ',' ' ')
touch "$vmdir/results.log" "$vmdir/console.log"
awk -v kernel="$kver" -v expect="$expect" \
	-f "$top/tests/vm/ktap-summary.awk" "$vmdir/results.log" >"$vmdir/summary"
counts=$(tail -n 1 "$vmdir/summary")
set -- $counts
pass=$1 fail=$2 skip=$3

# The kernel log is a test of its own: whatever the suites said, a report
# from the kernel about itself fails the suite it happened in.  The log is
# the VM's own ring buffer, dumped after every suite (tests/vm/init), plus
# whatever the console showed after the last dump (a crash): see
# tests/vm/kernel-log-scan.py for what counts and what is exempt where.
"$top/tests/vm/kernel-log-scan.py" "$kver" "$vmdir/results.log" \
	"$vmdir/console.log" "$vmdir/kcsan-foreign.log" >"$vmdir/kernel-log.txt"
klog_rc=$?
logfail=$(tail -n 1 "$vmdir/kernel-log.txt")
[ "$klog_rc" -eq 0 ] && [ -n "$logfail" ] || logfail=1
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "not ok kernel@$kver: VM still running after ${timeout_s}s (hang)"
	cat "$vmdir/hang.txt"
	fail=$((fail + 1))
elif ! grep -q '^# vm-done' "$vmdir/results.log"; then
	echo "not ok kernel@$kver: the suites did not finish (exit $qrc)"
	fail=$((fail + 1))
else
	pass=$((pass + 1))
fi
# Each report, with the suite it failed.
sed '$d' "$vmdir/kernel-log.txt"
fail=$((fail + logfail))
sed '$d' "$vmdir/summary"
if [ -s "$vmdir/kcsan-foreign.log" ]; then
	echo "# $kver: $(grep -c 'BUG: KCSAN' "$vmdir/kcsan-foreign.log")" \
	     "data races reported with none of our modules in them" \
	     "(kcsan-foreign.log): not ours, not counted"
fi
if [ "$fail" -ne 0 ]; then
	echo "---- tail of $vmdir/console.log ----"
	tail -n 60 "$vmdir/console.log" | tr -d '\r'
	echo "---- tail of $vmdir/results.log ----"
	tail -n 30 "$vmdir/results.log" | tr -d '\r'
	echo "----"
fi
echo "# $kver: $suites: ${pass} passed, ${fail} failed, ${skip} skipped" \
     "in $((end - start))s"
echo "$pass $fail $skip"
[ "$fail" -eq 0 ]

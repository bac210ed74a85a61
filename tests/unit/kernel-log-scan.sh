#!/bin/sh
# Host-side test of tests/vm/kernel-log-scan.py on planted logs: each kind
# of kernel report fails the suite it belongs to, the exemptions hold only
# where they are meant to, and KCSAN races are sorted into ours (our code,
# our module data, an object our modules allocated and had not freed) and
# foreign (a core helper on the core's own state), by the rule the VM runs
# use.  The live plants of check-planted.sh prove the same on real kernels.
scan=$(cd "$(dirname "$0")/../vm" && pwd)/kernel-log-scan.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

# A kmsg dump of suite $1 holding the lines on standard input.
dump() {
	echo "# suite-begin $1"
	echo "# suite-end $1 rc=0"
	echo "# kmsg-begin $1"
	cat
	echo "# kmsg-lost ${2:-0}"
	echo "# kmsg-end $1"
}

kcsan() {	# kcsan T ADDR1 FRAME1 ADDR2 FRAME2
	cat <<EOT
[   $1] ==================================================================
[   $1] BUG: KCSAN: data-race in ${3%%+*} / ${5%%+*}
[   $1] 
[   $1] write to 0x$2 of 8 bytes by interrupt on cpu 1:
[   $1]  $3
[   $1]  __hrtimer_run_queues+0x1a8/0x3a0
[   $1] 
[   $1] read to 0x$4 of 8 bytes by task 256 on cpu 1:
[   $1]  $5
[   $1]  usleep_range_state+0x93/0xd0
[   $1]  do_write+0x60c/0x900 [relayfs_testprod]
[   $1] 
[   $1] value changed: 0xffff888003b3c000 -> 0x0000000000000000
[   $1] 
[   $1] Reported by Kernel Concurrency Sanitizer on:
[   $1] CPU: 1 PID: 256 Comm: rfs-core Not tainted 6.12.117-relayfs-race
[   $1] ==================================================================
EOT
}

# check NAME EXPECTED_FAILURES GREP_OUTPUT GREP_FOREIGN: run the scan on
# $tmp/results.log and $tmp/console.log.
check() {
	n=$((n + 1))
	touch "$tmp/console.log"
	"$scan" k "$tmp/results.log" "$tmp/console.log" "$tmp/foreign.log" \
		>"$tmp/out" 2>&1
	got=$(tail -n 1 "$tmp/out")
	ok=1
	[ "$got" = "$2" ] || { echo "# expected $2 failures, got $got"; ok=0; }
	if [ -n "$3" ] && ! grep -Eq "$3" "$tmp/out"; then
		echo "# expected output matching $3"
		ok=0
	fi
	if [ -n "$4" ] && ! grep -Eq "$4" "$tmp/foreign.log"; then
		echo "# expected foreign.log matching $4"
		ok=0
	fi
	if [ "$ok" = 1 ]; then
		echo "ok $n $1"
	else
		sed 's/^/# /' "$tmp/out"
		echo "not ok $n $1"
		fails=$((fails + 1))
	fi
	rm -f "$tmp/console.log" "$tmp/foreign.log"
}

echo "KTAP version 1"
echo "1..17"

printf '[    1.000000] relayfs: all quiet\n' | dump core >"$tmp/results.log"
check "a clean log passes" 0 "" ""

printf '[    1.000000] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2 [relayfs]\n' |
	dump core >"$tmp/results.log"
check "a WARN fails its suite" 1 "^not ok kernel-log@core@k: WARNING:" ""

{
	printf '[    1.000000] fine\n' | dump fs
	printf '[    2.000000] BUG: sleeping function called from invalid context\n[    2.000001] Call Trace:\n' |
		dump core
} >"$tmp/results.log"
check "a report counts once, in its own suite" 1 \
	"^not ok kernel-log@core@k: BUG: sleeping" ""

printf '[    1.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n' |
	dump kmemleak >"$tmp/results.log"
check "kmemleak's report (pr_info) fails" 1 "kmemleak@k: kmemleak: 2 new" ""

printf '[    1.000000] fine\n' | dump core 3 >"$tmp/results.log"
check "records lost before they were read fail" 1 "lost 3 records" ""

alloc='[    1.000000] rfs-fault: page allocation failure: order:0, mode:0xcc0
[    1.000001] Call Trace:
[    1.000002]  <TASK>
[    1.000003]  warn_alloc+0x1/0x2
[    1.000004]  </TASK>
[    1.000005] relayfs: -ENOMEM handled'
echo "$alloc" | dump faults >"$tmp/results.log"
check "warn_alloc is exempt in the faults suite" 0 "" ""
echo "$alloc" | dump core >"$tmp/results.log"
check "warn_alloc fails anywhere else" 1 "^not ok kernel-log@core@k: " ""

{
	printf '[    1.000000] =============================================================================\n'
	printf '[    1.000001] BUG kmalloc-64 (Tainted: G O): Right Redzone overwritten\n'
	printf '[    1.000002] -----------------------------------------------------------------------------\n'
} | dump core >"$tmp/results.log"
check "a SLUB report with one rule of ='s still fails" 1 \
	"kernel-log@core@k: BUG kmalloc" ""

{
	printf '[    1.000000] fine\n' | dump core
	printf '[    5.000000] relayfs: before the crash\n'
} >"$tmp/results.log"
check "a clean console after the dumps passes" 0 "" ""
printf '[    0.500000] BUG: old, already dumped\n[    1.000000] fine\n' |
	dump core >"$tmp/results.log"
printf '[    0.500000] BUG: old, already dumped\n[    6.000000] Kernel panic - not syncing: Fatal exception\n' \
	>"$tmp/console.log.keep"
n=$((n + 1))
"$scan" k "$tmp/results.log" "$tmp/console.log.keep" "$tmp/foreign.log" \
	>"$tmp/out" 2>&1
if [ "$(tail -n 1 "$tmp/out")" = 2 ] &&
   grep -q "^not ok kernel-log@console@k: Kernel panic" "$tmp/out"; then
	echo "ok $n the console after the last dump is scanned"
else
	sed 's/^/# /' "$tmp/out"
	echo "not ok $n the console after the last dump is scanned"
	fails=$((fails + 1))
fi

# KCSAN: the race the race kernel really reported through the test
# producer's usleep_range (both accesses in the core, on a kernel stack:
# foreign), and the same shape on memory of ours.
{
	kcsan 3.000000 ffffc90000663d48 hrtimer_wakeup+0x33/0x50 \
		ffffc90000663d48 schedule_hrtimeout_range_clock+0x10c/0x1a0
} | dump core >"$tmp/results.log"
check "KCSAN: a core helper on the core's state is foreign" 0 "" \
	"BUG: KCSAN: data-race in hrtimer_wakeup / schedule_hrtimeout"

{
	printf '[    2.000000] relayfs-obj: + buf ffff888004a1c000 2048\n'
	kcsan 3.000000 ffff888004a1c100 __wake_up_common+0x33/0x50 \
		ffff888004a1c100 prepare_to_wait_event+0x10c/0x1a0
	kcsan 4.000000 ffffffffc0a01040 __bitmap_set+0x33/0x50 \
		ffffffffc0a01040 __bitmap_weight+0x10c/0x1a0
} | dump core >"$tmp/results.log"
check "KCSAN: our object or module data in a kernel helper is ours" 1 \
	"ours: memory of our buf at 0xffff888004a1c100" ""

{
	printf '[    2.000000] relayfs-obj: + buf ffff888004a1c000 2048\n'
	printf '[    2.500000] relayfs-obj: - ffff888004a1c000\n'
	kcsan 3.000000 ffff888004a1c100 __wake_up_common+0x33/0x50 \
		ffff888004a1c100 prepare_to_wait_event+0x10c/0x1a0
	kcsan 4.000000 ffff888005000000 relayfs_work_fn+0x33/0x50\ [relayfs] \
		ffff888005000000 __wake_up_common+0x10c/0x1a0
} | dump core >"$tmp/results.log"
check "KCSAN: a freed object is not ours any more; our code is" 1 \
	"ours: accessed by our code: relayfs_work_fn" \
	"data-race in __wake_up_common / prepare_to_wait_event"
nmi='[    1.000000] NMI backtrace for cpu 1
[    1.000001] CPU: 1 UID: 0 PID: 99 Comm: rfs-log
[    1.000002] RIP: 0033:0x4011d6'
{
	echo "$nmi"
	printf '[    1.000003] Call Trace:\n[    1.000004]  <TASK>\n'
	printf '[    1.000005]  check_hung_task+0x1/0x2\n[    1.000006]  </TASK>\n'
} | dump log >"$tmp/results.log"
check "sysrq's NMI backtraces are exempt in the log suite" 0 "" ""
{
	echo "$nmi"
	printf '[    1.100000] BUG: sleeping function called from invalid context\n'
} | dump log >"$tmp/results.log"
check "an exempt dump with no end hides no report after it" 1 \
	"kernel-log@log@k: BUG: sleeping" ""
{
	kcsan 3.000000 ffffc90000663d48 hrtimer_wakeup+0x33/0x50 \
		ffffc90000663d48 schedule_hrtimeout_range_clock+0x10c/0x1a0 |
		sed '$d' | sed '/value changed/i [   3.000000] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2'
} | dump core >"$tmp/results.log"
check "a foreign KCSAN block hides no report inside it" 1 \
	"kernel-log@core@k: WARNING: CPU: 0" "data-race in hrtimer_wakeup"
printf '# suite-end core rc=0\n# kmsg-begin core\n[    1.000000] fine\n# kmsg-end core\n' \
	>"$tmp/results.log"
check "a dump without its kmsg-lost line fails" 1 "not whole" ""
[ "$fails" -eq 0 ]

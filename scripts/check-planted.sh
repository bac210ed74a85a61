# shellcheck shell=sh
# Sourced by scripts/check.sh after the real suites: the harness proves it
# sees each class of failure, by booting suites that plant one each
# (tests/vm/planted/, tests/kmod/relayfs_plant.ko) and requiring that
# tests/vm/run.sh fails exactly those suites, for the reason planted.  The
# kernel-report plants are quiet (console at loglevel 1, panic_on_warn=0),
# so only the scan of the kernel's own log can catch them.
#
# Uses result(), $kernels and $race_append from check.sh.

# planted KERNEL NAME SUITES [VAR=VALUE...]: boot the planted suites;
# the output is in build/planted-NAME.out.
planted() {
	pk=$1 pname=$2 psuites=$3
	shift 3
	env VM_DIR="$top/build/vm/planted-$pname" \
	    VM_SUITES_DIR="$top/tests/vm/planted" "$@" \
		tests/vm/run.sh "$pk" "$psuites" >"build/planted-$pname.out" 2>&1
	echo $? >"build/planted-$pname.rc"
}

# expect NAME CLASS REGEX: the planted boot NAME failed, with a line
# matching REGEX (the failure of the planted suite, for its reason).
expect() {
	if [ "$(cat "build/planted-$1.rc")" -ne 0 ] &&
	   grep -Eq "$3" "build/planted-$1.out"; then
		result 0 "harness: planted $2 fails the suite"
	else
		result 1 "harness: planted $2 fails the suite"
		sed 's/^/# /' "build/planted-$1.out"
	fi
}

# skipped CLASS REASON: a plant whose kernel is not in this run.
skipped() {
	n=$((n + 1)) skip=$((skip + 1))
	echo "ok $n - harness: planted $1 fails the suite # SKIP $2"
}

pdeb="" pdebug="" prace=""
for k in $kernels; do
	case $k in
	6.12*-relayfs-debug) pdebug=$k ;;
	6.12*-relayfs-race) prace=$k ;;
	6.12*) pdeb=$k ;;
	esac
done
# The releases as they appear in the regular expressions below ('+', '.').
re() { printf '%s' "$1" | sed 's/[.+]/\\&/g'; }

if [ -n "$pdeb" ]; then
	k=$(re "$pdeb")
	# The oops last: it ends the VM before its suite's log is dumped,
	# so only the console scan can see it.
	planted "$pdeb" basic \
		plant-noplan,plant-emptyplan,plant-crash,plant-warn,plant-oops \
		VM_APPEND="panic_on_warn=0"
	expect basic "no plan" "^not ok plant-noplan@$k: no KTAP plan"
	expect basic "empty plan" "^not ok plant-emptyplan@$k: empty plan"
	expect basic "crashing test program" \
		"^not ok plant-crash@$k: plan 1..2 but 1 results"
	expect basic "WARN" "^not ok kernel-log@plant-warn@$k: WARNING:"
	expect basic "oops (console only)" \
		"^not ok kernel-log@console@$k: (BUG|Oops|Kernel panic)"
	# A hang: the suite never ends, the host's limit must end the VM.
	planted "$pdeb" hang plant-hang VM_TIMEOUT=60 \
		VM_APPEND="suite_timeout=3600"
	expect hang "hanging VM" "^not ok kernel@$k: VM still running"
else
	for c in "no plan" "empty plan" "crashing test program" WARN \
		 "oops (console only)" "hanging VM"; do
		skipped "$c" "no Debian 6.12 kernel in this run"
	done
fi

if [ -n "$pdebug" ]; then
	k=$(re "$pdebug")
	# lockdep last: it switches itself off after its first report.
	planted "$pdebug" debug plant-sleep,plant-leak,plant-lockdep \
		VM_APPEND="panic_on_warn=0"
	expect debug "sleeping in atomic context" \
		"^not ok kernel-log@plant-sleep@$k: BUG: sleeping function"
	expect debug "leak" \
		"^not ok kernel-log@plant-leak@$k: kmemleak: [0-9]+ new suspected"
	expect debug "lockdep report" \
		"^not ok kernel-log@plant-lockdep@$k: WARNING: possible circular locking"
else
	for c in "sleeping in atomic context" leak "lockdep report"; do
		skipped "$c" "no debug kernel in this run"
	done
fi

if [ -n "$prace" ]; then
	k=$(re "$prace")
	planted "$prace" race plant-kcsan VM_APPEND="$race_append"
	expect race "KCSAN race on our object in a kernel helper" \
		"^not ok kernel-log@plant-kcsan@$k: BUG: KCSAN: data-race in __bitmap"
else
	skipped "KCSAN race on our object in a kernel helper" \
		"no race kernel in this run"
fi

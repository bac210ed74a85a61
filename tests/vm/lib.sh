# Shell helpers for in-VM suites: KTAP output for shell-driven tests and
# collection of a test module's KTAP from the kernel log.
# shellcheck shell=sh

KMODS=/lib/relayfs

# insmod with the kernel command line's options for the module, as
# modprobe would (tests/user/rfs-insmod.c).
insmod() { rfs-insmod "$@"; }
ktap_n=0
ktap_fail=0

ktap_plan() { echo "KTAP version 1"; echo "1..$1"; }

# ktap_result STATUS NAME: STATUS 0 is ok, anything else not ok.
ktap_result() {
	ktap_n=$((ktap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $ktap_n $2"
	else
		echo "not ok $ktap_n $2"
		ktap_fail=$((ktap_fail + 1))
	fi
}

# ktap_check NAME CMD...: run CMD, report its status as a result.
ktap_check() {
	name=$1
	shift
	"$@" >/tmp/check.out 2>&1
	st=$?
	[ "$st" -ne 0 ] && sed 's/^/# /' /tmp/check.out
	ktap_result "$st" "$name"
}

ktap_exit() { [ "$ktap_fail" -eq 0 ]; exit $?; }

# kmod_ktap MODULE [PARAMS]: load a test module that prints KTAP lines
# prefixed "relayfs-ktap: " at load, and print them.  The module reports
# through the kernel log as KUnit does; the prefix keeps other messages out.
kmod_ktap() {
	m=$1
	shift
	dmesg -c >/dev/null
	insmod "$KMODS/$m.ko" "$@" || return 1
	dmesg | sed -n 's/^.*relayfs-ktap: //p'
	rmmod "$m" || return 1
}

#!/bin/sh
# LTTng's kernel tracer, for the benchmark only (make bench): the
# lttng-modules 2.13.9 source of Debian 12, unpacked from its -dkms
# package without installing it (its post-install DKMS build fails on
# Debian's 6.1: probes/lttng-probe-timer.c, "conflicting types for
# 'trace_hrtimer_start'", and leaves apt in error), built for KERNEL
# with only what a kernel session with the lttng-test event needs: the
# ring buffer library, the tracer, the ring-buffer clients, statedump,
# the kprobe/uprobe modules the tracer links against, and the
# lttng-test probe.  Every other probe (the timer one among them) is
# left out: src/probes/Kbuild is replaced in the build tree, nothing in
# the source is patched.
#
#   bench/lttng/build.sh KERNEL OUTDIR   -> OUTDIR/*.ko, or exit 1 with
#                                           the compiler's error in
#                                           OUTDIR/build.log
# lttng-tools (lttng, lttng-sessiond, lttng-consumerd) comes from its
# Debian package (bench/run.sh installs it).
set -eu
kernel=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
src=$top/build/lttng/src
ver=2.13.9
if [ ! -d "$src/usr/src/lttng-modules-$ver" ]; then
	rm -rf "$src" && mkdir -p "$src"
	(cd "$src" && apt-get download -q lttng-modules-dkms >/dev/null 2>&1 &&
		dpkg-deb -x lttng-modules-dkms_*.deb .)
	[ -d "$src/usr/src/lttng-modules-$ver" ] || {
		echo "lttng: no lttng-modules-dkms $ver source" >&2
		exit 1
	}
fi
# newer FILE: FILE exists and is newer than this script.
newer() { [ -n "$(find "$1" -newer "$0" 2>/dev/null)" ]; }
if newer "$out/lttng-test.ko"; then
	exit 0
fi
# A failed build is not tried again until this script changes.
if newer "$out/failed"; then
	echo "lttng: lttng-modules $ver does not build for $kernel (see $out/build.log)" >&2
	exit 1
fi
rm -rf "$out/tree" "$out/failed"
mkdir -p "$out"
cp -a "$src/usr/src/lttng-modules-$ver" "$out/tree"
# Only the probes the tracer itself links against.
cat >"$out/tree/src/probes/Kbuild" <<'KBUILD'
TOP_LTTNG_MODULES_DIR := $(shell dirname $(lastword $(MAKEFILE_LIST)))/../..
include $(TOP_LTTNG_MODULES_DIR)/src/Kbuild.common
ccflags-y += -I$(TOP_LTTNG_MODULES_DIR)/include
obj-$(CONFIG_LTTNG) += lttng-kprobes.o lttng-uprobes.o lttng-kretprobes.o
KBUILD
if ! make -C "$out/tree" -j2 KERNELDIR="/lib/modules/$kernel/build" \
	CONFIG_LTTNG_CLOCK_PLUGIN_TEST= modules >"$out/build.log" 2>&1; then
	echo "lttng: lttng-modules $ver does not build for $kernel:" >&2
	grep -m 5 -E 'error:|ERROR:' "$out/build.log" >&2 || tail -n 5 "$out/build.log" >&2
	touch "$out/failed"
	exit 1
fi
find "$out/tree/src" -name '*.ko' -exec cp {} "$out/" \;
find "$out" -maxdepth 1 -name '*.ko' | wc -l

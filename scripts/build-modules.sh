#!/bin/sh
# Build every kernel module of the project against one kernel's headers.
#
#   scripts/build-modules.sh KDIR
#
# The tree is copied to build/<release>/src so each kernel has its own
# objects; the modules land in build/<release>/modules.  The build runs with
# sparse (C=2) and fails on any compiler, sparse or modpost warning.
set -eu
kdir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
# The release the kernel reports (uname -r), which names its /boot image.
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h")
out=$top/build/$kver
src=$out/src

# A fresh copy each time (a build takes seconds): a file deleted from the
# tree must not leave a stale module behind.
rm -rf "$src"
mkdir -p "$src"
for d in Kbuild kernel include tests/kmod examples bench; do
	mkdir -p "$src/$(dirname "$d")"
	cp -a "$top/$d" "$src/$(dirname "$d")/"
done

"$top/scripts/compat-detect.sh" "$kdir" "$out/compat-probes" \
	"$src/kernel/compat_autoconf.h.new"
if ! cmp -s "$src/kernel/compat_autoconf.h.new" \
	  "$src/kernel/compat_autoconf.h"; then
	mv "$src/kernel/compat_autoconf.h.new" "$src/kernel/compat_autoconf.h"
else
	rm -f "$src/kernel/compat_autoconf.h.new"
fi

sparse=""
[ "${SPARSE:-1}" = 1 ] && sparse="C=2"
log=$out/build.log
if ! make -C "$kdir" M="$src" $sparse modules >"$log" 2>&1; then
	cat "$log"
	echo "build-modules: $kver: build failed" >&2
	exit 1
fi
# Warnings from the compiler, sparse (C=2) and modpost all fail the build.
if grep -Ei 'warning:|error:' "$log"; then
	echo "build-modules: $kver: warnings (see above; full log $log)" >&2
	exit 1
fi

# relayfs-inject.ko: relayfs.ko with the test-only write-path injection
# points (include/relayfs/relayfs_inject.h), for the torture suite.
inj=$out/src-inject
rm -rf "$inj"
mkdir -p "$inj"
cp -a "$src/kernel" "$src/include" "$inj/"
log=$out/build-inject.log
if ! make -C "$kdir" M="$inj/kernel" RELAYFS_INJECT=1 modules >"$log" 2>&1 ||
   grep -Ei 'warning:|error:' "$log"; then
	cat "$log"
	echo "build-modules: $kver: relayfs-inject.ko failed" >&2
	exit 1
fi

rm -rf "$out/modules"
mkdir -p "$out/modules"
find "$src" -name '*.ko' -exec cp {} "$out/modules/" \;
cp "$inj/kernel/relayfs.ko" "$out/modules/relayfs-inject.ko"
# Every function of the write path (kernel/write.c), as this compiler
# emitted them: the notrace suite checks that none can be traced or
# probed.  Not the sanitizers' constructor and destructor (_sub_I_*,
# _sub_D_*: they register write.c's globals at load and unload).  Then
# the triggers' NMI path in trigger.o and app.o, with its compiler clones
# (.cold, .constprop.0, ...).
{
	nm --defined-only "$src/kernel/write.o" |
		awk '$2 ~ /^[tT]$/ && $3 !~ /^__(pfx|cfi)_/ &&
		     $3 !~ /^_sub_[ID]_[0-9]+_[0-9]+$/ { print $3 }'
	nm --defined-only "$src/kernel/trigger.o" "$src/kernel/app.o" |
		awk '$2 ~ /^[tT]$/ && $3 ~ /^(relayfs_trig_fire|rfs_trig_context|relayfs_app_trigger)(\..*)?$/ { print $3 }'
} >"$out/modules/relayfs-write.syms"
echo "build-modules: $kver: $(ls "$out/modules" | tr '\n' ' ')"

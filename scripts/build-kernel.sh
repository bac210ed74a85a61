#!/bin/sh
# Build a test kernel from Debian's linux-source tarball, once.
#
#   scripts/build-kernel.sh FLAVOR [SERIES]   (debug or race; 6.1 or 6.12,
#                                             default the newest source)
#
# The kernel is allnoconfig plus tests/kernels/vm.config plus
# tests/kernels/FLAVOR.config, built out of tree in a cache outside the
# repository (RELAYFS_CACHE, default ~/.cache/relayfs) keyed by the source
# package's version and a hash of the fragments, so it is built again only
# when one of them changes (the last build of each flavor is kept).  Every option a fragment asks
# for must survive olddefconfig, or the build fails: a fragment that
# silently lost KASAN would make every later pass meaningless.
#
# Afterwards build/<release>/kdir points at the object tree (what modules
# build against) and build/<release>/vmlinuz at its bzImage (what
# tests/vm/run.sh boots).  Prints the release on the last line.
set -eu
flavor=$1
series=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)
frags="$top/tests/kernels/vm.config $top/tests/kernels/$flavor.config"
for f in $frags; do
	[ -r "$f" ] || { echo "build-kernel: no $f" >&2; exit 2; }
done
# What one kernel series has differently (tests/kernels/FLAVOR-SERIES.config,
# applied last: its settings win).
[ -n "$series" ] && [ -r "$top/tests/kernels/$flavor-$series.config" ] &&
	frags="$frags $top/tests/kernels/$flavor-$series.config"

src=$("$top/scripts/kernel-source.sh" $series)
ver=${src##*/src-}
cache=$(dirname "$src")
# What the kernel is made of: the fragments (and this recipe's revision,
# bumped by hand when a change below alters the result).
recipe=1
key=$( (echo "$recipe"; cat $frags) | sha256sum | cut -c1-12)
obj=$cache/$flavor-$ver-$key
log=$cache/$flavor-$ver-$key.log

if [ ! -f "$obj/.built" ]; then
	echo "build-kernel: building $flavor kernel in $obj (log $log)"
	# Older builds of this flavor are a few GiB each: keep only this
	# one of its kernel series (debug-6.1.* is not debug-6.12.*).
	rm -rf "$cache/$flavor-$(echo "$ver" | cut -d. -f1,2)".[0-9]*
	mkdir -p "$obj"
	mk() { make -C "$src" O="$obj" ARCH=x86_64 "$@" >>"$log" 2>&1; }
	: >"$log"
	mk allnoconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" $frags >>"$log" 2>&1
	mk olddefconfig
	# Each requested setting must be in the final configuration.
	# A later fragment's setting of an option replaces an earlier one's.
	lost=$(cat $frags | grep -E '^CONFIG_' | awk -F= '
		!($1 in v) { k[n++] = $1 }
		{ v[$1] = $0 }
		END { for (i = 0; i < n; i++) print v[k[i]] }' |
	while IFS= read -r line; do
		opt=${line%%=*}
		case $line in
		*=n) if grep -q "^$opt=" "$obj/.config"; then
			echo "$line"
		     fi ;;
		*) if ! grep -qxF "$line" "$obj/.config"; then
			echo "$line"
		   fi ;;
		esac
	done)
	if [ -n "$lost" ]; then
		echo "build-kernel: olddefconfig dropped:" $lost >&2
		exit 1
	fi
	if ! mk -j"$(nproc)" bzImage modules; then
		tail -n 40 "$log"
		echo "build-kernel: $flavor build failed (log $log)" >&2
		exit 1
	fi
	touch "$obj/.built"
fi

kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$obj/include/generated/utsrelease.h")
mkdir -p "$top/build/$kver"
ln -sfn "$obj" "$top/build/$kver/kdir"
ln -sfn "$obj/arch/x86/boot/bzImage" "$top/build/$kver/vmlinuz"
echo "$kver"

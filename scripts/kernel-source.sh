#!/bin/sh
# Debian's linux-source tarball, extracted once into the cache
# (RELAYFS_CACHE, default ~/.cache/relayfs) keyed by the package's
# version; prints the tree's path.  The tree stays pristine: kernels are
# built out of tree (scripts/build-kernel.sh), the in-tree series is
# applied to copies (scripts/check-intree.sh).
#
#   scripts/kernel-source.sh [SERIES]    (6.1, 6.12; default: the newest)
set -eu
series=${1:-*}
tarball=$(ls /usr/src/linux-source-$series.tar.xz 2>/dev/null | sort -V |
	tail -n 1)
[ -n "$tarball" ] || { echo "kernel-source: no linux-source-$series" >&2; exit 1; }
base=$(basename "$tarball" .tar.xz)
ver=$(dpkg-query -W -f='${Version}' "$base" 2>/dev/null ||
      stat -c %Y "$tarball")
cache=${RELAYFS_CACHE:-${HOME:-/root}/.cache/relayfs}/kernels
src=$cache/src-$ver
if [ ! -f "$src/.extracted" ]; then
	echo "kernel-source: extracting $tarball" >&2
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.extracted"
fi
echo "$src"

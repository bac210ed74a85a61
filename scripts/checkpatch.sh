#!/bin/sh
# Run the kernel's checkpatch.pl over the project's kernel C sources.
#
# checkpatch.pl comes from Debian's linux-source-6.12 tarball, extracted once
# into a cache outside the repository (RELAYFS_CACHE, default
# ~/.cache/relayfs) keyed by the tarball's version.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] || { echo "checkpatch: no linux-source tarball" >&2; exit 1; }
ver=$(dpkg-query -W -f='${Version}' "$(basename "$tarball" .tar.xz)" \
	2>/dev/null || stat -c %Y "$tarball")
cache=${RELAYFS_CACHE:-${HOME:-/root}/.cache/relayfs}/checkpatch-$ver
if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	mkdir -p "$cache.tmp"
	base=$(basename "$tarball" .tar.xz)
	tar -xJf "$tarball" -C "$cache.tmp" --strip-components=1 \
		"$base/scripts/checkpatch.pl" "$base/scripts/spelling.txt" \
		"$base/scripts/const_structs.checkpatch"
	rm -rf "$cache"
	mv "$cache.tmp" "$cache"
fi

cd "$top"
run() {
	ignore=$1
	shift
	files=$(git ls-files -co --exclude-standard -- "$@")
	[ -n "$files" ] || return 0
	# --no-tree: not run from a kernel tree.
	# shellcheck disable=SC2086
	"$cache/scripts/checkpatch.pl" --no-tree --quiet --show-types \
		--ignore "FILE_PATH_CHANGES,SPDX_LICENSE_TAG$ignore" -f $files
}
rc=0
run "" 'kernel/*.[ch]' 'include/*.h' 'examples/*.[ch]' 'bench/*.[ch]' ||
	rc=1
# Test assertions return from the test on failure, as KUnit's do.
run ",MACRO_WITH_FLOW_CONTROL" 'tests/kmod/*.[ch]' || rc=1
[ "$rc" -eq 0 ] && echo "checkpatch: clean"
exit "$rc"

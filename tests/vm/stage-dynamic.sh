#!/bin/sh
# Copy dynamically linked programs into a VM's root tree with every shared
# library they load (ldd's list: the dynamic loader included), so the
# initramfs can run them as installed.
#
#   tests/vm/stage-dynamic.sh ROOT DEST PATH...
#
# PATH is where a program is inside ROOT (/ for this machine; a chroot's
# directory for one: ldd then runs inside it, and resolves its libraries
# as that system does).  Each program and library lands at the same path
# under DEST, symlinks resolved (a library's soname link kept).
set -eu
root=$1 dest=$2
shift 2

# ldd's lines: "name => /path (addr)", "/lib64/ld-linux... (addr)", and
# "linux-vdso.so.1 (addr)" (no file).
libs_of() {
	if [ "$root" = / ]; then
		ldd "$1"
	else
		chroot "$root" ldd "$1"
	fi | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

copy() {	# copy PATH: the file at PATH inside ROOT, to PATH under DEST
	mkdir -p "$dest$(dirname "$1")"
	cp -L "$root$1" "$dest$1"
}

for bin in "$@"; do
	[ -x "$root$bin" ] || { echo "stage-dynamic: no $root$bin" >&2; exit 1; }
	copy "$bin"
	libs=$(libs_of "$bin")
	[ -n "$libs" ] || { echo "stage-dynamic: $bin: not dynamic" >&2; exit 1; }
	for lib in $libs; do
		copy "$lib"
	done
done

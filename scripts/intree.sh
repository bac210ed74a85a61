#!/bin/sh
# The seed's form: relayfs as a patch series that adds fs/relayfs to a
# kernel source, with a RELAYFS_FS tristate in fs/Kconfig.
#
#   scripts/intree.sh OUTDIR [SRC [KDIR]]
#
# SRC is a pristine kernel source tree (default: the linux-source-6.12
# tree scripts/build-kernel.sh extracts into the cache); its fs/Kconfig,
# fs/Makefile and MAINTAINERS are the base of the hunks.  KDIR is a kernel
# build tree of the same version (default: Debian's headers for it),
# whose answers to kernel/compat/probes decide the compat branches: in
# tree there is one kernel, so compat.h keeps only that kernel's side
# (unifdef) and compat_autoconf.h is gone.  The test-only injection
# points (RELAYFS_INJECT) are left out.
#
# Writes OUTDIR/0001-*.patch ... (git format-patch, signed off by the
# repository's user) and prints their names:
#   1. the user ABI header, include/uapi/linux/relayfs.h
#   2. fs/relayfs (with its Kconfig entry RELAYFS_FS and Makefile) and
#      the client headers, include/linux/relayfs{,_app}.h
#   3. fs/Kconfig and fs/Makefile: RELAYFS_FS in the build
# (each with the MAINTAINERS lines of the files it adds).
# scripts/check-intree.sh applies them and runs checkpatch.pl on them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
cache=${RELAYFS_CACHE:-${HOME:-/root}/.cache/relayfs}
src=${2:-$(ls -d "$cache"/kernels/src-6.12* 2>/dev/null | tail -n 1)}
[ -f "$src/fs/Kconfig" ] || { echo "intree: no kernel source at '$src'" >&2; exit 1; }
srcver=$(make -s -C "$src" kernelversion 2>/dev/null)
kdir=${3:-$(ls -d /lib/modules/"$srcver"*/build 2>/dev/null | head -n 1)}
[ -d "$kdir" ] || { echo "intree: no build tree for $srcver" >&2; exit 1; }
command -v unifdef >/dev/null || { echo "intree: needs unifdef" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$top/scripts/compat-detect.sh" "$kdir" "$work/probe" "$work/autoconf.h"
# unifdef's answers: each probe defined or undefined, injection off.
defs=-URELAYFS_INJECT
for p in "$top"/kernel/compat/probes/*.c; do
	n=RELAYFS_HAVE_$(basename "$p" .c)
	if grep -q "^#define $n 1" "$work/autoconf.h"; then
		defs="$defs -D$n"
	else
		defs="$defs -U$n"
	fi
done

# The object list of relayfs.ko, from its Kbuild (inject.o is test-only).
objs=$(sed -n '/^relayfs-y :=/,/[^\\]$/p' "$top/kernel/Kbuild" |
	sed 's/relayfs-y :=//; s/\\//g')

# into SRC DEST: one file in its in-tree form.
into() {
	mkdir -p "$(dirname "$g/$2")"
	# unifdef exits 1 when it changed something: not an error.
	# shellcheck disable=SC2086
	unifdef $defs "$1" >"$g/$2.tmp" || [ $? -eq 1 ]
	sed -e 's|<relayfs/relayfs\.h>|<linux/relayfs.h>|' \
	    -e 's|<relayfs/relay_app\.h>|<linux/relayfs_app.h>|' \
	    -e 's|<relayfs/relayfs_objlog\.h>|"objlog.h"|' \
	    -e 's|include/relayfs/relayfs_objlog\.h|fs/relayfs/objlog.h|g' \
	    -e 's|include/relayfs/relay_app\.h|include/linux/relayfs_app.h|g' \
	    -e 's|include/relayfs/relayfs\.h|include/linux/relayfs.h|g' \
	    -e 's|include/uapi/linux/relayfs\.h|include/uapi/linux/relayfs.h|g' \
	    -e '/#include "compat_autoconf\.h"/d' \
	    "$g/$2.tmp" >"$g/$2"
	rm -f "$g/$2.tmp"
	# Kernel style: C files open with a // SPDX line.
	case $2 in
	*.c) sed -i '1s|^/\* \(SPDX-License-Identifier: .*\) \*/$|// \1|' \
		"$g/$2" ;;
	esac
}

g=$work/git
mkdir -p "$g/fs"
for f in fs/Kconfig fs/Makefile MAINTAINERS; do
	mkdir -p "$g/$(dirname $f)"
	cp "$src/$f" "$g/$f"
done
name=$(git -C "$top" config user.name || echo relayfs)
mail=$(git -C "$top" config user.email || echo relayfs@localhost)
G() { git -C "$g" -c user.name="$name" -c user.email="$mail" "$@"; }
G init -q
G add -A
G commit -q -m base

# maintainers F...: the MAINTAINERS entry with these files, in its
# alphabetical place.  Each patch that adds files adds them there too, so
# checkpatch.pl has no "does MAINTAINERS need updating?" to ask.
maintainers() {
	cp "$src/MAINTAINERS" "$g/MAINTAINERS"
	awk -v name="$name" -v mail="$mail" -v files="$*" '
		/^REMOTE PROCESSOR \(REMOTEPROC\) SUBSYSTEM$/ && !done {
			print "RELAYFS FILE SYSTEM"
			print "M:\t" name " <" mail ">"
			print "S:\tMaintained"
			n = split(files, f, " ")
			for (i = 1; i <= n; i++)
				print "F:\t" f[i]
			print ""
			done = 1
		}
		{ print }' "$src/MAINTAINERS" >"$g/MAINTAINERS"
	if cmp -s "$src/MAINTAINERS" "$g/MAINTAINERS"; then
		echo "intree: could not place the MAINTAINERS entry" >&2
		exit 1
	fi
}

into "$top/include/uapi/linux/relayfs.h" include/uapi/linux/relayfs.h
maintainers include/uapi/linux/relayfs.h
G add -A
G commit -q -s -F - <<'EOF'
relayfs: add the user ABI header

The ioctls of a relayfs per-CPU file: its geometry, its counters (with
the two equations that account for every record), the consume protocol
of the mmap reader, the metadata of a sub-buffer and a paired clock
reading.  Fixed-size fields, one layout for 32- and 64-bit user space,
each struct versioned so it can grow.
EOF

for o in $objs; do
	into "$top/kernel/${o%.o}.c" "fs/relayfs/${o%.o}.c"
done
into "$top/kernel/internal.h" fs/relayfs/internal.h
into "$top/kernel/compat.h" fs/relayfs/compat.h
# Its opening comment is about the out-of-tree build; in tree, say what
# is left.
awk 'NR == 1 { print; next }
     !done && /^ \*\/$/ {
	print "/*"
	print " * The out-of-tree relayfs bridges kernel versions here; in tree"
	print " * each wrapper has the one side of this kernel."
	print " */"
	done = 1; next }
     !done { next }
     { print }' "$g/fs/relayfs/compat.h" >"$g/compat.h.new"
mv "$g/compat.h.new" "$g/fs/relayfs/compat.h"
into "$top/include/relayfs/relayfs_objlog.h" fs/relayfs/objlog.h
into "$top/include/relayfs/relayfs.h" include/linux/relayfs.h
into "$top/include/relayfs/relay_app.h" include/linux/relayfs_app.h
cat >"$g/fs/relayfs/Kconfig" <<'EOF'
# SPDX-License-Identifier: GPL-2.0-only
config RELAYFS_FS
	tristate "Relayfs file system support"
	help
	  Relayfs is a filesystem of per-CPU buffers through which kernel
	  code (tracers, loggers, drivers) hands large amounts of data to
	  user space quickly.  Writers in any context, NMI included, never
	  block and never lose a record without counting it; readers use
	  read(), poll(), splice or mmap.  Mounted at /sys/kernel/relayfs.

	  To compile this as a module, choose M here: the module will be
	  called relayfs.

	  If unsure, say N.
EOF
{
	echo '# SPDX-License-Identifier: GPL-2.0-only'
	echo '#'
	echo '# Makefile for the relayfs filesystem.'
	echo '#'
	echo
	echo 'obj-$(CONFIG_RELAYFS_FS) += relayfs.o'
	echo
	printf 'relayfs-y :='
	for o in $objs; do printf ' %s' "$o"; done | fold -s -w 60 |
		sed '2,$s/^/\t     /; s/ $/ \\/'
	echo
	# The write path in one piece (NOKPROBE_SYMBOL covers it whole).
	grep -B3 '^CFLAGS_write.o' "$top/kernel/Kbuild"
} >"$g/fs/relayfs/Makefile"
maintainers fs/relayfs/ include/linux/relayfs.h \
	include/linux/relayfs_app.h include/uapi/linux/relayfs.h
G add -A
G commit -q -s -F - <<'EOF'
relayfs: a filesystem of per-CPU relay buffers

Per-CPU buffers of sub-buffers in a filesystem of their own, as the
relayfs of 2.6.11-mm2 had them, for getting large amounts of data out
of the kernel: a lock-free write path callable from any context, NMI
included, that never tears a record and counts every one it loses;
overwrite (flight recorder) and no-overwrite modes; read(), poll(),
splice and an mmap reader that acknowledges and snapshots sub-buffers
in one ioctl; CPU hotplug; and relay-apps, whose channel lives as long
as the collector that started it through the app's control file.

The kernel API (include/linux/relayfs.h) follows kernel/relay.c's, so a
relay client converts by renaming; include/linux/relayfs_app.h is the
one-call logging API of relay-apps.
EOF

sed -i 's|^source "fs/configfs/Kconfig"$|&\nsource "fs/relayfs/Kconfig"|' \
	"$g/fs/Kconfig"
sed -i 's|^obj-$(CONFIG_TRACING)\t\t+= tracefs/$|&\nobj-$(CONFIG_RELAYFS_FS)\t+= relayfs/|' \
	"$g/fs/Makefile"
for f in fs/Kconfig fs/Makefile; do
	if G diff --quiet -- "$f"; then
		echo "intree: could not place the $f hunk" >&2
		exit 1
	fi
done
G add -A
G commit -q -s -F - <<'EOF'
relayfs: add RELAYFS_FS to the build

A tristate under the pseudo filesystems: relayfs built into the kernel
or as relayfs.ko.
EOF

mkdir -p "$out"
rm -f "$out"/*.patch
G format-patch -q -o "$(cd "$out" && pwd)" HEAD~3
ls "$out"/*.patch

#!/bin/sh
# The files the benchmark's guest needs to run LTTng beside relayfs
# (bench/run.sh passes ROOT as tests/vm/run.sh's VM_ROOT_EXTRA):
# lttng, lttng-sessiond and lttng-consumerd from Debian's lttng-tools
# with their shared libraries (ldd), and the modules bench/lttng/build.sh
# built for KERNEL under /lib/modules/KERNEL/extra with their depmod
# index, so that lttng-sessiond loads them as on an installed system.
#
#   bench/lttng/root.sh KERNEL MODDIR ROOT
set -eu
kernel=$1
mods=$2
root=$3
consumerd=/usr/lib/x86_64-linux-gnu/lttng/libexec/lttng-consumerd
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/lib64" "$root/lib/x86_64-linux-gnu" \
	"$root$(dirname $consumerd)" "$root/lib/modules/$kernel/extra"
cp /usr/bin/lttng /usr/bin/lttng-sessiond "$root/usr/bin/"
cp $consumerd "$root$consumerd"
# The session configuration schema: lttng-sessiond will not start without.
mkdir -p "$root/usr/share/xml"
cp -a /usr/share/xml/lttng "$root/usr/share/xml/"
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
for b in /usr/bin/lttng /usr/bin/lttng-sessiond $consumerd; do
	ldd "$b" | awk '$3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
	cp -L "$lib" "$root/lib/x86_64-linux-gnu/"
done
cp "$mods"/*.ko "$root/lib/modules/$kernel/extra/"
# Built with debug information (45 MB for the tracer): not needed here.
strip --strip-debug "$root/lib/modules/$kernel/extra/"*.ko
cp "/lib/modules/$kernel/modules.builtin" \
	"/lib/modules/$kernel/modules.builtin.modinfo" \
	"$root/lib/modules/$kernel/" 2>/dev/null || :
depmod -b "$root" "$kernel" 2>/dev/null

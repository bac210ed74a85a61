#!/bin/sh
# The install proof (docs/install.md, issue 15), run by scripts/check.sh:
#
#  1. make install DESTDIR=... lays exactly the tree docs/install.md lists
#     over a /usr/local-like layout, keeps an edited /etc/default/relayfs,
#     and make uninstall removes the rest, and only it;
#  2. make deb builds the packages, lintian finds no error;
#  3. a clean Debian 12 root (debootstrap; cached under ~/.cache/relayfs/
#     chroot, keyed by its inputs, with systemd and the headers of the
#     Debian kernels given, nothing else) gets a DKMS signing key
#     (/var/lib/dkms/mok.key) and the packages: systemd-analyze verifies
#     the units (and the collector's non-root drop-in of docs/install.md);
#     DKMS must build and sign
#     relayfs.ko and the example modules for every kernel; a client
#     module (examples/sample) is built there out of tree against the
#     installed headers and Module.symvers only (examples/out-of-tree);
#  4. each kernel boots once in qemu with the modules DKMS built, the
#     installed tools and librelay.so.1 and the installed unit files, and
#     runs tests/vm/install/ (install-smoke, lockdown);
#  5. the packages are purged, and nothing of them is left: dpkg -L,
#     dkms status, /lib/modules/*/updates, and the root's file list is
#     the one it had before the install.
#
#   scripts/check-install.sh KERNEL...
#
# Prints "ok"/"not ok" lines and "P F S" last; logs in build/install/.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=$top/build/install
root=$out/root
cache=${RELAYFS_CACHE:-${HOME:-/root}/.cache/relayfs}/chroot
pass=0 fail=0 skip=0
PKGS="relayfs-dkms librelay1 librelay-dev relayfs-tools"
MODS="relayfs klog klog_demo tprintk relay_sample"
ARCH=$(uname -m)

result() {	# result STATUS NAME
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok - install: $2"
	else
		fail=$((fail + 1))
		echo "not ok - install: $2"
	fi
	return "$1"
}
started=$(date +%s)
finish() {
	echo "# install proof: $(($(date +%s) - started)) s"
	echo "$pass $fail $skip"
	[ "$fail" -eq 0 ]
	exit $?
}

# ---- the chroot's mounts: undone whatever happens ----
umount_root() {
	grep -o " $root/[^ ]*" /proc/mounts | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}
mount_root() {
	mount -t proc proc "$root/proc" && mount --bind /dev "$root/dev"
}
trap umount_root EXIT
trap 'exit 1' INT TERM HUP
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive HOME=/root "$@"; }

kernels=""
for k in "$@"; do
	[ -r "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/build" ] &&
		kernels="$kernels $k"
done
[ -n "$kernels" ] || { result 1 "a Debian kernel to install for"; finish; }
umount_root
# Never remove a tree with the host's /dev or /proc still mounted in it.
if grep -q " $root/" /proc/mounts; then
	result 1 "unmount the last run's root ($root)"
	finish
fi
rm -rf "$out"
mkdir -p "$out" "$cache"

# ---- 1. make install DESTDIR / make uninstall ----
# The documented tree: the block after "<!-- install-tree -->" in
# docs/install.md, one path per line, <release> for each kernel, <page>
# for each man page.
expected_tree() {
	awk '/<!-- install-tree -->/ { on = 1; next }
	     on && /^```/ { if (++fence == 2) exit; next }
	     on && fence == 1' docs/install.md | while read -r p; do
		case $p in
		*'<release>'*)
			for k in $kernels; do
				echo "$p" | sed "s|<release>|$k|; s|<arch>|$ARCH|"
			done ;;
		*'<page>')	# every docs/man page, however many
			for m in docs/man/*.[1-8]; do
				echo "${p%/man<section>/<page>}/man${m##*.}/${m##*/}"
			done ;;
		*) echo "$p" ;;
		esac
	done | sort
}
dest=$out/destdir
kdirs=$(for k in $kernels; do printf '/lib/modules/%s/build ' "$k"; done)
# DESTDIR starts as a Debian system's /usr/local and /etc: uninstall must
# leave these as they were (and take only relayfs's own directories).
layout="./etc ./etc/default ./usr ./usr/local ./usr/local/bin
./usr/local/include ./usr/local/lib ./usr/local/man ./usr/local/share
./usr/local/share/man"
mkdir -p "$dest/etc/default" "$dest/usr/local/bin" "$dest/usr/local/include" \
	"$dest/usr/local/lib" "$dest/usr/local/share/man"
ln -s share/man "$dest/usr/local/man"
make -s install DESTDIR="$dest" KDIRS="$kdirs" >"$out/make-install.log" 2>&1
result $? "make install DESTDIR=... (log build/install/make-install.log)"
(cd "$dest" && find . -type f -o -type l) | grep -vx ./usr/local/man |
	sed 's|^\.||' | sort >"$out/tree.installed"
expected_tree >"$out/tree.documented"
diff -u "$out/tree.documented" "$out/tree.installed" >"$out/tree.diff"
result $? "make install lays the tree docs/install.md lists" ||
	cat "$out/tree.diff"
# An edited /etc/default/relayfs is the admin's: a second install keeps
# it, uninstall leaves it.
conf=$dest/etc/default/relayfs
echo 'RELAY_COLLECT_OPTS="-q -s 1M"' >>"$conf"
make -s install DESTDIR="$dest" KDIRS="$kdirs" >>"$out/make-install.log" 2>&1
grep -q '^RELAY_COLLECT_OPTS="-q -s 1M"$' "$conf"
result $? "make install again keeps an edited /etc/default/relayfs"
make -s uninstall DESTDIR="$dest" KDIRS="$kdirs" >>"$out/make-install.log" 2>&1
grep -q '^RELAY_COLLECT_OPTS="-q -s 1M"$' "$conf" && rm "$conf"
result $? "make uninstall leaves the edited /etc/default/relayfs"
# Left: the layout it started from, and of relayfs's only the shared
# directories install made (lib/pkgconfig, share/man/man1, ...), empty.
left=$( (cd "$dest" && find . ! -type d; cd "$dest" && find . -type d |
	grep -iE 'relay') | grep -vx ./usr/local/man)
missing=$(for d in $layout; do
	[ -d "$dest/$d" ] || echo "$d"
done; [ "$(readlink "$dest/usr/local/man")" = share/man ] || echo ./usr/local/man)
[ -z "$left$missing" ]
result $? "make uninstall removes it all and only it${left:+: left:$(echo $left)}${missing:+: removed:$(echo $missing)}"

# ---- 2. the packages ----
make -s deb >"$out/deb.log" 2>&1
result $? "make deb: ${PKGS}, lintian no error (build/deb/lintian.txt)" || {
	cat "$out/deb.log"
	finish
}

# The packages carry the tree's one version.
[ "$(dpkg-parsechangelog -S Version -l debian/changelog)" = "$(cat VERSION)" ]
result $? "debian/changelog's version is VERSION's ($(cat VERSION))"

# ---- 3. a clean Debian root ----
# Its inputs: the host's Debian sources (the same mirror and suites, so
# the same kernel headers), the headers' exact versions, this script's
# way of making it.
hdrs=""
for k in $kernels; do
	p=$(dpkg -S "/lib/modules/$k/build" | cut -d: -f1)
	hdrs="$hdrs $p=$(dpkg-query -W -f='${Version}' "$p")"
done
# What a Debian 12 user has before installing relayfs: systemd (the
# init a minbase root lacks) and the headers of the running kernels.
# dkms, pkgconf, kmod and the compiler come from the packages' Depends.
DEPS="systemd$hdrs"
srcfiles=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	 /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] || continue
	# Only Debian's own archives: others' keys are not in the root.
	if ! grep -E '^(deb |URIs:)' "$f" | grep -vqE '/debian(-security)?/?( |$)'
	then
		srcfiles="$srcfiles $f"
	fi
done
mirror=$(cat $srcfiles | grep -oE 'https?://[^ ]+/debian/?( |$)' |
	head -n 1 | tr -d ' ')
[ -n "$mirror" ] || { result 1 "a Debian mirror in /etc/apt/sources*"; finish; }
base_key=$(printf '%s\n' "bookworm minbase $mirror" \
	"$(dpkg-query -W -f='${Version}' debootstrap)" | sha256sum | cut -c1-16)
# make_root's own steps are part of the key: its text, from this file.
deps_key=$(printf '%s\n' "$base_key" "$DEPS" "$(cat $srcfiles)" \
	"$(sed -n '/^make_root() {$/,/^}$/p' "$0")" | sha256sum | cut -c1-16)
base_tar=$cache/base-$base_key.tar
deps_tar=$cache/deps-$deps_key.tar

make_root() {
	rm -rf "$root"
	if [ -r "$deps_tar" ]; then
		mkdir -p "$root" && tar -xf "$deps_tar" -C "$root"
		return
	fi
	if [ ! -r "$base_tar" ]; then
		rm -f "$cache"/base-*.tar
		debootstrap --variant=minbase bookworm "$root" "$mirror" ||
			return 1
		tmp=$(mktemp "$cache/base.XXXXXX") &&
		tar -cf "$tmp" -C "$root" . && mv "$tmp" "$base_tar" ||
			return 1
	else
		mkdir -p "$root" && tar -xf "$base_tar" -C "$root" || return 1
	fi
	rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*
	cp $srcfiles "$root/etc/apt/sources.list.d/" || return 1
	# No service starts inside the root.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	mount_root || return 1
	# shellcheck disable=SC2086
	in_root apt-get update -qq &&
	in_root apt-get install -y -qq --no-install-recommends $DEPS &&
	in_root apt-get clean || return 1
	umount_root
	rm -f "$cache"/deps-*.tar
	tmp=$(mktemp "$cache/deps.XXXXXX") &&
	tar -cf "$tmp" -C "$root" . && mv "$tmp" "$deps_tar"
}
t0=$(date +%s)
# One run at a time makes or replaces the cached tarballs (another
# worktree's check may share the cache).
(flock 9 && make_root) 9>"$cache/.lock" >"$out/root.log" 2>&1
result $? "a clean Debian 12 root with systemd and the headers of$kernels ($(($(date +%s) - t0)) s; build/install/root.log)" || {
	tail -n 30 "$out/root.log"
	finish
}
mount_root || { result 1 "mount /proc and /dev in the root"; finish; }

# What a root holds, but for what installing and purging may change
# beside the packages' own files: dpkg's and apt's state, logs, caches,
# the system group the package adds (kept on purge, as Debian does), and
# the kernels' module indexes, which dkms's depmod rebuilds.
snapshot() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o \
		-path ./tmp -o -path ./var/lib/dpkg -o -path ./var/lib/apt -o \
		-path ./var/cache -o -path ./var/log -o -path ./run \) -prune \
		-o -print) | grep -vE '^\./etc/(group|gshadow|passwd|shadow)-?$' |
		grep -vE '^\./usr/lib/modules/[^/]+/modules\.[a-z.]+$' | sort
}

# The signing key Debian's dkms signs with (docs/install.md: Secure Boot),
# made by the host's openssl: the root has only what the packages bring.
mkdir -p "$root/var/lib/dkms" && openssl req -new -x509 -nodes \
	-days 36500 -subj "/CN=relayfs test MOK/" -newkey rsa:2048 \
	-keyout "$root/var/lib/dkms/mok.key" -outform DER \
	-out "$root/var/lib/dkms/mok.pub" >"$out/mok.log" 2>&1
result $? "a MOK signing key in /var/lib/dkms"
snapshot >"$out/files.before"
pkglist() { in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' |
	awk '$1 == "ii" { print $2 }' | sort; }
pkglist >"$out/pkgs.before"

mkdir -p "$root/tmp/debs"
for p in $PKGS; do
	cp build/deb/"${p}"_*.deb "$root/tmp/debs/"
done
t0=$(date +%s)
# The cached root's package lists may be older than the archive (404s):
# updated first, as a user's apt-get update would.
in_root sh -c 'apt-get update -qq &&
	apt-get install -y --no-install-recommends /tmp/debs/*.deb' \
	>"$out/apt-install.log" 2>&1
result $? "apt-get install the packages ($(($(date +%s) - t0)) s; build/install/apt-install.log)" ||
	tail -n 40 "$out/apt-install.log"

# The units as systemd reads them (a unit file's errors, a missing
# binary); the mount unit enabled by the package.
in_root systemd-analyze verify --man=no sys-kernel-relayfs.mount \
	relay-collect@klog.service >"$out/units.log" 2>&1 &&
	! grep -q . "$out/units.log" &&
	[ -L "$root/etc/systemd/system/sysinit.target.wants/sys-kernel-relayfs.mount" ]
result $? "systemd-analyze verify: the units, the mount enabled" ||
	cat "$out/units.log"
# The collector as a member of the relayfs group, the drop-in of
# docs/install.md as `systemctl edit` writes it (removed again).
d=$root/etc/systemd/system/relay-collect@.service.d
mkdir -p "$d"
printf '[Service]\nUser=alice\nGroup=relayfs\n' >"$d/override.conf"
in_root systemd-analyze verify --man=no relay-collect@klog.service \
	>"$out/units-member.log" 2>&1 && ! grep -q . "$out/units-member.log"
st=$?
rm -rf "$d"
result $st "systemd-analyze verify: relay-collect@ with User=, Group=relayfs" ||
	cat "$out/units-member.log"

symvers=$(in_root pkg-config --variable=symversdir relayfs-kmod)
for k in $kernels; do
	in_root dkms status -k "$k" relayfs >"$out/dkms-$k.txt" 2>&1
	grep -q "^relayfs/$(cat VERSION), $k, $ARCH: installed" "$out/dkms-$k.txt"
	result $? "dkms built and installed relayfs for $k" ||
		cat "$out/dkms-$k.txt"
	st=0
	for m in $MODS; do
		# Compressed as the kernel's own modules are (6.12: xz).
		f=$(cd "$root" && ls lib/modules/"$k"/updates/dkms/"$m".ko* \
			2>/dev/null)
		[ -n "$f" ] || { echo "# $k: no $m.ko"; st=1; continue; }
		signer=$(in_root modinfo -F signer "/$f" 2>&1)
		[ "$signer" = "relayfs test MOK" ] ||
			{ echo "# $f: signer '$signer'"; st=1; }
	done
	result $st "$k: $MODS in updates/dkms, signed with mok.key"
	[ -n "$symvers" ] &&
		grep -q 'relayfs_app_register' "$root$symvers/$k/$ARCH/Module.symvers"
	result $? "$k: Module.symvers at \$(pkg-config --variable=symversdir relayfs-kmod)/$k/$ARCH"

	# The client module: the sample's source and the out-of-tree
	# Makefile, nothing else of the tree.
	c=/tmp/client-$k
	mkdir -p "$root$c"
	cp examples/out-of-tree/Makefile examples/sample/relay_sample.c "$root$c/"
	in_root make -C "$c" KVER="$k" >"$out/client-$k.log" 2>&1 &&
		[ -f "$root$c/relay_sample.ko" ] &&
		! grep -Ei 'warning|error' "$out/client-$k.log"
	result $? "$k: a client module built against the installed headers and Module.symvers only" ||
		cat "$out/client-$k.log"
done

# ---- 4. boot each kernel with what was installed ----
for k in $kernels; do
	x=$out/vm-root-$k
	rm -rf "$x"
	mkdir -p "$x/lib/modules/$k" "$x/lib/relayfs-client" "$x/etc/default" \
		"$x/usr/lib/modules-load.d" "$x/lib/systemd/system" \
		"$x/etc/systemd/system"
	cp -a "$root/lib/modules/$k/updates" "$root/lib/modules/$k/modules.dep" \
		"$x/lib/modules/$k/" &&
	cp "$root/tmp/client-$k/relay_sample.ko" "$x/lib/relayfs-client/" &&
	cp "$root/usr/lib/modules-load.d/relayfs.conf" "$x/usr/lib/modules-load.d/" &&
	cp "$root/lib/systemd/system/sys-kernel-relayfs.mount" \
	   "$root/lib/systemd/system/relay-collect@.service" \
		"$x/lib/systemd/system/" &&
	cp -a "$root/etc/systemd/system/sys-kernel-relayfs.mount.d" \
		"$x/etc/systemd/system/" &&
	cp "$root/etc/default/relayfs" "$x/etc/default/" &&
	{ printf 'root:x:0:\nnogroup:x:65534:\n'
	  grep '^relayfs:' "$root/etc/group"; } >"$x/etc/group" &&
	tests/vm/stage-dynamic.sh "$root" "$x" /usr/bin/relay-collect \
		/usr/bin/relay-merge
	result $? "$k: the VM's root from the installed files" || continue
	VM_ROOT_EXTRA=$x VM_DIR=$top/build/vm/install-$k \
	VM_SUITES_DIR=$top/tests/vm/install \
		tests/vm/run.sh "$k" install-smoke,lockdown >"$out/vm-$k.out" 2>&1
	sed '$d' "$out/vm-$k.out"
	counts=$(tail -n 1 "$out/vm-$k.out")
	if echo "$counts" | grep -Eq '^[0-9]+ [0-9]+ [0-9]+$'; then
		set -- $counts
		pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
	else
		result 1 "$k: the installed-module boot (no counts)"
	fi
done

# ---- 5. purge: nothing left ----
# shellcheck disable=SC2086
in_root apt-get purge -y --autoremove $PKGS >"$out/apt-purge.log" 2>&1
result $? "apt-get purge the packages" || tail -n 20 "$out/apt-purge.log"
# What their Depends brought that autoremove keeps (apt keeps what another
# package suggests: dpkg-dev, make, perl) goes too, for the file list.
brought=$(pkglist | comm -13 "$out/pkgs.before" -)
echo "# brought by the packages' dependencies, kept by autoremove:" $brought
# shellcheck disable=SC2086
[ -z "$brought" ] || in_root apt-get purge -y $brought \
	>>"$out/apt-purge.log" 2>&1
st=0
for p in $PKGS; do
	if in_root dpkg -L "$p" >/dev/null 2>&1; then
		echo "# dpkg -L $p: still known"
		st=1
	fi
done
result $st "dpkg -L knows none of$(echo " $PKGS")"
in_root dkms status >"$out/dkms-purged.txt" 2>&1
! grep -q relayfs "$out/dkms-purged.txt"
result $? "dkms status has no relayfs" || cat "$out/dkms-purged.txt"
left=$(find "$root"/lib/modules/*/updates -mindepth 1 2>/dev/null)
[ -z "$left" ]
result $? "/lib/modules/*/updates is empty${left:+: $(echo $left)}"
snapshot >"$out/files.after"
diff -u "$out/files.before" "$out/files.after" >"$out/files.diff"
result $? "the root's files are those it had before the install" ||
	head -n 40 "$out/files.diff"

umount_root
[ "$fail" -ne 0 ] || rm -rf "$root"
finish

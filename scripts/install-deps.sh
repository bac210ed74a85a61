#!/bin/sh
# Install what building and testing relayfs needs on Debian 12, skipping
# packages that are already there.  Run as root (CI and the dev machines are).
#
#   qemu-system-x86          boots the test kernels (TCG, no KVM needed)
#   busybox-static, cpio     the guest's userland and its initramfs
#   linux-image-amd64        Debian's 6.1 kernel to boot ...
#   linux-headers-amd64      ... and its headers to build against
#   linux-image-6.12-amd64   Debian's 6.12 kernel (bookworm-security/backports)
#   linux-headers-6.12-amd64
#   linux-source-6.12        checkpatch.pl (extracted once, see checkpatch.sh)
#                            and the debug kernels (scripts/build-kernel.sh)
#   linux-source-6.1         the 6.1 debug kernel of make check-more
#   bc, bison, flex,         what building those kernels needs
#   libelf-dev, libssl-dev
#   sparse                   the C=2 gate
#   valgrind, libc6-dbg      leak and memory checks of librelay and relay-collect
#   libzstd-dev, zstd        librelay's compression (libzstd.a for the static
#                            in-VM programs); zstd -dc checks compressed runs
#   gcc, make, libc6-dev     user space; gcc-multilib for the -m32 ABI test
#   xz-utils                 to unpack linux-source
#   debhelper, dh-dkms,      the Debian packages (make deb) and their
#   fakeroot, lintian        lint
#   dkms                     dh-dkms's own dependency, named for clarity
#   debootstrap              the clean Debian root the packages are
#                            installed into (scripts/check-install.sh)
#   pkgconf                  pkg-config, for the installed .pc files
#   openssl                  the install proof's DKMS signing key, and
#                            the fleet test's TLS certificates
#   libnats-dev, nats-server fleet collection through NATS JetStream
#                            (relay-collect --sink, relay-gather; the
#                            fleet test's 3-node cluster)
#   unifdef, python3-ply     the in-tree series (scripts/intree.sh) and
#                            checkpatch.pl's SPDX check on it
set -eu

PKGS="qemu-system-x86 busybox-static cpio
linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64
linux-source-6.12 linux-source-6.1 sparse gcc make libc6-dev gcc-multilib xz-utils valgrind libc6-dbg
libzstd-dev zstd
bc bison flex libelf-dev libssl-dev
debhelper dh-dkms dkms fakeroot lintian debootstrap pkgconf openssl
libnats-dev nats-server unifdef python3-ply"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

echo "install-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"

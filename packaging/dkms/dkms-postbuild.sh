#!/bin/sh
# DKMS POST_BUILD: keep this kernel's Module.symvers in the DKMS tree
# (DIR = <dkms_tree>/relayfs/<version>/<kernel>/<arch>), where client
# modules find it (relayfs-kmod.pc) and `dkms remove` deletes it.
set -eu
mkdir -p "$1"
cp Module.symvers "$1/Module.symvers"

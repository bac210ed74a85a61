#!/bin/sh
# The in-tree form (scripts/intree.sh) against Debian's linux-source-6.12:
# the series applies in order with no offset or fuzz, creates no file the
# tree already has, and checkpatch.pl run from that tree (with its
# MAINTAINERS and spdxcheck) finds nothing in it.  Prints KTAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/intree
src=$("$top/scripts/kernel-source.sh") || exit 1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

echo "KTAP version 1"
echo "1..3"
n=0
t() {	# t STATUS NAME [DIAG FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		[ -n "${3:-}" ] && sed 's/^/# /' "$3"
		echo "not ok $n $2"
	fi
}

"$top/scripts/intree.sh" "$out" "$src" >"$scratch/gen.log" 2>&1
t $? "intree.sh writes the series" "$scratch/gen.log"
set -- "$out"/*.patch

# Apply in order to copies of the files the series changes; every file
# it adds must be new to the tree.
rc=0
: >"$scratch/apply.log"
for f in $(cat "$@" | sed -n 's|^+++ b/||p' | sort -u); do
	if grep -q "^--- a/$f$" "$@"; then
		mkdir -p "$scratch/tree/$(dirname "$f")"
		cp "$src/$f" "$scratch/tree/$f"
	elif [ -e "$src/$f" ]; then
		echo "$f: added by the series, already in the tree" \
			>>"$scratch/apply.log"
		rc=1
	fi
done
for p in "$@"; do
	(cd "$scratch/tree" && git apply --verbose "$p") \
		>>"$scratch/apply.log" 2>&1 || rc=1
done
# git apply takes offsets silently; "cleanly" means none.
grep -i "offset\|fuzz" "$scratch/apply.log" && rc=1
t $rc "the series applies to $(basename "$src") in order" \
	"$scratch/apply.log"

(cd "$src" && ./scripts/checkpatch.pl --quiet --show-types "$@") \
	>"$scratch/cp.log" 2>&1
rc=$?
[ -s "$scratch/cp.log" ] && rc=1
t $rc "checkpatch.pl on the series: clean" "$scratch/cp.log"

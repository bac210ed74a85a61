#!/bin/sh
# librelay.so.1 exports exactly the functions of lib/librelay.h, each
# versioned LIBRELAY_1 or, added since, LIBRELAY_1.1 (lib/librelay.map), and debian/librelay1.symbols
# lists the same.  Run from the source tree, after make lib.
so=build/lib/librelay.so.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
check() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		fails=$((fails + 1))
	fi
}

echo "KTAP version 1"
echo "1..5"
grep -o 'relay_[a-z_0-9]*(' lib/librelay.h | tr -d '(' | sort -u \
	>"$tmp/header"
nm -D --defined-only "$so" >"$tmp/nm"
awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' "$tmp/nm" | sort \
	>"$tmp/exported"
diff -u "$tmp/header" "$tmp/exported" | sed 's/^/# /'
check "the exported functions are the header's" \
	"$(cmp -s "$tmp/header" "$tmp/exported"; echo $?)"
# nothing else: no data, no internal helper; the version node itself
other=$(awk '$2 != "T" && $3 != "LIBRELAY_1" &&
	$3 != "LIBRELAY_1@@LIBRELAY_1" && $3 != "LIBRELAY_1.1" &&
	$3 != "LIBRELAY_1.1@@LIBRELAY_1.1"' "$tmp/nm")
[ -z "$other" ] || echo "# $other"
check "no other symbol exported" "$([ -z "$other" ]; echo $?)"
unversioned=$(awk '$2 == "T" && $3 !~ /@@LIBRELAY_1(\.1)?$/ { print $3 }' \
	"$tmp/nm")
[ -z "$unversioned" ] || echo "# $unversioned"
check "every export versioned LIBRELAY_1 or LIBRELAY_1.1" \
	"$([ -s "$tmp/exported" ] && [ -z "$unversioned" ]; echo $?)"
check "soname librelay.so.1" \
	"$(objdump -p "$so" | grep -q 'SONAME *librelay\.so\.1$'; echo $?)"
sed -n 's/^ \(relay_[a-z_0-9]*\)@LIBRELAY_1\(\.1\)\{0,1\} .*/\1/p' \
	debian/librelay1.symbols | sort >"$tmp/symbols"
diff -u "$tmp/header" "$tmp/symbols" | sed 's/^/# /'
check "debian/librelay1.symbols lists them" \
	"$(cmp -s "$tmp/header" "$tmp/symbols"; echo $?)"
[ "$fails" -eq 0 ]

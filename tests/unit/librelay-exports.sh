#!/bin/sh
# librelay.so.1 exports exactly the functions of lib/librelay.h, each
# versioned LIBRELAY_1 or, added since, LIBRELAY_1.1 (lib/librelay.map), and debian/librelay1.symbols
# lists the same; each function in the node and with the minimum
# version of the release that added it: the 1.0 ones below (LIBRELAY_1
# of librelay 1.0, commit d5ba7b0) in LIBRELAY_1 at 1.0, every other in
# LIBRELAY_1.1 at 1.1.  Run from the source tree, after make lib.
so=build/lib/librelay.so.1
# librelay 1.0's exports: never to change (a 1.0 program needs them so).
v1_0='relay_advise
relay_app_list
relay_app_run
relay_app_start
relay_app_stop
relay_clock_anchor
relay_clock_convert
relay_clock_name
relay_clock_parse
relay_parse_duration
relay_parse_size
relay_reader_close
relay_reader_fd
relay_reader_info
relay_reader_lost
relay_reader_mapped
relay_reader_next
relay_reader_open
relay_reader_stats
relay_run_abort
relay_run_collect
relay_run_create
relay_run_dropped
relay_run_free
relay_run_overwritten
relay_run_stop
relay_sink_begin
relay_sink_end
relay_sink_error
relay_sink_fd
relay_sink_files
relay_sink_frame
relay_sink_free
relay_sink_new
relay_sink_totals
relay_sink_zstd
relay_stream_close
relay_stream_counters
relay_stream_error
relay_stream_fdopen
relay_stream_header
relay_stream_next
relay_stream_offset
relay_stream_open
relay_stream_trailer
relay_version'
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
echo "1..7"
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
# Each function's node, and its minimum version in the symbols file.
echo "$v1_0" | sort >"$tmp/v1_0"
while read -r f; do
	if grep -qx "$f" "$tmp/v1_0"; then
		echo "$f LIBRELAY_1 1.0"
	else
		echo "$f LIBRELAY_1.1 1.1"
	fi
done <"$tmp/header" >"$tmp/want"
awk '$2 == "T" { split($3, a, "@@"); print a[1], a[2] }' "$tmp/nm" | sort \
	>"$tmp/nodes"
cut -d' ' -f1,2 "$tmp/want" >"$tmp/want-nodes"
diff -u "$tmp/want-nodes" "$tmp/nodes" | sed 's/^/# /'
check "the 1.0 functions in LIBRELAY_1, the others in LIBRELAY_1.1" \
	"$(cmp -s "$tmp/want-nodes" "$tmp/nodes"; echo $?)"
sed -n 's/^ \(relay_[a-z_0-9]*\)@\(LIBRELAY_1[.1]*\) \([0-9.]*\)$/\1 \2 \3/p' \
	debian/librelay1.symbols | sort >"$tmp/minver"
diff -u "$tmp/want" "$tmp/minver" | sed 's/^/# /'
check "debian/librelay1.symbols: each one's node and minimum version" \
	"$(cmp -s "$tmp/want" "$tmp/minver"; echo $?)"
[ "$fails" -eq 0 ]

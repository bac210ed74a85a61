#!/bin/bash
# Throughput of fleet collection (docs/fleet.md "Measured here"): frames
# of 64 records of 1 KiB through the 3-node R3 cluster on 127.0.0.1 into
# relay-gather's files, plain and zstd, beside librelay's files sink.
# Not in make check (a minute of a busy machine).
#
#   tests/fleet/bench.sh [BUILD] [FRAMES-PER-CPU]
set -u
B=${1:-build}
N=${2:-2000}
PUB=$B/user/fleet/fleet-pub
GATHER=$B/bin/relay-gather
T=$(mktemp -d /tmp/relay-fleet-bench.XXXXXX)
AUTH="--user relay --password s3cret"
declare -A PID PORT CPORT
trap 'for k in "${!PID[@]}"; do kill -9 "${PID[$k]}" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/cluster.sh"
cluster_up || exit 1
FR="--cpus 2 --frames $N --records 64 --record-size 1024 --n-subbufs 4096 --rate 1e9"
MB=$((2 * N * 64 / 1024))	# MiB of payload

line() {	# line WHAT SECONDS
	awk -v w="$1" -v s="$2" -v n=$((2 * N)) -v mb=$MB \
		'BEGIN { printf "| %s | %.0f | %.0f |\n", w, n / s, mb / s }'
}

echo "| $((2 * N)) frames of 64 KiB ($MB MiB) | frames/s | MiB/s |"
echo "|---|---|---|"
for z in 0 3; do
	zo=""; [ $z -gt 0 ] && zo="--compress $z"
	$PUB --sink "file:$T/files$z" --host bench $FR $zo >"$T/f$z.out" || exit 1
	line "local files$([ $z -gt 0 ] && echo ", zstd -3")" \
		"$(grep -o 'seconds [0-9.]*' "$T/f$z.out" | cut -d' ' -f2)"
	t0=$(date +%s.%N)
	$GATHER --from "$URL" $AUTH -o "$T/central$z" --durable "bench$z" \
		--subject "relayfs.bench$z.>" --idle 2s -q &
	g=$!
	$PUB --sink "$URL" $AUTH --host "bench$z" --spool "$T/spool" $FR $zo \
		>"$T/n$z.out" || exit 1
	line "to the R3 cluster (acked)$([ $z -gt 0 ] && echo ", zstd -3")" \
		"$(grep -o 'seconds [0-9.]*' "$T/n$z.out" | cut -d' ' -f2)"
	wait $g
	t1=$(date +%s.%N)
	line "through the cluster into relay-gather's files$([ $z -gt 0 ] && echo ", zstd -3")" \
		"$(echo "$t1 - $t0 - 2" | bc)"
	grep -o '"spooled":[0-9]*' "$T/n$z.out" | sed 's/^/# /'
	ls -l "$T"/central$z/bench$z/fleetapp/ | tail -1 | sed 's/^/# /'
done

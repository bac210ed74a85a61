#!/bin/bash
# Fleet collection through NATS JetStream, on real servers (docs/fleet.md):
# a 3-node JetStream cluster of nats-server on 127.0.0.1 (free ports, data
# in a temp dir, every server killed at the end, even on failure), an R3
# stream, runs published by fleet-pub (the real NATS sink, at a kernel's
# pace) and gathered by relay-gather; fleet-check reads each central run
# record by record.  KTAP on stdout ("ok N - ..."), counted by check.sh.
#
#   tests/fleet/fleet.sh [BUILD]        (BUILD: build/, default)
set -u
B=${1:-build}
PUB=$B/user/fleet/fleet-pub
CHECK=$B/user/fleet/fleet-check
GATHER=$B/bin/relay-gather
COLLECT=$B/bin/relay-collect
T=$(mktemp -d /tmp/relay-fleet.XXXXXX)
AUTH="--user relay --password s3cret"
n=0 failed=0
declare -A PID PORT CPORT

cleanup() {
	for k in "${!PID[@]}"; do
		kill -9 "${PID[$k]}" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() {	# ok COND-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

. "$(dirname "$0")/cluster.sh"

start_gather() {	# start_gather NAME: the central consumer, in the background
	$GATHER --from "$URL" $AUTH -o "$T/central" --json --close-idle 3s \
		>"$T/gather-$1.out" 2>"$T/gather-$1.err" &
	PID[gather]=$!
}

stop_gather() {
	kill -TERM "${PID[gather]}" 2>/dev/null
	wait "${PID[gather]}" 2>/dev/null
	unset "PID[gather]"
}

# central HOST RECORDS DROPPED: wait up to 40 s for the run to be whole
# (in $CENTRAL, default $T/central)
central() {
	local f i out
	for i in $(seq 80); do
		f=$(ls "${CENTRAL:-$T/central}"/"$1"/fleetapp/fleetapp.*.relay \
			2>/dev/null | head -1)
		if [ -n "$f" ] && out=$($CHECK "$f" "$2" "$3"); then
			echo "# $1: $out"
			return 0
		fi
		sleep 0.5
	done
	echo "# $1: ${out:-no file}"
	return 1
}

pub() {	# pub HOST ARGS...: fleet-pub's output in $T/pub-HOST.out
	local h=$1
	shift
	$PUB --sink "$URL" $AUTH --host "$h" --spool "$T/spool-$h" "$@" \
		>"$T/pub-$h.out" 2>"$T/pub-$h.err"
}

field() {	# field FILE NAME: a number from fleet-pub's output
	grep -o "\"$2\":[0-9]*" "$1" | head -1 | cut -d: -f2
}

echo "KTAP version 1"
echo "1..22"
T0=$(date +%s)
# 1: the cluster elects a leader and takes an R3 stream
cluster_up
ok $? "3-node cluster on 127.0.0.1 up, stream RELAYFS created R3"
start_gather 1

# 2: every record exactly once
pub h-plain --cpus 2 --frames 300 --rate 300
r=$?
central h-plain 9600 0
ok $((r + $?)) "a run through the cluster: every record once, counters exact"

# 3: compressed frames
pub h-zstd --cpus 2 --frames 200 --rate 300 --compress 3
r=$?
central h-zstd 6400 0
ok $((r + $?)) "a compressed run: every record once"

# 4: one node killed mid-stream (the first the producer connects to)
pub h-kill --cpus 2 --frames 1200 --rate 300 &
p=$!
sleep 1.5
stop_node 1
wait $p
r=$?
central h-kill 38400 0
ok $((r + $?)) "one node killed mid-stream: nothing lost, nothing twice"
start_node 1

# 5: all three stopped for 10 s: spooled, replayed, nothing lost
sleep 2
pub h-outage --cpus 2 --frames 2000 --rate 100 --drain-timeout 60s \
	--ack-timeout 1s &
p=$!
sleep 4
outage 10
wait $p
r=$?
central h-outage 64000 0
r2=$?
sp=$(field "$T/pub-h-outage.out" spooled)
rp=$(field "$T/pub-h-outage.out" replayed)
echo "# spooled ${sp:-?} replayed ${rp:-?}"
ok $((r + r2)) "all three stopped for 10 s: nothing lost"
grep -q "run h-outage/.* quiet for .*closed" "$T/gather-1.err"
ok $((r2 + $?)) "the outage's run, quiet for --close-idle, closed by the consumer and resumed from its file"
[ "${sp:-0}" -gt 0 ] && [ "$sp" = "$rp" ]
ok $? "the outage's frames went to the spool and were all replayed"

# 6: the central consumer restarted mid-stream
pub h-restart --cpus 2 --frames 900 --rate 300 &
p=$!
sleep 1
kill -9 "${PID[gather]}"
wait "${PID[gather]}" 2>/dev/null
sleep 1
start_gather 2
wait $p
r=$?
central h-restart 28800 0
ok $((r + $?)) "the consumer killed and restarted mid-stream: nothing lost or twice"

# Two consumers sharing one durable (a queue of consumers), on a stream
# of their own: two hosts' runs published at once, each written whole
# by one of them, nothing twice.  Small: a message of a run the other
# instance holds goes back to the stream (docs/fleet.md), slow.
qpub() {
	$PUB --sink "$URL" $AUTH --host "$1" --spool "$T/spool-$1" \
		--stream RELAYQ --subject relayq --create-stream --replicas 3 \
		--cpus 2 --frames 40 --rate 50 >"$T/pub-$1.out" 2>&1
}
for g in 1 2; do
	$GATHER --from "$URL" $AUTH -o "$T/shared" --stream RELAYQ \
		--subject 'relayq.>' --create-stream --replicas 3 --durable shared \
		--batch 16 --idle 5s --json \
		>"$T/q$g.out" 2>&1 &
	PID[q$g]=$!
	# One at a time: two creating the R3 stream at once can time out
	# (seen on a loaded host).
	if [ "$g" = 1 ]; then sleep 2; fi
done
sleep 1
qpub q-a &
pa=$!
qpub q-b &
pb=$!
wait $pa
r=$?
wait $pb
r=$((r + $?))
wait "${PID[q1]}" "${PID[q2]}"
unset "PID[q1]" "PID[q2]"
sed 's/^/# /' "$T/q1.out" "$T/q2.out"
CENTRAL=$T/shared central q-a 1280 0
r=$((r + $?))
CENTRAL=$T/shared central q-b 1280 0
r=$((r + $?))
# both did work: each wrote, or one found a run locked by the other
b1=$(grep -o '"bytes":[0-9]*' "$T/q1.out" | cut -d: -f2)
b2=$(grep -o '"bytes":[0-9]*' "$T/q2.out" | cut -d: -f2)
k1=$(grep -o '"busy":[0-9]*' "$T/q1.out" | cut -d: -f2)
k2=$(grep -o '"busy":[0-9]*' "$T/q2.out" | cut -d: -f2)
{ [ "${b1:-0}" -gt 0 ] && [ "${b2:-0}" -gt 0 ]; } ||
	[ $(( ${k1:-0} + ${k2:-0} )) -gt 0 ]
ok $((r + $?)) "two consumers sharing a durable: each run whole and once, both instances at work (bytes ${b1:-?}/${b2:-?}, busy ${k1:-?}/${k2:-?})"

# 7: a spool too small: drops counted exactly, placed in time
pub h-small --cpus 2 --frames 600 --rate 100 --n-subbufs 4 \
	--spool-size 64k --ack-timeout 500ms --drain-timeout 60s &
p=$!
sleep 1.5
outage 3
wait $p
r=$?
d=$(grep -o 'dropped [0-9]*' "$T/pub-h-small.out" | cut -d' ' -f2)
echo "# the producer's kernel counted ${d:-?} records dropped"
central h-small 19200 "${d:-x}"
r2=$?
[ "${d:-0}" -gt 0 ]
ok $((r + r2 + $?)) "a spool too small: draining stopped, drops counted exactly and placed in time"

# A spool smaller than one sub-buffer's frame (80 KB here): refused at
# the start, not a producer hung once the spool could never take it
timeout 30 $PUB --sink "$URL" $AUTH --host h-tiny --spool "$T/spool-tiny" \
	--cpus 1 --frames 20 --rate 100 --records 80 --record-size 1024 \
	--spool-size 64k >"$T/pub-h-tiny.out" 2>"$T/pub-h-tiny.err"
r=$?
sed 's/^/# /' "$T/pub-h-tiny.err"
[ $r -eq 1 ] && grep -q "spool-size 65536 is smaller than one sub-buffer's frame" "$T/pub-h-tiny.err"
ok $? "--spool-size below one sub-buffer's frame: a clear error at the start"

# A spool left behind (nothing acknowledged, the run header message
# among its messages): read whole by fleet-check and relay-merge
$PUB --sink "spool:$T/spool-left" --host h-left --cpus 2 --frames 20 \
	--rate 1000 >/dev/null 2>&1
r=$?
f=$(ls "$T"/spool-left/*.relay 2>/dev/null | head -1)
$CHECK "${f:-none}" 640 0 | sed 's/^/# /'
r=$((r + PIPESTATUS[0]))
$B/bin/relay-merge "${f:-none}" >/dev/null 2>"$T/merge-left.err"
ok $((r + $?)) "a spool left behind: relay-merge and fleet-check read it, every record once"

# 8: relay-merge reads the central output across hosts on one timeline
$B/bin/relay-merge --clock=real "$T"/central/h-plain/fleetapp/*.relay \
	"$T"/central/h-zstd/fleetapp/*.relay >"$T/merged" 2>"$T/merge.err"
r=$?
[ $r -eq 0 ] && [ -s "$T/merged" ]
ok $? "relay-merge reads two hosts' central runs together"

# 9-12: bad input, each a clear error
$PUB --sink "$URL" --user relay --password wrong --host x >/dev/null \
	2>"$T/e1"
r=$?
cat "$T/e1" | sed 's/^/# /'
[ $r -eq 4 ] && grep -q "uthorization" "$T/e1"
ok $? "wrong credentials: exit 4, 'Authorization Violation'"

$COLLECT --sink "$URL" --subject 'bad subject' x >/dev/null 2>"$T/e2"
r=$?
sed 's/^/# /' "$T/e2"
[ $r -eq 2 ] && grep -q "bad subject" "$T/e2"
ok $? "a subject with junk: exit 2, 'bad subject'"

$PUB --sink "$URL" $AUTH --host x --create-stream --replicas 1 \
	>/dev/null 2>"$T/e3"
r=$?
sed 's/^/# /' "$T/e3"
[ $r -eq 4 ] && grep -q "exists with other settings: replicas 3 (asked 1)" "$T/e3"
ok $? "an existing stream with other settings: exit 4, what differs"

# TLS: one more server with a certificate from our CA; a client with
# another CA refuses it
mkdir -p "$T/tls"
(cd "$T/tls" &&
 openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca \
	-keyout ca.key -out ca.pem &&
 openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other-ca \
	-keyout other.key -out other.pem &&
 openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	-keyout srv.key -out srv.csr &&
 printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
 openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 1 -extfile ext -out srv.pem) >/dev/null 2>&1
TPORT=$(free_port)
cat >"$T/tls.conf" <<EOF
listen: 127.0.0.1:$TPORT
jetstream { store_dir: "$T/datatls" }
tls { cert_file: "$T/tls/srv.pem", key_file: "$T/tls/srv.key" }
EOF
nats-server -c "$T/tls.conf" >"$T/tls.log" 2>&1 &
PID[tls]=$!
sleep 1
$PUB --sink "tls://127.0.0.1:$TPORT" --tls-ca "$T/tls/other.pem" --host x \
	>/dev/null 2>"$T/e4"
r=$?
sed 's/^/# /' "$T/e4"
[ $r -eq 4 ] && grep -qi "certificate\|SSL" "$T/e4"
ok $? "a server certificate from another CA: exit 4, the TLS error"

$PUB --sink "tls://127.0.0.1:$TPORT" --tls-ca "$T/tls/ca.pem" --host tls1 \
	--spool "$T/spool-tls" --create-stream --frames 20 --cpus 1 \
	>/dev/null 2>"$T/e5"
ok $? "the right CA: a run published over TLS"

# Live from the VM: relay-collect in the guest on the sample app,
# to this cluster through qemu's user network (guest 10.0.2.2 = our
# 127.0.0.1), taken back and verified record by record in the guest
# (tests/fleet/vm/fleet).  The dynamic tools with libnats and their
# libraries are staged (Debian has no static libnats); FLEET_VM_KERNEL
# (default: the newest Debian kernel with built modules) is booted.
vm_live() {
	local k=${FLEET_VM_KERNEL:-} x r kd vmbin
	if [ -z "$k" ]; then
		for kd in /lib/modules/*; do
			x=$(basename "$kd")
			[ -d "$B/$x/modules" ] && [ -r "/boot/vmlinuz-$x" ] && k=$x
		done
	fi
	[ -n "$k" ] || { echo "# no kernel with built modules (make modules)"; return 1; }
	vmbin=$(cd "$B" && pwd)/fleet-vm
	mkdir -p "$T/vmroot/lib/relayfs" "$vmbin"
	cp "$B/bin/relay-collect" "$GATHER" "$vmbin/" || return 1
	tests/vm/stage-dynamic.sh / "$T/vmroot" "$vmbin/relay-collect" \
		"$vmbin/relay-gather" || return 1
	x=/lib/modules/$k/kernel/drivers/net/ethernet/intel/e1000/e1000.ko
	if [ -r "$x" ]; then
		cp "$x" "$T/vmroot/lib/relayfs/"
	else
		xz -dc "$x.xz" >"$T/vmroot/lib/relayfs/e1000.ko" || return 1
	fi
	# The guest mounts a tmpfs on /tmp, and a checkout may be there:
	# the programs go to a path of their own in the guest (their
	# libraries stay where the host has them).
	mkdir -p "$T/vmroot/opt"
	mv "$T/vmroot$vmbin" "$T/vmroot/opt/relayfs-fleet" || return 1
	echo "# booting $k"
	VM_SUITES_DIR=tests/fleet/vm VM_ROOT_EXTRA="$T/vmroot" VM_DIR="$T/vm" \
	VM_TIMEOUT=400 VM_QEMU_OPTS="-netdev user,id=n0 -device e1000,netdev=n0" \
	VM_APPEND="fleet_url=${URL//127.0.0.1/10.0.2.2} fleet_bin=/opt/relayfs-fleet" \
		tests/vm/run.sh "$k" fleet >"$T/vm.out" 2>&1
	r=$?
	# its counts, or on a failure all it said
	[ $r -eq 0 ] && tail -n 1 "$T/vm.out" | sed 's/^/# passed, failed, skipped: /'
	[ $r -eq 0 ] || sed 's/^/# /' "$T/vm.out" "$T/vm/results.log"
	return $r
}
vm_live
ok $? "live from the VM: relay-collect on the sample to the host's cluster via 10.0.2.2, every record verified"

# Messages with a relayfs message's headers and a body that is no
# relayfs block: rejected one by one, the consumer goes on with the rest
$PUB --sink "$URL" $AUTH --host h-poison --poison 3 >"$T/poison.out" 2>&1
r=$?
pub h-after --cpus 1 --frames 50 --rate 300
r=$((r + $?))
central h-after 800 0
r=$((r + $?))
kill -0 "${PID[gather]}" 2>/dev/null
r=$((r + $?))

# No leak in the sink nor in the consumer (valgrind, definite leaks)
stop_gather
rj=$(grep -o '"rejected":[0-9]*' "$T/gather-2.out" | cut -d: -f2)
grep "h-poison" "$T/gather-2.err" | head -3 | sed 's/^/# /'
[ "${rj:-0}" -ge 3 ]
ok $((r + $?)) "bodies that are no relayfs block: ${rj:-?} rejected, the consumer carries on, the next run whole"

# That run's later messages after a restart: rejected too (its file is
# marked <file>.rejected), not handed back for ever waiting for pseq 0
$PUB --sink "$URL" $AUTH --host h-poison --poison 2 --poison-from 5 \
	>>"$T/poison.out" 2>&1
r=$?
timeout 30 $GATHER --from "$URL" $AUTH -o "$T/central" --json --idle 2s \
	>"$T/gather-3.out" 2>"$T/gather-3.err"
r=$((r + $?))
rj=$(grep -o '"rejected":[0-9]*' "$T/gather-3.out" | cut -d: -f2)
[ "${rj:-0}" -eq 2 ] && ls "$T"/central/h-poison/fleetapp/*.relay.rejected >/dev/null
ok $((r + $?)) "a rejected run's later messages, after a restart: ${rj:-?} of 2 rejected, the consumer idles out"
VG="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9"
$VG $PUB --sink "$URL" $AUTH --host h-vg --spool "$T/spool-vg" --frames 50 \
	--rate 100 >/dev/null 2>"$T/vg-pub"
r=$?
$VG $GATHER --from "$URL" $AUTH -o "$T/central" --idle 3s -q 2>"$T/vg-gather"
r2=$?
sed 's/^/# /' "$T/vg-pub" "$T/vg-gather" | head -20
central h-vg 1600 -
ok $((r + r2 + $?)) "under valgrind: the sink and the consumer leak nothing"

echo "# fleet tests took $(( $(date +%s) - T0 )) s"
[ "$failed" -eq 0 ]

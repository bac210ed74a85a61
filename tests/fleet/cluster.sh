# A 3-node nats-server JetStream cluster on 127.0.0.1 for the fleet
# scripts (sourced by fleet.sh and bench.sh): free ports, data in $T,
# user relay / s3cret.  The caller declares PID, PORT, CPORT (-A) and
# kills ${PID[@]} at the end.

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

for i in 1 2 3; do
	PORT[$i]=$(free_port)
	CPORT[$i]=$(free_port)
done
URL="nats://127.0.0.1:${PORT[1]},nats://127.0.0.1:${PORT[2]},nats://127.0.0.1:${PORT[3]}"

node_conf() {
	local i=$1 routes="" j
	for j in 1 2 3; do
		[ "$j" = "$i" ] ||
			routes="$routes${routes:+, }nats-route://127.0.0.1:${CPORT[$j]}"
	done
	cat >"$T/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:${PORT[$i]}
jetstream { store_dir: "$T/data$i" }
authorization { user: relay, password: s3cret }
cluster {
  name: relayfs-test
  listen: 127.0.0.1:${CPORT[$i]}
  routes: [$routes ]
}
EOF
}

start_node() {
	nats-server -c "$T/n$1.conf" >"$T/n$1.log" 2>&1 &
	PID[n$1]=$!
}

stop_node() {
	kill -9 "${PID[n$1]}" 2>/dev/null
	wait "${PID[n$1]}" 2>/dev/null
	unset "PID[n$1]"
}


# outage SECONDS: the whole cluster killed, and back after SECONDS.
outage() {
	local i
	for i in 1 2 3; do stop_node "$i"; done
	sleep "$1"
	for i in 1 2 3; do start_node "$i"; done
}

# Start the three and wait (30 s at most) until they take a run on a
# new R3 stream RELAYFS: a leader was elected.
cluster_up() {
	local i
	for i in 1 2 3; do node_conf "$i"; start_node "$i"; done
	for i in $(seq 60); do
		$PUB --sink "$URL" $AUTH --host probe --frames 1 --cpus 1 \
			--spool "$T/spool-probe" --create-stream --replicas 3 \
			--max-age 1h --max-bytes 4G --retention limits \
			>"$T/probe.out" 2>&1 && return 0
		sleep 0.5
	done
	cat "$T/probe.out"
	return 1
}

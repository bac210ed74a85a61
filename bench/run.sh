#!/bin/sh
# make bench: the write-path benchmark on both kernels, in qemu, beside
# relay, the ftrace ring buffer and LTTng (where lttng-modules builds),
# with 2 and 8 vCPUs; the collector's drain and offered loads; then
# tables, CSV, JSON and plots (bench/report.py) in build/bench/.  See
# docs/benchmarks.md.
#
#   BENCH_ARGS="count=500 batches=5"   fewer records (module parameters)
#   BENCH_ARGS=fail=1                  a deliberately broken run: every
#                                      case fails its setup, so this
#                                      must exit 1 and write no table
#   DRAIN_RECORDS=6000                 4 KiB records per CPU to drain
#
# A boot where anything failed (tests/vm/run.sh's exit status, or a
# failure or skip in its "P F S" summary) ends the benchmark at once,
# non-zero, with no report: figures from a broken run are not figures.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh
command -v gnuplot >/dev/null || apt-get install -y -q gnuplot-nox >/dev/null
make -s all
out=build/bench
rm -rf "$out"
mkdir -p "$out"
k612=$(basename "$(dirname "$(ls -d /lib/modules/6.12*/build | head -n 1)")")
k61=$(basename "$(dirname "$(ls -d /lib/modules/6.1.*/build | head -n 1)")")
args=""
for a in ${BENCH_ARGS:-}; do args="$args relayfs_bench.$a"; done

# boot_ok FILE: run.sh's last line, "P F S", says that something passed
# and nothing failed or was skipped.
boot_ok() {
	tail -n 1 "$1" | awk 'NF == 3 && $1 ~ /^[0-9]+$/ && $1 > 0 &&
		$2 == "0" && $3 == "0" { ok = 1 } END { exit !ok }'
}

# run NAME KERNEL SMP CLOCK CPUS [CMDLINE]: one boot, its lines kept as
# NAME.log; CMDLINE picks parts and rates (bench/vm/bench).
run() {
	icount=""
	[ "$4" = icount ] && icount="-icount shift=0"
	echo "bench: $2, $3 vCPU(s), $4, cpus=$5"
	root=""
	case "${6:-}" in
	*lttng*) root="$top/build/lttng/root-$2" ;;
	esac
	VM_DIR="$top/$out/vm-$1" VM_SUITES_DIR="$top/bench/vm" VM_SMP=$3 \
	VM_ROOT_EXTRA="$root" \
	VM_TIMEOUT=1500 VM_MEM=2048 VM_QEMU_OPTS="$icount" \
	VM_APPEND="mitigations=off relayfs_bench.cpus=$5 $args relayfs_drain.records=${DRAIN_RECORDS:-6000} ${6:-}" \
		tests/vm/run.sh "$2" bench >"$out/$1.run" 2>&1 ||
		{ tail -n 20 "$out/$1.run"; exit 1; }
	# Until run.sh's status says it all: its last line, "P F S".
	boot_ok "$out/$1.run" || {
		tail -n 20 "$out/$1.run"
		echo "bench: $1: a failed or incomplete boot, no report" >&2
		exit 1
	}
	{
		echo "# kernel=$2 clock=$4 vcpus=$3"
		grep -E '^# (bench mode|consumer (method|profile method|load rate)|lttng mode)=' "$out/vm-$1/results.log"
	} >"$out/$1.log"
}

# LTTng beside them (bench/lttng/): built for each kernel where
# lttng-modules 2.13.9 builds (not 6.12: docs/benchmarks.md says why,
# the compiler's errors are in build/lttng/<kernel>/build.log), and run
# on that kernel's one-vCPU icount boot.
command -v lttng-sessiond >/dev/null ||
	apt-get install -y -q --no-install-recommends lttng-tools >/dev/null
lttng_parts() {
	if bench/lttng/build.sh "$1" "build/lttng/$1" >/dev/null &&
	   bench/lttng/root.sh "$1" "build/lttng/$1" "build/lttng/root-$1"; then
		echo "rfsbench.parts=write,lttng,drain,load"
	else
		echo "bench: no LTTng on $1 (build/lttng/$1/build.log)" >&2
	fi
}
lt612=$(lttng_parts "$k612")
lt61=$(lttng_parts "$k61")

start=$(date +%s)
# 6.12 boots under -icount with 2 vCPUs: every case counts instructions.
run k612 "$k612" 2 icount both "$lt612"
# 8 vCPUs under icount (qemu 7.2 boots 6.12 so): per-CPU cost with every
# CPU writing at once against one CPU alone, for every back-end.
run k612-8 "$k612" 8 icount both "rfsbench.parts=write relayfs_bench.modes=nofill relayfs_bench.sizes=8,64,1024"
# Under icount the vCPUs take turns on one instruction clock: with 2, a
# rate per CPU is twice that on the clock.  1M records/s per CPU is
# offered with 1 vCPU, where it is that rate on the clock.
run k612-one "$k612" 1 icount one "rfsbench.parts=load rfsbench.rates=1000000"
# qemu 7.2 boots 6.1 under -icount only with 1 vCPU; its all-CPU cases
# run without icount, in emulated wall time.
run k61-one "$k61" 1 icount one "rfsbench.rates=100000,400000,1000000 $lt61"
run k61-all "$k61" 2 wall all
echo "bench: $(($(date +%s) - start)) s in qemu"
python3 bench/report.py "$out" "$out"/k612.log "$out"/k612-8.log "$out"/k612-one.log \
	"$out"/k61-one.log \
	"$out"/k61-all.log

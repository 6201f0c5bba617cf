#!/usr/bin/env bash
# TCP echo: Strata's examples/echo_server beside a Go and a Node echo server (bench/net/peers/),
# all loaded by strata-echo-load (bench/net/echo_load.cpp) with the same flags. Each server
# runs alone, pinned to CPU $SERVER_CPU (0) with one thread (Strata --workers 1, GOMAXPROCS=1,
# Node is single-threaded); the load generator runs on CPU $LOAD_CPU (1). Scenarios:
#   latency    64 B messages, 1 connection
#   throughput 64 B messages, 64 connections
#   bandwidth  16 KiB messages, 16 connections
# and prints a markdown table whose ratios compare each server with the best one of this run.
#
#   bench/net/compare_echo.sh                          # 3 s per server and scenario, ~35 s
#   bench/net/compare_echo.sh --seconds 10 --rounds 3  # medians over 3 rounds (order rotates)
#   bench/net/compare_echo.sh --servers strata,go      # a subset
#
# Environment: STRATA_BUILD_DIR (default build/release, configured like the "release" preset if
# missing), OUT (default /tmp/strata-bench-target/echo-compare: per-run JSON, server logs,
# summary.md), SERVER_CPU, LOAD_CPU, WARMUP (0.5 s, not measured), LOCK_WAIT (600 s).
# Needs: cmake, ninja, g++, go (GOPATH mode; the binary goes to $OUT), node, python3, taskset.
# Holds the benchmark lock shared with bench/rt/compare_tokio.sh and shared/bench/run-peers.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${STRATA_BUILD_DIR:-$ROOT/build/release}"
OUT="${OUT:-/tmp/strata-bench-target/echo-compare}"
SERVER_CPU="${SERVER_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
WARMUP="${WARMUP:-0.5}"
SECONDS_PER_RUN=3
ROUNDS=1
SERVERS=strata,go,node

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --servers) SERVERS="${2:?}"; shift 2 ;;
    *) usage ;;
  esac
done
[[ "$SECONDS_PER_RUN" =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage
[[ "$ROUNDS" =~ ^[1-9][0-9]?$ ]] || usage
for s in ${SERVERS//,/ }; do
  case "$s" in strata | go | node) ;; *) echo "compare_echo: unknown server '$s'" >&2; exit 2 ;; esac
done

# Every server started here is killed (by PID) on any exit.
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Build under the lock too: a compile would disturb someone else's measurement.
LOCK="${BENCH_LOCK:-/tmp/strata-bench-target/bench.lock}"
mkdir -p "$(dirname "$LOCK")" "$OUT/bin" "$OUT/logs"
exec 9>>"$LOCK"
if ! flock -n 9; then
  echo "compare_echo: waiting (up to ${LOCK_WAIT:-600} s) for the benchmark lock $LOCK" >&2
  flock -w "${LOCK_WAIT:-600}" 9 || { echo "compare_echo: lock still held, giving up" >&2; exit 1; }
fi
echo "pid $$, bench/net/compare_echo.sh, since $(date +%H:%M:%S)" >"$LOCK"

echo "== building" >&2
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO='-O2 -g -DNDEBUG' -DSTRATA_WERROR=ON \
    -DCMAKE_CXX_COMPILER=g++ >&2
fi
cmake --build "$BUILD_DIR" --target echo_server strata-echo-load >&2
STRATA_SERVER="$BUILD_DIR/examples/echo_server"
LOAD="$BUILD_DIR/bench/net/strata-echo-load"
if [[ ",$SERVERS," == *,go,* ]]; then
  GO111MODULE=off go build -o "$OUT/bin/echo-go" "$ROOT/bench/net/peers/echo.go"
fi

# start NAME: starts server NAME on a free port, pinned; sets PORT once it accepts connections.
start() {
  local name=$1 log="$OUT/logs/$1.log" cmd
  case "$name" in
    strata) cmd=("$STRATA_SERVER" --port 0 --workers 1) ;;
    go) cmd=(env GOMAXPROCS=1 "$OUT/bin/echo-go" --port 0) ;;
    node) cmd=(node "$ROOT/bench/net/peers/echo.js" --port 0) ;;
  esac
  : >"$log"  # exists before the server starts, so that polling it below cannot race
  taskset -c "$SERVER_CPU" "${cmd[@]}" >>"$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  PORT=
  local _
  for _ in $(seq 1 100); do  # 10 s
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$log")
    if [ -n "$PORT" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "compare_echo: $name did not start listening; log:" >&2
  cat "$log" >&2
  exit 1
}

# CPU accounting in clock ticks: the server's own time (all threads) and its CPU's user + nice +
# system + steal time (irq/softirq left out: loopback traffic is processed there), so that the
# table can give messages per server CPU-second (robust to other load) and how much of the
# server's CPU other processes took during the run.
own_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
cpu_ticks() { awk -v c="cpu$1" '$1 == c {print $2 + $3 + $4 + $9}' /proc/stat; }

stop() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  PIDS=()
}

SCENARIOS=("latency 64 1" "throughput 64 64" "bandwidth 16384 16")
read -ra NAMES <<<"${SERVERS//,/ }"
rm -f "$OUT"/*.json "$OUT"/*.cpu "$OUT/summary.md"
UPTIME_BEFORE=$(uptime)
echo "== uptime before: $UPTIME_BEFORE" >&2
limit=$(python3 -c "print(int($SECONDS_PER_RUN + $WARMUP + 30))")
for r in $(seq 1 "$ROUNDS"); do
  for sc in "${SCENARIOS[@]}"; do
    read -r scenario size conns <<<"$sc"
    n=${#NAMES[@]}
    for k in $(seq 0 $((n - 1))); do
      name=${NAMES[$(((k + r - 1) % n))]}  # the order rotates between rounds
      start "$name"
      echo "== r$r $scenario $name (port $PORT): size $size, $conns connections" >&2
      own0=$(own_ticks "$SERVER_PID") cpu0=$(cpu_ticks "$SERVER_CPU") t0=$(date +%s%N)
      taskset -c "$LOAD_CPU" timeout "$limit" "$LOAD" --port "$PORT" --conns "$conns" \
        --size "$size" --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" \
        --json "$OUT/r$r-$scenario-$name.json" >&2
      own1=$(own_ticks "$SERVER_PID") cpu1=$(cpu_ticks "$SERVER_CPU") t1=$(date +%s%N)
      echo "$((own1 - own0)) $((cpu1 - cpu0)) $(((t1 - t0) / 1000000))" \
        >"$OUT/r$r-$scenario-$name.cpu"  # server ticks, CPU ticks, wall ms
      stop
    done
  done
done
UPTIME_AFTER=$(uptime)
echo "== uptime after: $UPTIME_AFTER" >&2

python3 - "$OUT" "$ROUNDS" "$SERVERS" "$(getconf CLK_TCK)" >"$OUT/summary.md" <<'EOF'
import json, statistics, sys
out, rounds, servers, tck = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), int(sys.argv[4])
def load(r, sc, s):
    x = json.load(open(f"{out}/r{r}-{sc}-{s}.json"))
    own, cpu, wall_ms = map(int, open(f"{out}/r{r}-{sc}-{s}.cpu").read().split())
    x["per_cpu_s"] = x["all_messages"] / max(own / tck, 0.01)
    x["others_pct"] = 100 * max(cpu - own, 0) / tck / max(wall_ms / 1e3, 0.001)
    return x
scenarios = [("latency", "64 B, 1 conn"), ("throughput", "64 B, 64 conns"),
             ("bandwidth", "16 KiB, 16 conns")]
print("| scenario | server | msg/s | MB/s | × best | msg/srv-CPU-s | × best | p50 µs | × best "
      "| p99 µs | × best | max µs | others on srv CPU |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for sc, label in scenarios:
    rows = {}
    for s in servers:
        runs = [load(r, sc, s) for r in range(1, rounds + 1)]
        med = lambda f: statistics.median(f(x) for x in runs)
        rows[s] = dict(msgs=med(lambda x: x["msgs_per_s"]), mb=med(lambda x: x["mb_per_s"]),
                       p50=med(lambda x: x["rtt_ns"]["p50"]) / 1e3,
                       p99=med(lambda x: x["rtt_ns"]["p99"]) / 1e3,
                       max=max(x["rtt_ns"]["max"] for x in runs) / 1e3,
                       eff=med(lambda x: x["per_cpu_s"]), others=med(lambda x: x["others_pct"]))
    best_msgs = max(v["msgs"] for v in rows.values())
    best_eff = max(v["eff"] for v in rows.values())
    best_p50 = min(v["p50"] for v in rows.values())
    best_p99 = min(v["p99"] for v in rows.values())
    for s, v in rows.items():
        print(f"| {sc} ({label}) | {s} | {v['msgs']:,.0f} | {v['mb']:,.1f} "
              f"| {v['msgs'] / best_msgs:.2f} | {v['eff']:,.0f} | {v['eff'] / best_eff:.2f} "
              f"| {v['p50']:,.1f} | {v['p50'] / best_p50:.2f} | {v['p99']:,.1f} "
              f"| {v['p99'] / best_p99:.2f} | {v['max']:,.0f} | {v['others']:.0f} % |")
print()
print("× best: this server's value divided by the best server's in the same scenario and run "
      "(msg/s and msg/srv-CPU-s: higher is better; latency: lower is better; best = 1.00). "
      "msg/srv-CPU-s: round trips (warm-up included) per CPU-second the server process used. "
      "others on srv CPU: CPU time other processes took on the server's CPU, % of the run.")
if rounds > 1:
    print(f"Medians over {rounds} rounds (max: the largest of all rounds).")
EOF
{
  echo
  echo "uptime before: $UPTIME_BEFORE"
  echo "uptime after:  $UPTIME_AFTER"
  echo "flags: --seconds $SECONDS_PER_RUN --warmup $WARMUP --rounds $ROUNDS; servers on CPU" \
    "$SERVER_CPU, load generator on CPU $LOAD_CPU"
} >>"$OUT/summary.md"
cat "$OUT/summary.md"

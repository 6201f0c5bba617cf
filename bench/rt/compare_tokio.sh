#!/usr/bin/env bash
# Runs tokio's current-thread baseline (shared/bench/tokio-rt) and strata-bench-rt interleaved,
# both pinned to CPU 0, one process per benchmark (tokio, strata, tokio, strata, ...; the order
# alternates between rounds), and writes a comparison table.
#
#   bench/rt/compare_tokio.sh                 # 2 rounds, results in /tmp/strata-bench-target/rt-compare
#   ROUNDS=3 OUT=/tmp/x bench/rt/compare_tokio.sh
#   BENCHES=yield_many,ping_pong bench/rt/compare_tokio.sh
#
# Then runs strata-bench-rt once with its defaults (strata-full.out: every benchmark, timers too).
# Needs: the release build (cmake --preset release), the tokio baseline binary (built here if
# missing: apt-get install -y librust-tokio-dev), python3. Holds the benchmark lock shared with
# shared/bench/run-peers.sh and tokio-rt/run.sh. Before every run it waits (up to QUIET_WAIT
# seconds, default 120) for one idle second, and it records the CPU time other processes used
# during each run (load.txt); the table marks cells whose run shared the machine with other work
# (at least 0.1 CPU-s, and more than 0.2 CPU-s per second of run time).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TOKIO_DIR="${TOKIO_DIR:-$REPO/../shared/bench/tokio-rt}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/strata-bench-target/tokio-rt}"
TOKIO_BIN="$CARGO_TARGET_DIR/release/tokio-rt-bench"
STRATA_BIN="${STRATA_BIN:-$REPO/build/release/bench/strata-bench-rt}"
OUT="${OUT:-/tmp/strata-bench-target/rt-compare}"
ROUNDS="${ROUNDS:-2}"
CPU="${CPU:-0}"
BENCHES="${BENCHES:-clock_now,spawn_many_local,spawn_many_remote,yield_many,chained_spawn,ping_pong,ping_pong_mpsc,wake_latency_task,wake_latency_thread}"
# tokio-rt's default sample count (100,000) for both wake benchmarks.
STRATA_ARGS=(--wake-thread-samples=100000)

# Build under the lock too: a compile would disturb someone else's measurement.
LOCK="${BENCH_LOCK:-/tmp/strata-bench-target/bench.lock}"
mkdir -p "$(dirname "$LOCK")" "$OUT"
exec 9>>"$LOCK"
if ! flock -n 9; then
  echo "compare_tokio.sh: waiting for the benchmark lock $LOCK" >&2
  flock 9
fi
echo "pid $$, bench/rt/compare_tokio.sh, since $(date +%H:%M:%S)" >"$LOCK"

if [ ! -x "$TOKIO_BIN" ]; then
  echo "== building the tokio baseline (cargo build --release --offline)" >&2
  (cd "$TOKIO_DIR" && cargo build --release --offline --quiet)
fi
if [ -z "${NO_BUILD:-}" ]; then
  echo "== building strata-bench-rt" >&2
  (cd "$REPO" && cmake --build --preset release --target strata-bench-rt >/dev/null)
fi
rm -f "$OUT"/*.json "$OUT"/*.md "$OUT"/*.txt "$OUT"/*.out "$OUT"/*.err "$OUT"/*.time

# Busy jiffies of all CPUs (user, nice, system, irq, softirq) and steal.
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }

wait_quiet() {
  local i a b
  for i in $(seq 1 "${QUIET_WAIT:-120}"); do
    a=$(busy | cut -d' ' -f1)
    sleep 1
    b=$(busy | cut -d' ' -f1)
    # < 5% of one CPU busy over the last second
    if [ $((b - a)) -le 5 ]; then return 0; fi
    [ "$i" = 1 ] && echo "   waiting for the machine to go idle ..." >&2
  done
  echo "   still busy after ${QUIET_WAIT:-120} s; running anyway" >&2
}

# run NAME CMD...: runs pinned (stdout to NAME.out, stderr to NAME.err), records wall time and
# the CPU time used by other processes meanwhile (one line of load.txt).
run() {
  local name=$1
  shift
  wait_quiet
  echo "== $name: taskset -c $CPU $*" >&2
  local b0 s0 b1 s1 wall user sys
  read -r b0 s0 < <(busy)
  /usr/bin/time -f '%e %U %S' -o "$OUT/$name.time" taskset -c "$CPU" "$@" \
    >"$OUT/$name.out" 2>"$OUT/$name.err"
  read -r b1 s1 < <(busy)
  read -r wall user sys <"$OUT/$name.time"
  python3 - "$name" "$wall" "$user" "$sys" "$b0" "$b1" "$s0" "$s1" "$(getconf CLK_TCK)" \
    >>"$OUT/load.txt" <<'EOF'
import sys
name, wall, user, sys_, b0, b1, s0, s1, tck = sys.argv[1:]
tck = float(tck)
others = max((int(b1) - int(b0)) / tck - float(user) - float(sys_), 0.0)
steal = (int(s1) - int(s0)) / tck
print(f"{name} wall_s={float(wall):.2f} own_cpu_s={float(user) + float(sys_):.2f} "
      f"others_cpu_s={others:.2f} steal_s={steal:.2f}")
EOF
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel: $(uname -srm)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "strata: $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- src include || echo ' + uncommitted changes in src/ include/')"
  echo "tokio: $TOKIO_BIN"
  echo "pinning: taskset -c $CPU; rounds: $ROUNDS; strata extra args: ${STRATA_ARGS[*]}"
} >"$OUT/env.txt"

for r in $(seq 1 "$ROUNDS"); do
  for b in ${BENCHES//,/ }; do
    tokio_cmd=("$TOKIO_BIN" --current-thread --quiet --label ct --only "$b"
      --json "$OUT/tokio-r$r-$b.json")
    strata_cmd=("$STRATA_BIN" "${STRATA_ARGS[@]}" "--benchmark_filter=^$b/"
      "--json=$OUT/strata-r$r-$b.json")
    if [ $((r % 2)) = 1 ]; then
      run "tokio-r$r-$b" "${tokio_cmd[@]}"
      run "strata-r$r-$b" "${strata_cmd[@]}"
    else
      run "strata-r$r-$b" "${strata_cmd[@]}"
      run "tokio-r$r-$b" "${tokio_cmd[@]}"
    fi
  done
done

# The whole program once more with its defaults (timer benchmarks and supplemental ones included).
run strata-full "$STRATA_BIN" --json="$OUT/strata-full.json"

python3 - "$OUT" "$ROUNDS" "$BENCHES" >"$OUT/summary.md" <<'EOF'
import json, os, sys
out, rounds, benches = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
load = {}
for line in open(f"{out}/load.txt"):
    name, *kv = line.split()
    d = dict(x.split("=") for x in kv)
    others, wall = float(d["others_cpu_s"]), float(d["wall_s"])
    # /proc/stat counts in 10 ms jiffies: ignore less than 0.1 CPU-s (short runs)
    load[name] = others / max(wall, 0.01) if others >= 0.1 else 0.0
def results(prog, r, b):
    p = f"{out}/{prog}-r{r}-{b}.json"
    if not os.path.exists(p): return {}
    with open(p) as f:
        return {(x["bench"], x["stat"]): x for x in json.load(f)["results"]}
def fmt(x):
    if x is None: return "—"
    a = abs(x)
    return f"{x:.0f}" if a >= 1000 else f"{x:.1f}" if a >= 100 else f"{x:.2f}" if a >= 10 else f"{x:.3f}"
hdr = " / ".join(f"r{r}" for r in range(1, rounds + 1))
print(f"| bench | stat | unit | strata ({hdr}) | tokio ct ({hdr}) | strata/tokio ({hdr}) |")
print("|---|---|---|---:|---:|---:|")
for b in benches:
    S = [results("strata", r, b) for r in range(1, rounds + 1)]
    T = [results("tokio", r, b) for r in range(1, rounds + 1)]
    busy = [max(load.get(f"strata-r{r}-{b}", 0), load.get(f"tokio-r{r}-{b}", 0)) > 0.2
            for r in range(1, rounds + 1)]
    keep = ("p50", "p90", "p99", "p999", "max") if b.startswith("wake_") else ("median", "min")
    for stat in keep:
        s = [x.get((b, stat), {}).get("value") for x in S]
        t = [x.get((b, stat), {}).get("value") for x in T]
        unit = next((x[(b, stat)]["unit"] for x in S + T if (b, stat) in x), "")
        mark = lambda v, i: fmt(v) + (" *" if busy[i] and v is not None else "")
        ratio = ["—" if a is None or not c else f"{a / c:.2f}" for a, c in zip(s, t)]
        print(f"| {b} | {stat} | {unit} | {' / '.join(mark(v, i) for i, v in enumerate(s))} "
              f"| {' / '.join(mark(v, i) for i, v in enumerate(t))} | {' / '.join(ratio)} |")
print()
print("`*`: other processes used at least 0.1 CPU-s, and more than 0.2 CPU-s per second, during "
      "that round's strata or tokio run of this benchmark (see load.txt).")
EOF
cat "$OUT/env.txt"
echo
cat "$OUT/summary.md"

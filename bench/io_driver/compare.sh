#!/usr/bin/env bash
# Per-worker reactors (Strata) versus one shared I/O driver (tokio 1.24.2): builds both
# io-driver benchmarks and runs them interleaved (tokio, strata, tokio, strata, ...) for three
# configurations, each pinned with taskset as shared/bench/tokio-rt/run.sh does, then prints a
# markdown side-by-side table with ratios (README.md explains the workloads).
#
#   bench/io_driver/compare.sh                    # 3 rounds, 3 samples per run (~4 min)
#   bench/io_driver/compare.sh --rounds 5 -- --reps 5 --pairs 32   # args after -- go to both
#   OUT=/tmp/iod STRATA_BUILD_DIR=build/release bench/io_driver/compare.sh
#
# Configurations (label: CPUs of the process; runtime):
#   ct     0    current-thread runtime (the main thread drives it)
#   mt-w1  0    multi-thread, 1 worker
#   mt-w2  0,1  multi-thread, 2 workers (threads float over CPUs 0 and 1)
#
# The benchmark lock (/tmp/strata-bench-target/bench.lock, shared with tokio-rt/run.sh and the
# other compare scripts) is taken for each tokio+strata pair of one configuration (≈ 30 s) and
# released in between, so the two runs of a pair see the same machine and other benchmarks are
# never locked out for long.
#
# Strata binary: $STRATA_BIN if set; else target strata-io-driver-bench in $STRATA_BUILD_DIR
# (default build/release, configured with the release preset if it has no build.ninja yet). Results: $OUT (default bench/io_driver/results/latest/): one JSON per run,
# env.txt and summary.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROUNDS=3
EXTRA=(--reps 3 --warmup 1)
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$ROUNDS" in ''|*[!0-9]*|0) echo "compare.sh: --rounds must be a positive number" >&2; exit 2 ;; esac

for tool in cargo cmake ninja taskset flock jq; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 1; }
done
if ! ls -d /usr/share/cargo/registry/tokio-1.* >/dev/null 2>&1; then
    echo "compare.sh: tokio sources missing: apt-get install -y librust-tokio-dev" >&2
    exit 1
fi

# ---- build (outside the lock: compiling disturbs nobody's numbers more than other load does)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/strata-bench-target/io-driver-tokio}"
echo "== building tokio side (cargo build --release --offline, target $CARGO_TARGET_DIR)" >&2
(cd "$HERE" && cargo build --release --offline --quiet)
TOKIO_BIN="$CARGO_TARGET_DIR/release/io-driver-bench"

if [ -z "${STRATA_BIN:-}" ]; then
    ROOT="$(cd "$HERE/../.." && pwd)"
    BUILD="${STRATA_BUILD_DIR:-$ROOT/build/release}"
    if [ ! -f "$BUILD/build.ninja" ]; then
        echo "== configuring $BUILD (release preset)" >&2
        if [ "$BUILD" = "$ROOT/build/release" ]; then
            (cd "$ROOT" && cmake --preset release >/dev/null)
        else
            cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DCMAKE_CXX_FLAGS_RELWITHDEBINFO='-O2 -g -DNDEBUG' >/dev/null
        fi
    fi
    echo "== building strata side (ninja -C $BUILD strata-io-driver-bench)" >&2
    ninja -C "$BUILD" -j2 strata-io-driver-bench >/dev/null
    STRATA_BIN="$(find "$BUILD" -name strata-io-driver-bench -type f -perm -u+x | head -n1)"
fi
[ -x "$STRATA_BIN" ] || { echo "compare.sh: no strata-io-driver-bench binary" >&2; exit 1; }

OUT="${OUT:-$HERE/results/latest}"
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/summary.md

NCPU=$(nproc)
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "kernel: $(uname -srm)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "nproc: $NCPU"
    echo "rustc: $(rustc --version)"
    echo "g++: $(g++ --version | head -n1)"
    echo "rounds: $ROUNDS; args to both: ${EXTRA[*]}"
} > "$OUT/env.txt"

LOCK="${BENCH_LOCK:-/tmp/strata-bench-target/bench.lock}"
mkdir -p "$(dirname "$LOCK")"
exec 9>>"$LOCK"

CONFIGS=("ct 0 --current-thread" "mt-w1 0 --workers 1")
if [ "$NCPU" -ge 2 ]; then
    CONFIGS+=("mt-w2 0,1 --workers 2")
else
    echo "compare.sh: only $NCPU CPU: skipping mt-w2" >&2
fi

for round in $(seq 1 "$ROUNDS"); do
    for cfg in "${CONFIGS[@]}"; do
        read -r label cpus flags <<<"$cfg"
        if ! flock -n 9; then
            echo "compare.sh: waiting for $LOCK ($(head -c 200 "$LOCK"))" >&2
            flock 9
        fi
        echo "pid $$, io_driver/compare.sh round $round $label, since $(date +%H:%M:%S)" > "$LOCK"
        for impl in tokio strata; do
            bin=$TOKIO_BIN
            [ "$impl" = strata ] && bin=$STRATA_BIN
            echo "== round $round/$ROUNDS $label $impl: taskset -c $cpus $(basename "$bin") $flags ${EXTRA[*]} (load $(cut -d' ' -f1 /proc/loadavg))" >&2
            # shellcheck disable=SC2086  # $flags is a word list on purpose
            taskset -c "$cpus" "$bin" $flags --quiet --label "$label" "${EXTRA[@]}" \
                --json "$OUT/r$round-$label-$impl.json" > "$OUT/r$round-$label-$impl.md"
        done
        flock -u 9
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/env.txt"

# ---- summary: per (impl, config, bench, stat) the median over rounds of each run's value
jq -r -n --arg env "$(cat "$OUT/env.txt")" '
  def median: sort | if length == 0 then null
                     elif length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def fmt: if . == null then "–"
           elif . >= 100 then (round | tostring)
           elif . >= 10 then ((. * 10 | round) / 10 | tostring)
           else ((. * 100 | round) / 100 | tostring) end;
  def k: if . == null then "–" elif . >= 1000 then ((. / 100 | round) / 10 | tostring) + "k"
         else fmt end;
  [ inputs | .meta.impl as $i
    | (input_filename | capture("r(?<n>[0-9]+)-") | .n | tonumber) as $round
    | .results[] | . + {impl: $i, round: $round} ] as $r
  | def vals($i; $l; $b; $s): [ $r[] | select(.impl == $i and .label == $l and .bench == $b and .stat == $s) | .value ];
    def med($i; $l; $b; $s): vals($i; $l; $b; $s) | median;
    def one($i; $l; $b; $s; $n): [ $r[] | select(.impl == $i and .label == $l and .bench == $b and .stat == $s and .round == $n) | .value ] | first;
    def range($i; $l; $b; $s): vals($i; $l; $b; $s) as $v
      | if ($v | length) < 2 then "" else " (\($v | min | k)–\($v | max | k))" end;
    def us($x): if $x == null then null else $x / 1000 end;
    def ratio($a; $b): if $a == null or $b == null or $b == 0 then "–"
                       else ((($a / $b) * 100 | round) / 100 | tostring) + "×" end;
    def c2c($i; $l; $n): [ $r[] | select(.impl == $i and .label == $l and .round == $n and .c2c_before_ns != null) | .c2c_before_ns, .c2c_after_ns ]
      | if length == 0 then "–" else "\(min | fmt)–\(max | fmt)" end;
    ([ $r[] | .label ] | unique) as $present
  | ([ $r[] | .round ] | unique) as $rounds
  | [ [ "ct", "mt-w1", "mt-w2" ][] as $l | select($present | any(.[]; . == $l)) | $l ] as $labels
  | "## Per-worker reactors (Strata) vs shared I/O driver (tokio 1.24.2)",
    "",
    ($env | split("\n") | map("    " + .) | join("\n")),
    "",
    "Cells: median over the rounds of each run'"'"'s median (range of the run medians). ↑ higher is better (ratio > 1: Strata better), ↓ lower is better (ratio < 1: Strata better). Latency: every 16th round trip timed, pooled per run. CPU/op: the process'"'"'s user+system CPU time per round trip or connection, the number least disturbed by other load. busiest: the busiest worker thread'"'"'s share of the workers'"'"' CPU time (50 % = even over 2 workers). ct = current-thread on CPU 0; mt-w1 = 1 worker on CPU 0; mt-w2 = 2 workers on CPUs 0,1.",
    "",
    "| workload | unit | config | tokio | strata | strata/tokio |",
    "|---|---|---|---:|---:|---:|",
    ( $labels[] as $l
      | ( ["tcp_ping_pong", "round trips/s ↑", "tcp_ping_pong", "median", "n"],
          ["tcp_ping_pong p50", "µs ↓", "tcp_ping_pong_rtt", "p50", "ns"],
          ["tcp_ping_pong p99", "µs ↓", "tcp_ping_pong_rtt", "p99", "ns"],
          ["tcp_ping_pong CPU", "µs/round trip ↓", "tcp_ping_pong_cpu_per_op", "median", "x"],
          ["tcp_ping_pong busiest", "% worker CPU", "tcp_ping_pong_busiest_cpu", "median", "x"],
          ["accept_storm", "conns/s ↑", "accept_storm", "median", "n"],
          ["accept_storm CPU", "µs/conn ↓", "accept_storm_cpu_per_op", "median", "x"],
          ["accept_storm busiest", "% worker CPU", "accept_storm_busiest_cpu", "median", "x"] ) as [$name, $unit, $b, $s, $kind]
      | (med("tokio"; $l; $b; $s)) as $t | (med("strata"; $l; $b; $s)) as $x
      | select($t != null or $x != null)
      | select(($b | test("busiest") | not) or $l == "mt-w2")
      | if $kind == "ns" then
          "| \($name) | \($unit) | \($l) | \(us($t) | fmt) | \(us($x) | fmt) | \(ratio($x; $t)) |"
        elif $kind == "n" then
          "| \($name) | \($unit) | \($l) | \($t | k)\(range("tokio"; $l; $b; $s)) | \($x | k)\(range("strata"; $l; $b; $s)) | \(ratio($x; $t)) |"
        else
          "| \($name) | \($unit) | \($l) | \($t | fmt) | \($x | fmt) | \(ratio($x; $t)) |"
        end ),
    "",
    "Round by round (the two runs of a pair ran back to back under the lock; c2c = cross-CPU cache-line round trip probed around each benchmark, ns: ≈ 50 or ≈ 400 on an idle machine depending on the vCPU placement, higher when other load competes):",
    "",
    "| config | round | ping-pong tokio | ping-pong strata | ratio | storm tokio | storm strata | ratio | c2c tokio | c2c strata |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ( $labels[] as $l | $rounds[] as $n
      | (one("tokio"; $l; "tcp_ping_pong"; "median"; $n)) as $tp | (one("strata"; $l; "tcp_ping_pong"; "median"; $n)) as $sp
      | (one("tokio"; $l; "accept_storm"; "median"; $n)) as $ta | (one("strata"; $l; "accept_storm"; "median"; $n)) as $sa
      | "| \($l) | \($n) | \($tp | k) | \($sp | k) | \(ratio($sp; $tp)) | \($ta | k) | \($sa | k) | \(ratio($sa; $ta)) | \(c2c("tokio"; $l; $n)) | \(c2c("strata"; $l; $n)) |" ),
    "",
    "Strata only — where the I/O ran. foreign = % of sampled messages handled by a task on another worker than the one whose reactor polls the socket (client / server side); steals = tasks stolen per sample; busiest polls = % of task polls run by the busiest worker. _cross = every socket registered by the root task on its worker, then handed to the tasks that use it (Strata cannot place a task on a given worker).",
    "",
    "| config | variant | round trips/s | vs natural | p50 µs | p99 µs | CPU µs/rt | foreign client % | foreign server % | steals | busiest polls % | busiest CPU % |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ( $labels[] as $l | select($l != "ct")
      | ("tcp_ping_pong", "tcp_ping_pong_cross") as $b
      | select(med("strata"; $l; $b; "median") != null)
      | "| \($l) | \($b) | \(med("strata"; $l; $b; "median") | k) | \(ratio(med("strata"; $l; $b; "median"); med("strata"; $l; "tcp_ping_pong"; "median"))) | \(us(med("strata"; $l; $b + "_rtt"; "p50")) | fmt) | \(us(med("strata"; $l; $b + "_rtt"; "p99")) | fmt) | \(med("strata"; $l; $b + "_cpu_per_op"; "median") | fmt) | \(med("strata"; $l; $b + "_foreign_client"; "median") | fmt) | \(med("strata"; $l; $b + "_foreign_server"; "median") | fmt) | \(med("strata"; $l; $b + "_steals"; "median") | fmt) | \(med("strata"; $l; $b + "_busiest_worker"; "median") | fmt) | \(med("strata"; $l; $b + "_busiest_cpu"; "median") | fmt) |" ),
    "",
    "accept_storm steals per sample (Strata): \([ $labels[] as $l | select($l != "ct") | "\($l) \(med("strata"; $l; "accept_storm_steals"; "median") | fmt)" ] | join(", "))."
' "$OUT"/r*-*.json > "$OUT/summary.md"

echo >&2
echo "== summary ($OUT/summary.md)" >&2
cat "$OUT/summary.md"

#!/usr/bin/env bash
# Strata's HTTP server beside the peer servers of ../shared/bench (nginx, h2o, Go, hyper, Node,
# Beast) in one run of ../shared/bench/run-peers.sh: plaintext (compare req/srv-CPU-s: one wrk
# thread saturates first), pipelined ×16, latency at 256 connections, memory per idle
# keep-alive connection. The server under test and the peers get CPU 0, wrk CPU 1.
#
#   bench/http/compare_peers.sh                       # every peer, 10 s runs
#   bench/http/compare_peers.sh --quick               # 3 s runs
#   bench/http/compare_peers.sh --servers nginx,h2o   # extra flags go to run-peers.sh
#
# Builds the release benchmark server first (scripts/bench-server). Results: the table on
# stdout and ../shared/bench/peers/results/latest/ (results.md, results.json, logs/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PEERS="${PEERS_DIR:-$ROOT/../shared/bench}"
[ -x "$PEERS/run-peers.sh" ] || { echo "compare_peers: $PEERS/run-peers.sh not found" >&2; exit 1; }
cd "$ROOT"
scripts/bench-server --help >/dev/null 2>&1 || true  # builds it (usage exits non-zero)
exec "$PEERS/run-peers.sh" \
  --target 'strata=exec scripts/bench-server --port $BENCH_PORT --workers ${WORKERS:-1}@27190' "$@"

#!/usr/bin/env bash
# Node's http2 module (built in, no npm) as a client of strata-bench-server: h2c with prior
# knowledge on the plaintext port and h2 by ALPN on the TLS port (a throwaway certificate made
# here with the openssl CLI). See tests/http/h2_node/client.mjs for the checks. Without node the
# test fails with a message. Every process is killed by PID and every wait is bounded.
#   tests/http/h2_node_client.sh <strata-bench-server>
set -euo pipefail
server=$1
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null || { echo "FAIL: node is not installed (scripts/bootstrap)"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl is not installed"; exit 1; }
tmp=$(mktemp -d)
. "$here/../lib/start_server.sh"
trap 'stop_server; rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1 ||
  { echo "FAIL: openssl could not make the test certificate"; exit 1; }
start_server "$tmp/server.out" "$server" --workers 1 --tls-port 0 \
  --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
tls_port=
for _ in $(seq 1 100); do
  tls_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) (tls)$/\1/p' "$tmp/server.out" | head -n 1)
  [ -n "$tls_port" ] && break
  sleep 0.05
done
[ -n "$tls_port" ] || { echo "FAIL: no TLS port: $(cat "$tmp/server.out")"; exit 1; }
timeout 60 node "$here/h2_node/client.mjs" "$port" "$tls_port" "$tmp/cert.pem" "$server_pid"
# The client sent SIGTERM: the server must end by itself, cleanly, within its drain deadline.
for _ in $(seq 1 600); do  # 30 s: a sanitizer build on a loaded machine drains slowly
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "FAIL: the server did not exit after SIGTERM"
  exit 1
fi
status=0
wait "$server_pid" || status=$?
server_pid=
[ "$status" -eq 0 ] || { echo "FAIL: the server exited with $status: $(cat "$tmp/server.out")"; exit 1; }
echo "ok: the server drained and exited 0"

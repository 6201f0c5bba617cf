#!/usr/bin/env bash
# Drives strata-bench-server with real HTTP clients over loopback: curl (keep-alive, chunked
# upload, 100-continue, HEAD, HTTP/1.0), wrk, h2load --h1 and Node's http module. Every check
# is bounded in time; the server is killed by PID at the end.
#
#   tests/http/real_clients.sh BUILD/apps/strata-bench-server [WORKERS]
set -euo pipefail

server_bin=$1
workers=${2:-1}
tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/start_server.sh"
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
check() {  # check NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"
  echo "ok: $1"
}

start_server "$tmp/server.out" "$server_bin" --workers "$workers"
base="http://127.0.0.1:$port"
c=(curl -sS --max-time 10)

# curl: plain GETs, keep-alive reuse across two URLs, HEAD, HTTP/1.0.
check "curl GET /plaintext" "Hello, World!" "$("${c[@]}" "$base/plaintext")"
check "curl GET /json" '{"message":"Hello, World!"}' "$("${c[@]}" "$base/json")"
reuse=$("${c[@]}" -v "$base/plaintext" "$base/json" 2>&1 >/dev/null | grep -c "Re-using existing connection" || true)
check "curl keep-alive reuses the connection" 1 "$reuse"
check "curl HEAD" "200 13" "$("${c[@]}" -I -o /dev/null -w '%{http_code} ' "$base/plaintext")$("${c[@]}" -I "$base/plaintext" | tr -d '\r' | sed -n 's/^content-length: //p')"
check "curl HTTP/1.0" "Hello, World!" "$("${c[@]}" --http1.0 "$base/plaintext")"
check "curl 404" 404 "$("${c[@]}" -o /dev/null -w '%{http_code}' "$base/missing")"
check "curl 405" 405 "$("${c[@]}" -o /dev/null -w '%{http_code}' -X DELETE "$base/plaintext")"

# Uploads: content-length, chunked (curl streams stdin chunked), 100-continue (curl sends
# Expect for bodies over 1 MiB), a binary body.
head -c 3000000 /dev/urandom >"$tmp/big.bin"
check "curl POST /echo" "hello" "$("${c[@]}" --data-binary hello "$base/echo")"
"${c[@]}" -H "Transfer-Encoding: chunked" --data-binary @- "$base/echo" <"$tmp/big.bin" >"$tmp/chunked.out"
cmp -s "$tmp/big.bin" "$tmp/chunked.out" || fail "chunked upload echo differs"
echo "ok: curl chunked upload (3 MB) echoed byte for byte"
"${c[@]}" -v --data-binary @"$tmp/big.bin" "$base/echo" -o "$tmp/continue.out" 2>"$tmp/continue.err"
grep -q "HTTP/1.1 100 Continue" "$tmp/continue.err" || fail "no 100 Continue seen by curl"
cmp -s "$tmp/big.bin" "$tmp/continue.out" || fail "100-continue upload echo differs"
echo "ok: curl Expect: 100-continue upload (3 MB)"

# Pipelining: 16 requests in one write, answered in order.
if command -v python3 >/dev/null; then
  python3 - "$port" <<'PY' || fail "pipelined responses"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
reqs = b"".join(b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n" % (b"plaintext" if i % 2 == 0 else b"json") for i in range(16))
s.sendall(reqs)
data = b""
while data.count(b"HTTP/1.1 200") < 16 or not data.endswith((b"World!", b'World!"}')):
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
bodies = [p.split(b"\r\n\r\n", 1)[1] for p in data.split(b"HTTP/1.1 200 OK")[1:]]
want = [b"Hello, World!" if i % 2 == 0 else b'{"message":"Hello, World!"}' for i in range(16)]
assert bodies == want, bodies
PY
  echo "ok: 16 pipelined requests answered in order"
fi

# wrk: a short load, no errors, no non-2xx.
if command -v wrk >/dev/null; then
  wrk -t1 -c32 -d1s "$base/plaintext" >"$tmp/wrk.out"
  grep -q "Non-2xx\|Socket errors" "$tmp/wrk.out" && fail "wrk saw errors: $(cat "$tmp/wrk.out")"
  echo "ok: wrk $(grep 'requests in' "$tmp/wrk.out" | xargs)"
fi

# h2load in HTTP/1.1 mode: every request succeeds.
if command -v h2load >/dev/null; then
  h2load --h1 -n 2000 -c 20 -m 4 "$base/plaintext" >"$tmp/h2load.out"
  grep -q "2000 succeeded, 0 failed, 0 errored" "$tmp/h2load.out" || fail "h2load: $(grep requests: "$tmp/h2load.out")"
  echo "ok: h2load --h1 2000 requests, 4 pipelined per connection"
fi

# Node's http module: a keep-alive agent, a GET and a chunked POST.
if command -v node >/dev/null; then
  node - "$port" <<'JS' || fail "node client"
const http = require('http');
const port = +process.argv[2];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function req(opts, body) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, agent, ...opts }, res => {
      let data = '';
      res.on('data', c => data += c);
      res.on('end', () => resolve({ status: res.statusCode, data, reused: r.reusedSocket }));
    });
    r.on('error', reject);
    r.setTimeout(5000, () => r.destroy(new Error('timeout')));
    if (body) { r.write(body.slice(0, 3)); r.end(body.slice(3)); } else r.end();
  });
}
(async () => {
  const a = await req({ path: '/plaintext' });
  if (a.status !== 200 || a.data !== 'Hello, World!') throw new Error('GET ' + JSON.stringify(a));
  const b = await req({ path: '/echo', method: 'POST' }, 'streamed body');
  if (b.data !== 'streamed body' || !b.reused) throw new Error('POST ' + JSON.stringify(b));
  agent.destroy();
})().catch(e => { console.error(e); process.exit(1); });
JS
  echo "ok: node http client (keep-alive, chunked POST)"
fi

# The server survived all of it.
check "still serving" "Hello, World!" "$("${c[@]}" "$base/plaintext")"

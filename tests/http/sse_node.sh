#!/usr/bin/env bash
# Node's fetch (Node 18+, no npm package) as an EventSource-style client of the bench server's
# GET /sse over HTTP/1.1: it parses the stream, drops the connection after two events, then
# reconnects with Last-Event-ID and must receive exactly events 0..4, each once, in order.
# Without node the test fails with a message. The server is killed by PID.
#   tests/http/sse_node.sh <strata-bench-server>
set -euo pipefail
server=$1
command -v node >/dev/null || { echo "FAIL: node is not installed (scripts/bootstrap)"; exit 1; }
tmp=$(mktemp -d)
script=$tmp/client.mjs
. "$(dirname "$0")/../lib/start_server.sh"
trap 'stop_server; rm -rf "$tmp"' EXIT
start_server "$tmp/server.out" "$server" --workers 1
cat > "$script" <<'JS'
const url = process.argv[2];
let last = '';
const got = [];
setTimeout(() => { console.error('FAIL: timeout'); process.exit(1); }, 20000);
for (let attempt = 0; attempt < 3 && got.length < 5; ++attempt) {
  const headers = { accept: 'text/event-stream' };
  if (last) headers['last-event-id'] = last;
  const res = await fetch(url, { headers });
  const type = res.headers.get('content-type') || '';
  if (res.status !== 200 || !type.startsWith('text/event-stream')) {
    console.error(`FAIL: status ${res.status}, content-type "${type}"`); process.exit(1);
  }
  let buf = '';
  reading: for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    for (let i; (i = buf.indexOf('\n\n')) >= 0;) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = [];
      let id = null;
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('id: ')) id = line.slice(4);
      }
      if (id !== null) last = id;
      if (data.length) got.push(`${id}:${data.join('\n')}`);
      if (attempt === 0 && got.length === 2) break reading;  // leave early: resume after id 1
    }
  }
}
const want = ['0:0', '1:1', '2:2', '3:3', '4:4'];
if (JSON.stringify(got) !== JSON.stringify(want)) {
  console.error(`FAIL: got ${JSON.stringify(got)}`); process.exit(1);
}
console.log('ok: 5 events across a reconnection with Last-Event-ID');
process.exit(0);
JS
node "$script" "http://127.0.0.1:$port/sse?count=5&interval_ms=20"

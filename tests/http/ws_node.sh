#!/usr/bin/env bash
# Node's `ws` package (npm) as a client of the bench server's GET /ws/echo, with and without
# permessage-deflate: text and binary messages of several sizes must come back unchanged and
# with their type, and the deflate run must have negotiated the extension. The package is
# installed with npm into $WS_NODE_DIR (default build-side /tmp/strata-ws-node) on first use;
# without node or npm access the test fails with a message. The server is killed by PID.
#   tests/http/ws_node.sh <strata-bench-server>
set -euo pipefail
server=$1
dir=${WS_NODE_DIR:-/tmp/strata-ws-node}
command -v node >/dev/null || { echo "FAIL: node is not installed (scripts/bootstrap)"; exit 1; }
if [ ! -d "$dir/node_modules/ws" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm install ws --no-audit --no-fund >/dev/null 2>&1) ||
    { echo "FAIL: npm install ws failed (no registry access?); needed for this interop test"; exit 1; }
fi
tmp=$(mktemp -d)
. "$(dirname "$0")/../lib/start_server.sh"
trap 'stop_server; rm -rf "$tmp"' EXIT
start_server "$tmp/server.out" "$server" --workers 1
cat > "$dir/client.js" <<'JS'
const WebSocket = require('ws');
const [port, deflate] = [process.argv[2], process.argv[3] === '1'];
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/echo`, { perMessageDeflate: deflate });
const sizes = [0, 1, 125, 126, 65535, 65536, 1 << 20];
const msgs = [];
for (const n of sizes) {
  msgs.push({ text: true, data: 'é'.repeat(n >> 1) + 'x'.repeat(n & 1) });
  msgs.push({ text: false, data: Buffer.alloc(n, n % 251) });
}
let i = 0;
const timer = setTimeout(() => { console.error('FAIL: timeout'); process.exit(1); }, 20000);
ws.on('open', () => {
  const ext = ws.extensions;
  if (deflate !== ext.includes('permessage-deflate')) {
    console.error(`FAIL: extensions "${ext}" with deflate=${deflate}`); process.exit(1);
  }
  ws.send(msgs[0].data, { binary: !msgs[0].text });
});
ws.on('message', (data, isBinary) => {
  const m = msgs[i];
  const got = isBinary ? data : data.toString();
  const same = isBinary ? Buffer.compare(got, m.data) === 0 : got === m.data;
  if (isBinary === m.text || !same) { console.error(`FAIL: message ${i} differs`); process.exit(1); }
  if (++i < msgs.length) ws.send(msgs[i].data, { binary: !msgs[i].text });
  else ws.close(1000, 'done');
});
ws.on('close', (code) => {
  clearTimeout(timer);
  if (code !== 1000 || i !== msgs.length) { console.error(`FAIL: close ${code} after ${i}`); process.exit(1); }
  console.log(`ok: ${i} messages, deflate=${deflate}`);
});
ws.on('error', (e) => { console.error('FAIL:', e.message); process.exit(1); });
JS
node "$dir/client.js" "$port" 0
node "$dir/client.js" "$port" 1

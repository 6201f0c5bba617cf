// Node's http2 module as a client of strata-bench-server (tests/http/h2_node_client.sh):
// h2c with prior knowledge and h2 over TLS by ALPN. GET /plaintext and /json, POST /echo with
// 1 MiB checked byte for byte, 32 concurrent streams on one session, then a graceful shutdown:
// an upload in flight when the server gets SIGTERM completes, and both sessions see GOAWAY.
//   node client.mjs <plain port> <tls port> <ca.pem> <server pid>
import http2 from 'node:http2';
import crypto from 'node:crypto';
import fs from 'node:fs';

const [plainPort, tlsPort, caFile, serverPid] = process.argv.slice(2);
const ca = fs.readFileSync(caFile);
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };
setTimeout(() => fail('timeout (30 s)'), 30000).unref();

function request(session, headers, body) {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    const chunks = [];
    let head = null;
    req.on('response', (h) => { head = h; });
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve({ head, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end(body);
  });
}

function connect(url, options) {
  return new Promise((resolve, reject) => {
    const s = http2.connect(url, options);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function check(name, session, expectAlpn) {
  if (session.alpnProtocol !== expectAlpn)
    fail(`${name}: alpnProtocol ${session.alpnProtocol}, want ${expectAlpn}`);
  const p = await request(session, { ':path': '/plaintext' });
  if (p.head[':status'] !== 200 || p.body.toString() !== 'Hello, World!')
    fail(`${name}: GET /plaintext: ${p.head[':status']} ${p.body}`);
  const j = await request(session, { ':path': '/json' });
  if (j.head[':status'] !== 200 || JSON.parse(j.body).message !== 'Hello, World!' ||
      !String(j.head['content-type']).startsWith('application/json'))
    fail(`${name}: GET /json: ${j.head[':status']} ${j.body}`);
  const big = crypto.randomBytes(1 << 20);
  const e = await request(session, { ':method': 'POST', ':path': '/echo' }, big);
  if (e.head[':status'] !== 200 || !e.body.equals(big))
    fail(`${name}: POST /echo: ${e.head[':status']}, ${e.body.length} bytes back`);
  // Concurrent streams on this one session (one connection): all open before any answer.
  const all = await Promise.all(
    Array.from({ length: 32 }, () => request(session, { ':path': '/plaintext' })));
  for (const r of all) {
    if (r.head[':status'] !== 200 || r.body.toString() !== 'Hello, World!')
      fail(`${name}: concurrent GET: ${r.head[':status']}`);
  }
  console.log(`ok ${name}: ${expectAlpn}, /plaintext, /json, 1 MiB echo, 32 concurrent streams`);
}

const plain = await connect(`http://127.0.0.1:${plainPort}`);
const tls = await connect(`https://127.0.0.1:${tlsPort}`, { ca });
await check('h2c', plain, 'h2c');
await check('h2 over TLS', tls, 'h2');

// Graceful shutdown: half an upload, SIGTERM, GOAWAY on both sessions, the rest of the upload,
// and the whole echo back.
const goaways = [plain, tls].map((s) => new Promise((resolve) => s.once('goaway', resolve)));
const upload = crypto.randomBytes(256 * 1024);
const req = plain.request({ ':method': 'POST', ':path': '/echo' });
const echoed = new Promise((resolve, reject) => {
  const chunks = [];
  let status = 0;
  req.on('response', (h) => { status = h[':status']; });
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
  req.on('error', reject);
});
await new Promise((resolve) => req.write(upload.subarray(0, 128 * 1024), resolve));
process.kill(Number(serverPid), 'SIGTERM');
const codes = await Promise.all(goaways);
if (codes.some((c) => c !== http2.constants.NGHTTP2_NO_ERROR)) fail(`GOAWAY codes ${codes}`);
req.end(upload.subarray(128 * 1024));
const done = await echoed;
if (done.status !== 200 || !done.body.equals(upload))
  fail(`upload across the shutdown: ${done.status}, ${done.body.length} bytes back`);
console.log('ok shutdown: GOAWAY(NO_ERROR) on both sessions, the in-flight upload completed');
plain.close();
tls.close();
process.exit(0);

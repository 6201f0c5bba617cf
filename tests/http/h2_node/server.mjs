// A Node http2 server for http::Client's interop test (tests/http/client_h2_test.cpp,
// ClientH2Node): h2c with prior knowledge, h2 over TLS by ALPN (the test PKI), and an h2c
// server that ends each session with GOAWAY after its 10th stream (like nginx's
// keepalive_requests), so that streams the client already sent above it are refused.
//   node server.mjs <dir> <cert.pem> <key.pem>
// Writes <dir>/ports ("plain tls limited") once listening; SIGTERM closes every session
// gracefully (GOAWAY, in-flight streams finish) and exits.
import http2 from 'node:http2';
import fs from 'node:fs';

const [dir, certFile, keyFile] = process.argv.slice(2);
const counts = { plain: 0, tls: 0, limited: 0 };
const sessions = new Set();

function handle(name, stream, headers) {
  const path = headers[':path'];
  if (path === '/hello') {
    stream.respond({ ':status': 200, 'content-type': 'text/plain' });
    stream.end('node h2');
  } else if (path === '/slow') {
    setTimeout(() => {
      if (stream.destroyed) return;
      stream.respond({ ':status': 200 });
      stream.end('slow');
    }, Number(headers['x-delay-ms'] || 20));
  } else if (path === '/echo') {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end(Buffer.concat(chunks));
    });
  } else if (path === '/authority') {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify({ authority: headers[':authority'], host: headers.host ?? null }));
  } else if (path === '/sessions') {
    stream.respond({ ':status': 200, 'content-type': 'application/json' });
    stream.end(JSON.stringify(counts));
  } else {
    stream.respond({ ':status': 404 });
    stream.end();
  }
}

function setup(name, server, limit) {
  server.on('session', (s) => {
    ++counts[name];
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
    let streams = 0;
    s.on('stream', (stream) => {
      if (limit && ++streams === limit) s.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
    });
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    handle(name, stream, headers);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const tlsOptions = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
const servers = [http2.createServer(), http2.createSecureServer(tlsOptions), http2.createServer()];
const ports = await Promise.all([
  setup('plain', servers[0], 0),
  setup('tls', servers[1], 0),
  setup('limited', servers[2], 10),
]);
fs.writeFileSync(`${dir}/ports.tmp`, ports.join(' '));
fs.renameSync(`${dir}/ports.tmp`, `${dir}/ports`);

// SIGTERM: GOAWAY on every session (open streams finish first); the process exits once every
// client has closed its connection (the test checks that http::Client does).
process.on('SIGTERM', () => {
  for (const s of servers) s.close();
  for (const s of sessions) s.close();
  setInterval(() => { if (sessions.size === 0) process.exit(0); }, 10);
});
setTimeout(() => process.exit(2), 120000).unref();  // never outlive a broken test

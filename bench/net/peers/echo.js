// Echo peer for bench/net/compare_echo.sh: Node's net module, each socket piped into itself
// (pipe() handles backpressure). Run: node echo.js --port 0.
'use strict';
const net = require('net');

const i = process.argv.indexOf('--port');
const port = i > 0 ? Number(process.argv[i + 1]) : 7000;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error('usage: node echo.js [--port P]');
  process.exit(2);
}
const server = net.createServer({noDelay: true}, (socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());  // a peer reset just ends the connection
  socket.pipe(socket);
});
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});

// The showcase's end-to-end test (`make e2e`): starts the app, drives it with Debian's chromium
// through playwright-core, then with curl, h2load and Node's `ws` client, then stops it with
// SIGTERM and checks the exit. Screenshots go to the output folder (argv[3], default
// build/e2e); every process it starts is killed by PID, whatever happens.
//
//   node tests/e2e/showcase.mjs build/release/apps/strata-showcase build/e2e
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';

const run = promisify(execFile);
const [binary, outDir = 'build/e2e'] = process.argv.slice(2);
if (!binary) throw new Error('usage: showcase.mjs <strata-showcase> [output dir]');
mkdirSync(outDir, { recursive: true });
const pkiDir = mkdtempSync(join(tmpdir(), 'strata-e2e-pki-'));
const children = [];
let browser = null;
let failures = 0;

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function within(ms, what, fn) {
  let timer;
  const limit = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms); });
  try { return await Promise.race([fn(), limit]); } finally { clearTimeout(timer); }
}

// ---- the app ----
const app = spawn(binary, ['--port', '0', '--http-port', '0', '--workers', '2', '--grace', '3', '--pki-dir', pkiDir],
  { stdio: ['ignore', 'pipe', 'pipe'] });
children.push(app);
let log = '';
app.stdout.on('data', (d) => { log += d; });
app.stderr.on('data', (d) => { log += d; });
const exited = new Promise((resolve) => app.on('exit', (code, signal) => resolve({ code, signal })));

async function main() {
  const listening = await within(60000, 'the app starts', async () => {
    for (;;) {
      const m = log.match(/listening on ([\d.]+):(\d+) \(https, h3\) and [\d.]+:(\d+) \(http\)/);
      if (m) return m;
      await sleep(50);
    }
  });
  const httpsPort = listening[2], httpPort = listening[3];
  const spki = log.match(/--ignore-certificate-errors-spki-list=(\S+)/)[1];
  const origin = `https://localhost:${httpsPort}`;
  const ca = join(pkiDir, 'ca.pem');
  console.log(`app: ${origin} (plain ${httpPort})`);

  // ---- the browser: dashboard over h2, SSE values changing ----
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic',
      `--ignore-certificate-errors-spki-list=${spki}`],
  });
  const alice = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const bob = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await alice.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(origin + '/');
  const protocol = await page.textContent('#protocol');
  check(protocol === 'h2', `the page came over HTTP/2 (nextHopProtocol: ${protocol})`);
  await page.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: 10000 });
  const seq1 = Number(await page.textContent('#m-seq'));
  await page.waitForFunction((s) => Number(document.getElementById('m-seq').textContent) >= s + 2, seq1, { timeout: 10000 });
  const seq2 = Number(await page.textContent('#m-seq'));
  check(seq2 >= seq1 + 2, `SSE samples arrive (sample ${seq1} -> ${seq2})`);
  const conns = Number((await page.textContent('#m-clients')).replace(/,/g, ''));
  check(conns >= 1, `the dashboard counts itself as a live client (${conns})`);
  await page.screenshot({ path: join(outDir, 'dashboard.png') });

  // ---- chat between two browser contexts ----
  const page2 = await bob.newPage();
  await page2.goto(origin + '/#chat');
  await page.goto(origin + '/#chat');
  await page.fill('#chat-name', 'alice');
  await page.click('#chat-join-btn');
  await page.waitForSelector('#chat-text:enabled');
  await page2.fill('#chat-name', 'bob');
  await page2.click('#chat-join-btn');
  await page2.waitForSelector('#chat-text:enabled');
  await page.waitForFunction(() => document.getElementById('chat-members').textContent.includes('bob'), null, { timeout: 5000 });
  await page.fill('#chat-text', 'hello from alice');
  await page.press('#chat-text', 'Enter');
  await page2.waitForFunction(() => document.getElementById('chat-messages').textContent.includes('hello from alice'), null, { timeout: 5000 });
  check(true, 'bob sees alice\'s message');
  await page2.fill('#chat-text', 'hi alice, bob here');
  await page2.press('#chat-text', 'Enter');
  await page.waitForFunction(() => document.getElementById('chat-messages').textContent.includes('bob here'), null, { timeout: 5000 });
  check(true, 'alice sees bob\'s reply');

  // Node's ws client joins the same room and talks to the browsers.
  const nodeWs = new WebSocket(`wss://localhost:${httpsPort}/chat/ws?room=lobby&name=node`, { ca: readFileSync(ca) });
  const nodeSeen = [];
  const nodeClosed = new Promise((resolve) => nodeWs.on('close', (code) => resolve(code)));
  nodeWs.on('message', (d) => nodeSeen.push(JSON.parse(String(d))));
  await within(5000, 'ws client opens', () => new Promise((resolve, reject) => { nodeWs.on('open', resolve); nodeWs.on('error', reject); }));
  await within(5000, 'ws client gets the history', async () => { while (!nodeSeen.some((m) => m.type === 'history')) await sleep(20); });
  const history = nodeSeen.find((m) => m.type === 'history');
  check(history.messages.some((m) => m.text === 'hello from alice'), 'the ws client receives the room\'s history');
  nodeWs.send('hello from node');
  await page.waitForFunction(() => document.getElementById('chat-messages').textContent.includes('hello from node'), null, { timeout: 5000 });
  check(true, 'the browser sees the ws client\'s message');
  await page.screenshot({ path: join(outDir, 'chat.png') });

  // ---- todos: an invalid todo shows the validation message ----
  await page.goto(origin + '/#todos');
  await page.fill('#todo-title', '');
  await page.click('#todo-add');
  await page.waitForSelector('#todo-error:not([hidden])', { timeout: 5000 });
  const error = await page.textContent('#todo-error');
  check(/400 Bad Request: .*title must be longer than or equal to 1 characters/.test(error), `validation message shown: "${error}"`);
  await page.screenshot({ path: join(outDir, 'todos-invalid.png') });
  await page.fill('#todo-title', 'ship the showcase');
  await page.click('#todo-add');
  await page.waitForFunction(() => document.getElementById('todo-list').textContent.includes('ship the showcase'), null, { timeout: 5000 });
  check(true, 'a valid todo is added and listed');
  await page.screenshot({ path: join(outDir, 'todos.png') });

  // ---- outbound: Promise.all / race on the server, pooled h2 client ----
  await page.goto(origin + '/#outbound');
  await page.click('#outbound-run');
  await page.waitForSelector('#outbound-pool', { timeout: 10000 });
  const pool = await page.textContent('#outbound-pool');
  check(/1 HTTP\/2/.test(pool), `the outbound client pooled one HTTP/2 connection (${pool.replace(/\s+/g, ' ').trim()})`);
  await page.screenshot({ path: join(outDir, 'outbound.png') });
  check(pageErrors.length === 0, `no script errors in the page (${pageErrors.join('; ')})`);

  // ---- HTTP/3: a browser forced onto QUIC for this origin gets the page and the SSE stream ----
  const quicBrowser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-quic',
      `--origin-to-force-quic-on=127.0.0.1:${httpsPort}`,  // localhost may try ::1 first
      `--ignore-certificate-errors-spki-list=${spki}`],
  });
  try {
    const q = await (await quicBrowser.newContext()).newPage();
    await q.goto(`https://127.0.0.1:${httpsPort}/`);
    const qp = await q.textContent('#protocol');
    check(qp === 'h3', `a browser forced onto QUIC gets the page over HTTP/3 (${qp})`);
    await q.waitForFunction(() => document.getElementById('live').textContent === 'live', null, { timeout: 10000 });
    const q1 = Number(await q.textContent('#m-seq'));
    await q.waitForFunction((s) => Number(document.getElementById('m-seq').textContent) >= s + 1, q1, { timeout: 10000 });
    check(true, 'SSE samples arrive over HTTP/3');
    await q.screenshot({ path: join(outDir, 'dashboard-h3.png') });
  } finally {
    await quicBrowser.close().catch(() => {});
  }

  // ---- curl and h2load on the same process ----
  const curl = async (...args) => (await run('curl', ['-s', '--max-time', '10', ...args])).stdout;
  const todos = await curl('--cacert', ca, '-w', '\n%{http_version} %{http_code}', `${origin}/todos`);
  check(/\n2 200$/.test(todos) && todos.includes('ship the showcase'), 'curl: GET /todos over h2, verified with the CA');
  const redirect = await curl('-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `http://127.0.0.1:${httpPort}/todos`);
  check(redirect === `308 https://127.0.0.1:${httpsPort}/todos`, `curl: the plain port redirects (${redirect})`);
  const h2c = await curl('--http2-prior-knowledge', '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `http://127.0.0.1:${httpPort}/healthz`);
  check(h2c === '2 200', `curl: h2c on the plain port (${h2c})`);
  const bad = await curl('--cacert', ca, '-X', 'POST', '-H', 'content-type: application/json', '-d', '{"title":"x"}', `${origin}/todos`);
  check(JSON.parse(bad).statusCode === 401, 'curl: a write without the token is 401');
  const load = (await run('h2load', ['-n', '400', '-c', '4', '-m', '10', `https://127.0.0.1:${httpsPort}/api/outbound/work?ms=0`])).stdout;
  check(/400 succeeded/.test(load) && /400 2xx/.test(load), 'h2load: 400 requests over h2, all 2xx');
  await page.goto(origin + '/#dashboard');
  await page.waitForFunction(() => Number(document.getElementById('m-total').textContent.replace(/[^0-9]/g, '')) >= 400, null, { timeout: 10000 });
  check(true, 'the dashboard counted the load');
  await page.screenshot({ path: join(outDir, 'dashboard-after-load.png') });

  // ---- SIGHUP: the certificate is reloaded; new connections still verify ----
  app.kill('SIGHUP');
  await within(5000, 'the reload', async () => { while (!/SIGHUP: reloaded/.test(log)) await sleep(50); });
  const again = await curl('--cacert', ca, '-o', '/dev/null', '-w', '%{http_code}', `${origin}/healthz`);
  check(again === '200', `SIGHUP reloaded the certificate; a new connection verifies (${again})`);

  // ---- SIGTERM: close frames, a clean exit ----
  app.kill('SIGTERM');
  const closeCode = await within(10000, 'the ws client is closed', () => nodeClosed);
  check(closeCode === 1001, `the ws client got close code ${closeCode} (1001 going away)`);
  const { code, signal } = await within(10000, 'the app exits', () => exited);
  check(code === 0 && signal === null, `the app exited with ${code ?? signal}`);
  const logged = log.split('\n').filter((l) => !l.includes('--ignore-certificate-errors-spki-list'));
  check(/^stopped$/m.test(log) && !logged.some((l) => /error/i.test(l)), 'the log has no error');
}

try {
  await main();
} catch (e) {
  console.log(`FAIL ${e.stack || e}`);
  failures++;
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(pkiDir, { recursive: true, force: true });
  if (failures) console.log('--- app log ---\n' + log);
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);

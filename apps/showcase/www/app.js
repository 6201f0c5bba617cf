// The showcase's page: tabs, the live dashboard (SSE + canvas charts), the chat (WebSocket),
// the todo list (REST) and the outbound panel. Plain JavaScript, no build step.
'use strict';

const $ = (id) => document.getElementById(id);
const colors = ['#5b9dff', '#3ecf8e', '#f5b942', '#ff6b6b', '#b18cff', '#4dd0e1', '#ff8a65', '#aed581'];
const fmt = (n) => Number(n).toLocaleString('en-US');

// ---- tabs ----
function showTab() {
  const name = (location.hash || '#dashboard').slice(1);
  document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.id === 'tab-' + name));
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.tab === name));
  if (name === 'todos') loadTodos();
}
window.addEventListener('hashchange', showTab);

// ---- protocol badge ----
const nav = performance.getEntriesByType('navigation')[0];
$('protocol').textContent = nav && nav.nextHopProtocol ? nav.nextHopProtocol : 'unknown';

// ---- charts: a few lines on a canvas, scaled to the largest value ----
function drawChart(canvas, legend, series, unit) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...series.flatMap((s) => s.values)) * 1.1;
  const left = 48, bottom = h - 18, top = 8, right = w - 8;
  g.strokeStyle = '#263050'; g.fillStyle = '#8a96b0'; g.font = '11px system-ui'; g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (bottom - top) * i / 4;
    g.beginPath(); g.moveTo(left, y); g.lineTo(right, y); g.stroke();
    g.fillText(fmt(Math.round(max * i / 4)), 4, y + 4);
  }
  const n = 120;
  series.forEach((s, k) => {
    g.strokeStyle = s.color || colors[k % colors.length]; g.lineWidth = 2; g.beginPath();
    s.values.slice(-n).forEach((v, i, arr) => {
      const x = right - (arr.length - 1 - i) * (right - left) / (n - 1);
      const y = bottom - (bottom - top) * v / max;
      i ? g.lineTo(x, y) : g.moveTo(x, y);
    });
    g.stroke();
  });
  legend.innerHTML = series.map((s, k) =>
    `<span><i style="background:${s.color || colors[k % colors.length]}"></i>${s.label}: ${fmt(s.values.at(-1) ?? 0)}${unit}</span>`).join('');
}

// ---- dashboard: samples over SSE ----
const samples = [];
let lastSeq = 0;
function addSample(s) {
  if (s.seq <= lastSeq) return;  // the history and the live stream may overlap
  lastSeq = s.seq;
  samples.push(s);
  if (samples.length > 120) samples.shift();
}
function render() {
  const s = samples.at(-1);
  if (!s) return;
  $('m-rps').textContent = fmt(s.rps);
  $('m-total').textContent = fmt(s.requests_total) + ' in all';
  $('m-latency').textContent = `${fmt(s.p50_us)} · ${fmt(s.p90_us)} · ${fmt(s.p99_us)}`;
  $('m-conns').textContent = fmt(s.connections + s.connections_h3);
  $('m-conns-sub').textContent = `TLS ${fmt(s.connections_tls)} · HTTP/2 ${fmt(s.connections_h2)} · QUIC ${fmt(s.connections_h3)}`;
  $('m-clients').textContent = fmt(s.sse_clients + s.ws_clients);
  $('m-clients-sub').textContent = `SSE ${fmt(s.sse_clients)} · WebSocket ${fmt(s.ws_clients)}`;
  $('m-spawned').textContent = fmt(s.spawned_per_s);
  $('m-uptime').textContent = `up ${fmt(s.uptime_s)} s · ${s.workers.length} workers`;
  $('m-seq').textContent = s.seq;
  const col = (f) => samples.map(f);
  drawChart($('chart-rps'), $('legend-rps'), [
    { label: 'h3', values: col((x) => x.rps_h3) },
    { label: 'h2', values: col((x) => x.rps_h2) },
    { label: 'HTTP/1.1 TLS', values: col((x) => x.rps_h1_tls) },
    { label: 'h2c', values: col((x) => x.rps_h2c) },
    { label: 'HTTP/1.1', values: col((x) => x.rps_h1) },
  ], '/s');
  drawChart($('chart-latency'), $('legend-latency'), [
    { label: 'p50', values: col((x) => x.p50_us) },
    { label: 'p90', values: col((x) => x.p90_us) },
    { label: 'p99', values: col((x) => x.p99_us) },
  ], ' µs');
  const workers = s.workers.map((_, i) => i);
  drawChart($('chart-polls'), $('legend-polls'),
    workers.map((i) => ({ label: `worker ${i}`, values: col((x) => x.workers[i]?.polls_per_s ?? 0) })), '/s');
  drawChart($('chart-steals'), $('legend-steals'), workers.flatMap((i) => [
    { label: `steals ${i}`, values: col((x) => x.workers[i]?.steals_per_s ?? 0) },
    { label: `parks ${i}`, values: col((x) => x.workers[i]?.parks_per_s ?? 0), color: colors[(i + 4) % colors.length] },
  ]), '/s');
}
function connectSamples() {
  const es = new EventSource('/api/metrics/stream');
  es.addEventListener('open', () => { $('live').textContent = 'live'; $('live').classList.remove('off'); });
  es.addEventListener('error', () => { $('live').textContent = 'reconnecting'; $('live').classList.add('off'); });
  es.addEventListener('history', (e) => { JSON.parse(e.data).forEach(addSample); render(); });
  es.addEventListener('sample', (e) => { addSample(JSON.parse(e.data)); render(); });
}

// ---- chat: one WebSocket per member ----
let socket = null;
function chatLine(html, cls) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  li.innerHTML = html;
  $('chat-messages').appendChild(li);
  $('chat-messages').scrollTop = $('chat-messages').scrollHeight;
}
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const clock = (ms) => new Date(ms).toLocaleTimeString();
function showMessage(m) {
  chatLine(`<time>${clock(m.ts_ms)}</time><span class="who">${esc(m.name)}</span><span class="text">${esc(m.text)}</span>`);
}
function setChatConnected(on, status) {
  $('chat-status').textContent = status;
  $('chat-join-btn').disabled = on;
  $('chat-leave-btn').disabled = !on;
  $('chat-text').disabled = !on;
  $('chat-send-btn').disabled = !on;
}
$('chat-name').value = 'guest-' + Math.floor(Math.random() * 1000);
$('chat-join').addEventListener('submit', (e) => {
  e.preventDefault();
  const room = $('chat-room').value, name = $('chat-name').value;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/chat/ws?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`;
  $('chat-messages').innerHTML = '';
  socket = new WebSocket(url);
  socket.onopen = () => setChatConnected(true, `in #${room} as ${name}`);
  socket.onclose = (ev) => { setChatConnected(false, `not connected (${ev.code}${ev.reason ? ' ' + ev.reason : ''})`); $('chat-members').innerHTML = ''; };
  socket.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === 'history') m.messages.forEach(showMessage);
    else if (m.type === 'message') showMessage(m);
    else {
      chatLine(`<time>${clock(m.ts_ms)}</time>${esc(m.name)} ${m.type === 'join' ? 'joined' : 'left'}`, 'sys');
      $('chat-members').innerHTML = m.members.map((n) => `<li>${esc(n)}</li>`).join('');
    }
  };
});
$('chat-leave-btn').addEventListener('click', () => socket && socket.close(1000, 'bye'));
$('chat-send').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('chat-text').value.trim();
  if (text && socket && socket.readyState === WebSocket.OPEN) socket.send(text);
  $('chat-text').value = '';
});

// ---- todos: the framework's REST API ----
async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (method !== 'GET') headers.authorization = 'Bearer ' + $('todo-token').value;
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = r.status === 204 ? null : await r.json();
  if (!r.ok) throw Object.assign(new Error('HTTP ' + r.status), { data });
  return data;
}
function showError(err) {
  const box = $('todo-error');
  if (!err) { box.hidden = true; return; }
  const msg = err.data && err.data.message;
  box.textContent = `${err.data ? err.data.statusCode + ' ' + err.data.error : err.message}: ` +
    (Array.isArray(msg) ? msg.join('; ') : (msg || ''));
  box.hidden = false;
}
async function loadTodos() {
  try {
    const todos = await api('GET', '/todos?limit=100');
    $('todo-list').innerHTML = '';
    for (const t of todos) {
      const li = document.createElement('li');
      li.className = t.done ? 'done' : '';
      li.dataset.id = t.id;
      li.innerHTML = `<input type="checkbox" ${t.done ? 'checked' : ''}><span>${esc(t.title)}</span><button class="ghost">Delete</button>`;
      li.querySelector('input').addEventListener('change', (e) =>
        api('PATCH', `/todos/${t.id}`, { done: e.target.checked }).then(loadTodos, showError));
      li.querySelector('button').addEventListener('click', () =>
        api('DELETE', `/todos/${t.id}`).then(loadTodos, showError));
      $('todo-list').appendChild(li);
    }
  } catch (err) { showError(err); }
}
$('todo-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('POST', '/todos', { title: $('todo-title').value });
    $('todo-title').value = '';
    showError(null);
    loadTodos();
  } catch (err) { showError(err); }
});

// ---- outbound: Promise::all and Promise::race on the server ----
$('outbound-run').addEventListener('click', async () => {
  $('outbound-run').disabled = true;
  try {
    const r = await (await fetch('/api/outbound?timeout_ms=' + $('outbound-timeout').value)).json();
    const row = (c) => `<tr><td>${esc(c.url)}</td><td>${c.status || '–'}</td><td>${esc(c.protocol)}</td><td>${c.elapsed_ms} ms</td><td>${esc(c.error)}</td></tr>`;
    $('outbound-result').innerHTML = `
      <h3>Promise::all — ${r.all_ms} ms for three calls</h3>
      <table><tr><th>url</th><th>status</th><th>protocol</th><th>time</th><th>error</th></tr>${r.all.map(row).join('')}</table>
      <h3>Promise::race — ${r.race_ms} ms</h3>
      <table><tr><th>winner</th><th>status</th><th>protocol</th><th>time</th><th>error</th></tr>${row(r.race)}</table>
      <p class="muted" id="outbound-pool">client: ${r.client.requests} requests, ${r.client.connections_opened} connections opened,
      ${r.client.connections_reused} reused, ${r.client.http2_connections} HTTP/2</p>`;
  } finally { $('outbound-run').disabled = false; }
});

showTab();
connectSamples();
window.addEventListener('resize', render);

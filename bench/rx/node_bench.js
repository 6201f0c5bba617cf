#!/usr/bin/env node
// The Node side of strata-bench-rx (same workloads, same sizes): RxJS 7.8.2's pipeline
// map | filter | scan | take | distinctUntilChanged over 100,000 synchronous values, the same
// five steps as hand-written JS callbacks, and a then() chain of 1000 on a native Promise.
// Times are process CPU time (process.cpuUsage), as Google Benchmark's CPU column: the machines
// here are shared, and wall time counts other tenants.
//   NODE_PATH=<dir with rxjs 7.8.2>/node_modules node bench/rx/node_bench.js
'use strict';
const { Observable } = require('rxjs');
const op = require('rxjs/operators');

const events = 100000;
const range = (n) => new Observable((s) => {
  for (let i = 0; i < n && !s.closed; i++) s.next(i);
  s.complete();
});

function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

function time(name, perIter, units, fn) {
  for (let i = 0; i < 20; i++) fn(); // warm up the JIT
  let iters = 0;
  const start = cpuNs();
  while (cpuNs() - start < 2e9) {
    fn();
    iters++;
  }
  const ns = (cpuNs() - start) / iters;
  console.log(`${name}: ${(ns / 1e3).toFixed(1)} us/iter, ${(perIter / ns * 1e3).toFixed(2)} M${units}/s`);
}

async function timeAsync(name, perIter, units, fn) {
  for (let i = 0; i < 20; i++) await fn();
  let iters = 0;
  const start = cpuNs();
  while (cpuNs() - start < 2e9) {
    await fn();
    iters++;
  }
  const ns = (cpuNs() - start) / iters;
  console.log(`${name}: ${(ns / 1e3).toFixed(1)} us/iter, ${(ns / perIter).toFixed(1)} ns/${units}`);
}

let sink = 0;
const pipeline = range(events).pipe(op.map((x) => x * 2), op.filter((x) => x % 3 !== 0),
  op.scan((acc, x) => acc + x, 0), op.take(events), op.distinctUntilChanged());
time('rx_pipeline/rxjs', events, 'events', () => { pipeline.subscribe((v) => { sink += v; }); });

time('rx_pipeline/js_callbacks', events, 'events', () => {
  let acc = 0; let seen = 0; let prev = 0; let has = false; let done = false;
  const distinct = (x) => { if (!has || x !== prev) { has = true; prev = x; sink += x; } };
  const take = (x) => { if (++seen <= events) distinct(x); if (seen >= events) done = true; };
  const scan = (x) => take(acc += x);
  const filter = (x) => { if (x % 3 !== 0) scan(x); };
  const map = (x) => filter(x * 2);
  for (let i = 0; i < events && !done; i++) map(i);
});

timeAsync('promise_then_chain/1000', 1000, 'then', () => {
  let resolve;
  let p = new Promise((r) => { resolve = r; });
  for (let i = 0; i < 1000; i++) p = p.then((x) => x + 1);
  resolve(0);
  return p.then((x) => { sink += x; });
}).then(() => { if (sink === 0) console.log('unused'); });

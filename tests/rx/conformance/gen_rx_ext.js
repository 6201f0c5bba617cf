#!/usr/bin/env node
// gen_rx_ext.js IN.json OUT.json: ../shared/conformance/rx/gen_rx.js (loaded from there, not
// copied) with the scenario keys FORMAT.md does not define, for the operators it does not list.
// Every FORMAT.md scenario gives the same result as with gen_rx.js. The extensions (the C++
// runner, observable_runner.cpp, interprets the same keys):
//
//   scenario "shared": [{"id", "source": <Obs>}]   built once per scenario, before anything runs
//   source {"op": "ref", "id"}                     that shared Observable (for share, share_replay)
//   {"op": "with_latest_from", "others": [<Obs>]}  withLatestFrom(...others) (arrays)
//   {"op": "sample", "notifier": <Obs>}            sample(notifier)
//   {"op": "sample_time", "period"}                sampleTime(period, sch)
//   {"op": "timeout", "each"?, "first"?, "with"?}  timeout({each, first, with, scheduler});
//                                                  `with` is a template: "$v" = lastValue,
//                                                  "$i" = seen
//   {"op": "retry", "count"?, "delay"?, "delay_notifier"?, "reset_on_success"?}
//                                                  retry({count, delay, resetOnSuccess}): a
//                                                  number delay is timer(delay, sch); the
//                                                  notifier template gets "$e", "$i" (retry count)
//   {"op": "share", "reset_on_error"?, "reset_on_complete"?, "reset_on_ref_count_zero"?}
//                                                  share({...}): each is true/false or a number
//                                                  n, meaning () => timer(n, sch)
//   {"op": "share_replay", "buffer_size"?, "window_time"?, "ref_count"?}
//                                                  shareReplay({bufferSize, windowTime, refCount,
//                                                  scheduler: sch})
//   {"op": "observe_on" | "subscribe_on", "delay"?} observeOn(sch, delay) / subscribeOn(sch, delay)
//   {"op": "exhaust_map", "project"}, {"op": "take_while", "fn"}, {"op": "buffer_time", "span"},
//   {"op": "delay", "due"}                         exhaustMap, takeWhile, bufferTime, delay
//
// Errors that RxJS creates (TimeoutError, EmptyError) are written as {"name", "message"} plus
// TimeoutError's "info" ({"meta", "lastValue", "seen"}); JSON.stringify would add the stack.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

// The project's ../shared (a worktree under /work/wt/ finds /work/shared one level up).
const root = path.join(__dirname, '..', '..', '..');
const shared = [process.env.RX_CONFORMANCE_DIR, path.join(root, '..', 'shared', 'conformance', 'rx'),
  path.join(root, '..', '..', 'shared', 'conformance', 'rx')]
  .find((d) => d && fs.existsSync(path.join(d, 'gen_rx.js')));
if (!shared) throw new Error('no ../shared/conformance/rx/gen_rx.js (set RX_CONFORMANCE_DIR)');
let src = fs.readFileSync(path.join(shared, 'gen_rx.js'), 'utf8');

function patch(from, to) {
  if (!src.includes(from)) throw new Error('gen_rx.js changed: cannot find ' + JSON.stringify(from));
  src = src.replace(from, to);
}
patch('#!/usr/bin/env node', '');
patch(/\nmain\(\);\s*$/.exec(src)[0], '\n');
patch('function build(expr, ctx) {',
  'function build(expr, ctx) {\n  { const x = EXT.build(expr, ctx); if (x) return x; }');
patch('function operator(spec, ctx) {',
  'function operator(spec, ctx) {\n  { const x = EXT.operator(spec, ctx); if (x) return x; }');
patch('function norm(v) {', 'function norm(v) {\n  if (EXT.isRxError(v)) return EXT.rxError(v);');
patch('const ctx = { sch, subjects };', 'const ctx = { sch, subjects, sharedDefs: sc.shared || [], shared: new Map() };');

const G = vm.runInThisContext(
  '(function (require, __dirname, process, EXT) {' + src +
  '\nreturn { build, operator, subst, fnOf, main }; })',
  { filename: path.join(shared, 'gen_rx.js') });

const rx = require('rxjs');
const op = require('rxjs/operators');
let g = null;

const EXT = {
  isRxError: (v) => v instanceof rx.TimeoutError || v instanceof rx.EmptyError,
  rxError: (v) => {
    const o = { name: v.name, message: v.message };
    if (v instanceof rx.TimeoutError) o.info = JSON.parse(JSON.stringify(v.info));
    return o;
  },
  build(expr, ctx) {
    if (expr.op !== 'ref') return null;
    if (!ctx.shared.has(expr.id)) {
      const def = ctx.sharedDefs.find((d) => d.id === expr.id);
      if (!def) throw new Error('unknown shared source ' + expr.id);
      ctx.shared.set(expr.id, g.build(def.source, ctx));
    }
    return ctx.shared.get(expr.id);
  },
  operator(spec, ctx) {
    const sch = ctx.sch;
    const resetOf = (x) => (typeof x === 'number' ? () => rx.timer(x, sch) : x);
    switch (spec.op) {
      case 'with_latest_from': return op.withLatestFrom(...spec.others.map((e) => g.build(e, ctx)));
      case 'sample': return op.sample(g.build(spec.notifier, ctx));
      case 'sample_time': return op.sampleTime(spec.period, sch);
      case 'timeout': {
        const c = { scheduler: sch };
        if ('each' in spec) c.each = spec.each;
        if ('first' in spec) c.first = spec.first;
        if ('with' in spec) c.with = (info) => g.build(g.subst(spec.with, { $v: info.lastValue, $i: info.seen }), ctx);
        return op.timeout(c);
      }
      case 'retry': {
        if (!('delay' in spec) && !('delay_notifier' in spec) && !('reset_on_success' in spec)) return null;
        const c = {};
        if ('count' in spec) c.count = spec.count;
        if ('reset_on_success' in spec) c.resetOnSuccess = spec.reset_on_success;
        if ('delay' in spec) c.delay = () => rx.timer(spec.delay, sch);
        if ('delay_notifier' in spec) c.delay = (e, n) => g.build(g.subst(spec.delay_notifier, { $e: e, $i: n }), ctx);
        return op.retry(c);
      }
      case 'share': {
        const c = {};
        if ('reset_on_error' in spec) c.resetOnError = resetOf(spec.reset_on_error);
        if ('reset_on_complete' in spec) c.resetOnComplete = resetOf(spec.reset_on_complete);
        if ('reset_on_ref_count_zero' in spec) c.resetOnRefCountZero = resetOf(spec.reset_on_ref_count_zero);
        return op.share(c);
      }
      case 'share_replay': return op.shareReplay({
        bufferSize: spec.buffer_size === undefined ? Infinity : spec.buffer_size,
        windowTime: spec.window_time === undefined ? Infinity : spec.window_time,
        refCount: spec.ref_count === undefined ? false : spec.ref_count,
        scheduler: sch,
      });
      case 'observe_on': return op.observeOn(sch, spec.delay || 0);
      case 'subscribe_on': return op.subscribeOn(sch, spec.delay || 0);
      case 'exhaust_map': return op.exhaustMap((v, i) => g.build(g.subst(spec.project, { $v: v, $i: i }), ctx));
      case 'take_while': return op.takeWhile(g.fnOf(spec.fn));
      case 'buffer_time': return op.bufferTime(spec.span, sch);
      case 'delay': return op.delay(spec.due, sch);
      default: return null;
    }
  },
};

g = G(require, shared, process, EXT);
g.main();

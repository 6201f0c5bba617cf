// The Promise half of the conformance runner: FORMAT.md's Promise DSL on strata::rx::Promise,
// with the runtime's microtask queue and timers. Every promise lives as a Promise<json::value>,
// except the results of all / all_settled, which keep their C++ types (no extra then() that
// would cost a microtask turn) and are converted to JSON only when a handler reads them.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "json_values.hpp"
#include "runner.hpp"
#include "strata/rt.hpp"
#include "strata/rx/promise.hpp"

namespace strata::rx::conformance {
namespace {

using V = json::value;
using P = Promise<V>;
using PV = Promise<std::vector<V>>;
using PS = Promise<std::vector<Settled<V>>>;
using AnyP = std::variant<P, PV, PS>;

V norm_reason(const std::exception_ptr& e);

V to_json(const V& v) {
  return v;
}
V to_json(const std::vector<V>& v) {
  return json::array(v.begin(), v.end());
}
V to_json(const std::vector<Settled<V>>& v) {
  json::array out;
  for (auto& s : v) {
    json::object o;
    o["status"] = s.fulfilled ? "fulfilled" : "rejected";
    if (s.fulfilled) {
      o["value"] = *s.value;
    } else {
      o["reason"] = norm_reason(s.reason);
    }
    out.push_back(std::move(o));
  }
  return out;
}

V norm_reason(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const V& v) {
    return v;
  } catch (const AggregateError& a) {
    json::array errs;
    for (auto& r : a.errors()) errs.push_back(norm_reason(r));
    json::object o;
    o["aggregate_error"] = std::move(errs);
    return o;
  } catch (const std::exception& x) {
    json::object o;
    o["error"] = x.what();
    return o;
  } catch (...) {
    json::object o;
    o["error"] = "unknown";
    return o;
  }
}

struct Self {
  Resolve<V> resolve;
  Reject reject;
};

struct Outcome {
  enum Kind { none, returned, returned_promise, thrown } kind = none;
  V value;
  std::optional<AnyP> promise;
};

struct Timer {
  std::int64_t due;
  std::uint64_t seq;
  const json::array* actions;
};

struct Ctx {
  json::array events;
  json::array unhandled;
  std::map<std::string, AnyP> env;
  std::map<std::string, Self> deferred;
  std::vector<Timer> timers;
  std::uint64_t seq = 0;
  std::int64_t now = 0;
  std::optional<std::string> error;  // an Unsupported raised inside a handler

  V eval(const V& e, const V& v) {
    if (e.is_string() && e.as_string() == "$v") return v;
    if (e.is_array()) {
      json::array out;
      for (auto& x : e.as_array()) out.push_back(eval(x, v));
      return out;
    }
    if (e.is_object()) {
      auto& o = e.as_object();
      if (auto* add = o.if_contains("add")) {
        auto& args = add->as_array();
        return js_add(eval(args.at(0), v), eval(args.at(1), v));
      }
      if (auto* list = o.if_contains("list")) return eval(*list, v);
      throw Unsupported("unknown expression " + json::serialize(e));
    }
    return e;
  }

  const AnyP& get(const V& name) {
    auto it = env.find(std::string(name.as_string()));
    if (it == env.end()) throw Unsupported("unknown promise " + json::serialize(name));
    return it->second;
  }
  P get_plain(const V& name) {
    auto* p = std::get_if<P>(&get(name));
    if (!p) throw Unsupported("promise " + json::serialize(name) + " is not a plain value promise");
    return *p;
  }

  Outcome run(const json::array& actions, const V& v, const Self* self) {
    for (auto& a : actions) {
      auto& o = a.as_object();
      if (auto* label = o.if_contains("log")) {
        json::object ev;
        ev["label"] = *label;
        if (auto* val = o.if_contains("value")) ev["value"] = eval(*val, v);
        events.push_back(std::move(ev));
      } else if (auto* name = o.if_contains("let")) {
        auto& be = field(o, "be").as_object();
        std::string key(name->as_string());
        if (be.contains("pending")) {
          auto pr = P::with_resolvers();
          deferred.insert_or_assign(key, Self{pr.resolve, pr.reject});
          env.insert_or_assign(key, std::move(pr.promise));
        } else {
          AnyP p = make(be);
          env.insert_or_assign(key, std::move(p));
        }
      } else if (auto* r = o.if_contains("resolve")) {
        deferred_of(*r).resolve(eval(field(o, "value"), v));
      } else if (auto* j = o.if_contains("reject")) {
        deferred_of(*j).reject(eval(field(o, "reason"), v));
      } else if (auto* body = o.if_contains("microtask")) {
        queue_job(&body->as_array());
      } else if (auto* ms = o.if_contains("timeout")) {
        std::int64_t delay = std::max<std::int64_t>(1, ms->to_number<std::int64_t>());
        timers.push_back({now + delay, seq++, &field(o, "do").as_array()});
      } else if (auto* x = o.if_contains("resolve_self")) {
        if (!self) throw Unsupported("resolve_self outside an executor");
        self->resolve(eval(*x, v));
      } else if (auto* y = o.if_contains("reject_self")) {
        if (!self) throw Unsupported("reject_self outside an executor");
        self->reject(eval(*y, v));
      } else if (auto* ret = o.if_contains("return")) {
        return {Outcome::returned, eval(*ret, v), std::nullopt};
      } else if (auto* rp = o.if_contains("return_promise")) {
        return {Outcome::returned_promise, nullptr, get(*rp)};
      } else if (auto* t = o.if_contains("throw")) {
        return {Outcome::thrown, eval(*t, v), std::nullopt};
      } else {
        throw Unsupported("unknown action " + json::serialize(a));
      }
    }
    return {};
  }

  Self& deferred_of(const V& name) {
    auto it = deferred.find(std::string(name.as_string()));
    if (it == deferred.end()) throw Unsupported("no pending promise " + json::serialize(name));
    return it->second;
  }

  // queueMicrotask(body) through the runtime's queue.
  void queue_job(const json::array* body) {
    struct Job : Microtask {
      Ctx* ctx;
      const json::array* body;
    };
    auto* job = new Job;
    job->ctx = this;
    job->body = body;
    job->run = [](Microtask* m) noexcept {
      auto* jb = static_cast<Job*>(m);
      jb->ctx->guarded([&] { jb->ctx->run(*jb->body, nullptr, nullptr); });
      delete jb;
    };
    queue_microtask(job);
  }

  // Runs f, recording an Unsupported (which a handler would otherwise turn into a rejection).
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const Unsupported& e) {
      if (!error) error = e.what();
    } catch (...) {
    }
  }

  // A handler's result as what a Promise<json> handler returns.
  MaybePromise<V> result_as(Outcome r) {
    switch (r.kind) {
      case Outcome::thrown:
        throw V(r.value);
      case Outcome::returned_promise:
        if (auto* p = std::get_if<P>(&*r.promise)) return *p;
        error = "return_promise of a promise of another type";
        throw Unsupported(*error);
      case Outcome::returned:
        return r.value;
      case Outcome::none:
        break;
    }
    return V(nullptr);
  }

  auto handler(const json::array* actions) {
    return [this, actions](const auto& x) -> MaybePromise<V> {
      V arg;
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::exception_ptr>) {
        arg = norm_reason(x);
      } else {
        arg = to_json(x);
      }
      try {
        return result_as(run(*actions, arg, nullptr));
      } catch (const Unsupported& e) {
        if (!error) error = e.what();
        throw;
      }
    };
  }

  template <class T>
  AnyP make_then(const Promise<T>& p, const V& on_f, const V& on_r) {
    bool f = !on_f.is_null(), r = !on_r.is_null();
    if constexpr (!std::is_same_v<T, V>) {
      // A typed all()/all_settled() result: a pass-through that converts to JSON costs the
      // same one turn as passing the value on, and lets a catch handler return any JSON.
      auto convert = [](const T& x) { return to_json(x); };
      if (f && r) return p.then(handler(&on_f.as_array()), handler(&on_r.as_array()));
      if (f) return p.then(handler(&on_f.as_array()));
      if (r) return p.then(convert, handler(&on_r.as_array()));
      return p.then(convert);
    } else {
      if (f && r) return p.then(handler(&on_f.as_array()), handler(&on_r.as_array()));
      if (f) return p.then(handler(&on_f.as_array()));
      if (r) return p.catch_(handler(&on_r.as_array()));
      return p.then(nullptr, nullptr);
    }
  }

  template <class T>
  AnyP make_finally(const Promise<T>& p, const json::array* actions) {
    return p.finally([this, actions]() -> P {
      Outcome out = run(*actions, nullptr, nullptr);
      if (out.kind == Outcome::thrown) throw V(out.value);
      if (out.kind == Outcome::returned_promise) {
        if (auto* q = std::get_if<P>(&*out.promise)) return *q;
        throw Unsupported("finally returned a promise of another type");
      }
      return P::resolve(nullptr);  // Promise.resolve(undefined or the returned value)
    });
  }

  std::vector<P> inputs(const V& names) {
    std::vector<P> out;
    for (auto& n : names.as_array()) out.push_back(get_plain(n));
    return out;
  }

  AnyP make(const json::object& e) {
    if (auto* v = e.if_contains("resolved")) return P::resolve(eval(*v, nullptr));
    if (auto* v = e.if_contains("rejected")) return P::reject(eval(*v, nullptr));
    if (auto* ex = e.if_contains("executor")) {
      const json::array* actions = &ex->as_array();
      return P([this, actions](Resolve<V> res, Reject rej) {
        Self self{std::move(res), std::move(rej)};
        Outcome out = run(*actions, nullptr, &self);
        if (out.kind == Outcome::thrown) throw V(out.value);
      });
    }
    if (auto* name = e.if_contains("then")) {
      const V null_v;
      auto* on_f = e.if_contains("on_fulfilled");
      auto* on_r = e.if_contains("on_rejected");
      return std::visit(
          [&](auto& p) { return make_then(p, on_f ? *on_f : null_v, on_r ? *on_r : null_v); },
          get(*name));
    }
    if (auto* name = e.if_contains("catch")) {
      return std::visit([&](auto& p) { return make_then(p, nullptr, field(e, "handler")); },
                        get(*name));
    }
    if (auto* name = e.if_contains("finally")) {
      const json::array* actions = &field(e, "handler").as_array();
      return std::visit([&](auto& p) { return make_finally(p, actions); }, get(*name));
    }
    if (auto* v = e.if_contains("all")) return P::all(inputs(*v));
    if (auto* v = e.if_contains("race")) return P::race(inputs(*v));
    if (auto* v = e.if_contains("any")) return P::any(inputs(*v));
    if (auto* v = e.if_contains("all_settled")) return P::all_settled(inputs(*v));
    throw Unsupported("unknown promise expression " + json::serialize(e));
  }
};

Task<void> run_scenario(Ctx* ctx, const json::array* steps) {
  ctx->run(*steps, nullptr, nullptr);
  run_microtasks();
  Instant start = Clock::now();
  while (!ctx->timers.empty()) {
    auto it = std::min_element(ctx->timers.begin(), ctx->timers.end(),
                               [](const Timer& a, const Timer& b) {
                                 return a.due != b.due ? a.due < b.due : a.seq < b.seq;
                               });
    Timer t = *it;
    ctx->timers.erase(it);
    co_await sleep_until(start + std::chrono::milliseconds(t.due));
    ctx->now = t.due;
    ctx->guarded([&] { ctx->run(*t.actions, nullptr, nullptr); });
    run_microtasks();
  }
}

}  // namespace

json::object run_promise_scenario(const json::object& scenario) {
  Ctx ctx;
  auto prev = on_unhandled_rejection(
      [&ctx](const std::exception_ptr& r) { ctx.unhandled.push_back(norm_reason(r)); });
  try {
    Runtime rt = Runtime::current_thread();
    rt.block_on(run_scenario(&ctx, &field(scenario, "steps").as_array()));
  } catch (...) {
    on_unhandled_rejection(std::move(prev));
    throw;
  }
  on_unhandled_rejection(std::move(prev));
  if (ctx.error) throw Unsupported(*ctx.error);
  json::object r;
  r["tick_exact"] =
      scenario.contains("tick_exact") ? scenario.at("tick_exact") : json::value(false);
  r["events"] = std::move(ctx.events);
  if (!ctx.unhandled.empty()) r["unhandled_rejections"] = std::move(ctx.unhandled);
  return r;
}

}  // namespace strata::rx::conformance

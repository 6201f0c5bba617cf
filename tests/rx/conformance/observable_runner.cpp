// The Observable half of the conformance runner: FORMAT.md's virtual-time scenarios on
// strata::rx::Observable<json::value> with a TestScheduler (1 virtual ms = 1 ms).
#include <any>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "json_values.hpp"
#include "runner.hpp"
#include "strata/rx.hpp"

namespace strata::rx::conformance {
namespace {

using V = json::value;
using Obs = Observable<V>;
using std::chrono::milliseconds;

V error_value(const std::exception_ptr& e) {
  if (auto v = reason_as<V>(e)) return *v;
  // RxJS's own errors, as gen_rx_ext.js writes them.
  try {
    std::rethrow_exception(e);
  } catch (const TimeoutError& t) {
    json::object info;
    info["meta"] = nullptr;
    info["lastValue"] = nullptr;
    if (auto* last = std::any_cast<V>(&t.last_value)) info["lastValue"] = *last;
    info["seen"] = static_cast<std::int64_t>(t.seen);
    return json::object{{"name", "TimeoutError"}, {"message", t.what()}, {"info", info}};
  } catch (const EmptyError& x) {
    return json::object{{"name", "EmptyError"}, {"message", x.what()}};
  } catch (...) {
  }
  return json::object();  // JSON.stringify of an Error object
}

std::int64_t ms_of(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

Duration duration_of(const V& v) {
  return milliseconds(v.to_number<std::int64_t>());
}

V subst(const V& tpl, const std::map<std::string, V>& vars) {
  if (tpl.is_string()) {
    auto it = vars.find(std::string(tpl.as_string()));
    return it == vars.end() ? tpl : it->second;
  }
  if (tpl.is_array()) {
    json::array out;
    for (auto& x : tpl.as_array()) out.push_back(subst(x, vars));
    return out;
  }
  if (tpl.is_object()) {
    json::object out;
    for (auto& [k, x] : tpl.as_object()) out[k] = subst(x, vars);
    return out;
  }
  return tpl;
}

V js_mul(const V& a, const V& b) {
  if (a.is_int64() && b.is_int64()) return a.as_int64() * b.as_int64();
  return js_number(a) * js_number(b);
}

std::function<V(const V&)> fn_of(const json::object& spec) {
  std::string fn(field(spec, "fn").as_string());
  if (fn == "identity") return [](const V& x) { return x; };
  if (fn == "mul") return [k = field(spec, "k")](const V& x) { return js_mul(x, k); };
  if (fn == "add") return [k = field(spec, "k")](const V& x) { return js_add(x, k); };
  if (fn == "const") return [c = field(spec, "value")](const V&) { return c; };
  if (fn == "tag")
    return [p = field(spec, "prefix")](const V& x) {
      return js_add(p, V(json::string(js_string(x))));
    };
  throw Unsupported("unknown fn " + fn);
}

std::function<bool(const V&)> pred_of(const json::object& spec) {
  std::string fn(field(spec, "fn").as_string());
  if (fn == "is_even") return [](const V& x) { return std::fmod(js_number(x), 2.0) == 0.0; };
  if (fn == "gt") return [k = js_number(field(spec, "k"))](const V& x) { return js_number(x) > k; };
  if (fn == "lt") return [k = js_number(field(spec, "k"))](const V& x) { return js_number(x) < k; };
  if (fn == "identity")
    return [](const V& x) {
      return !(x.is_null() || (x.is_bool() && !x.as_bool()) ||
               (x.is_number() && js_number(x) == 0) || (x.is_string() && x.as_string().empty()));
    };
  throw Unsupported("unknown predicate " + fn);
}

std::function<V(const V&, const V&)> acc_of(const json::object& spec) {
  std::string fn(field(spec, "fn").as_string());
  if (fn == "sum") return [](const V& acc, const V& x) { return js_add(acc, x); };
  if (fn == "max")
    return [](const V& acc, const V& x) { return js_number(x) > js_number(acc) ? x : acc; };
  if (fn == "count") return [](const V& acc, const V&) { return js_add(acc, V(1)); };
  if (fn == "collect") {
    return [](const V& acc, const V& x) -> V {
      if (!acc.is_array()) throw V(json::object());  // acc.concat is not a function
      json::array out = acc.as_array();
      out.push_back(x);
      return out;
    };
  }
  throw Unsupported("unknown accumulator " + fn);
}

// A scripted event {"next": v} / {"error": e} / {"complete": true} delivered to a subscriber or
// a subject.
template <class S>
void deliver(const S& s, const json::object& o) {
  if (auto* n = o.if_contains("next")) {
    s.next(*n);
  } else if (auto* e = o.if_contains("error")) {
    s.error(make_reason(*e));
  } else if (o.contains("complete")) {
    s.complete();
  }
}

using AnySubject = std::variant<Subject<V>, BehaviorSubject<V>, ReplaySubject<V>, AsyncSubject<V>>;

Obs as_json(const Observable<std::vector<V>>& o) {
  return o | map([](const std::vector<V>& v) { return V(json::array(v.begin(), v.end())); });
}
Obs as_json(const Observable<long>& o) {
  return o | map([](long n) { return V(static_cast<std::int64_t>(n)); });
}

// share's reset options: true/false, or a number n for () => timer(n).
ResetPolicy reset_of(const json::object& spec, const char* key, const SchedulerRef& sch) {
  auto* v = spec.if_contains(key);
  if (!v) return true;
  if (v->is_bool()) return v->as_bool();
  return ResetPolicy::after(duration_of(*v), sch);
}

struct Ctx {
  std::shared_ptr<TestScheduler> sch = std::make_shared<TestScheduler>();
  std::map<std::string, AnySubject> subjects;
  std::map<std::string, V> shared_defs;  // gen_rx_ext.js's "shared", built on first "ref"
  std::map<std::string, Obs> shared;

  std::vector<Obs> build_all(const V& list) {
    std::vector<Obs> out;
    for (auto& e : list.as_array()) out.push_back(build(e));
    return out;
  }

  Obs cold(const json::array& events) {
    auto sch_ = sch;
    return Obs([sch_, events](const Subscriber<V>& s) {
      std::vector<Subscription> actions;
      for (auto& ev : events) {
        auto& o = ev.as_object();
        actions.push_back(sch_->schedule(duration_of(field(o, "t")), [s, o] { deliver(s, o); }));
      }
      s.add([actions] {
        for (auto& a : actions) a.unsubscribe();
      });
    });
  }

  Obs build(const V& expr) {
    auto& e = expr.as_object();
    std::string op(field(e, "op").as_string());
    if (op == "of" || op == "from") {
      auto& vals = field(e, "values").as_array();
      return of<V>(std::vector<V>(vals.begin(), vals.end()));
    }
    if (op == "empty") return empty<V>();
    if (op == "never") return never<V>();
    if (op == "throw") return throw_error<V>(field(e, "error"));
    if (op == "interval") return as_json(interval(duration_of(field(e, "period")), sch));
    if (op == "timer") {
      std::optional<Duration> period;
      if (auto* p = e.if_contains("period")) period = duration_of(*p);
      return as_json(timer(duration_of(field(e, "due")), period, sch));
    }
    if (op == "cold") return cold(field(e, "events").as_array());
    if (op == "cold_per_subscription") {
      auto scripts = field(e, "subscriptions").as_array();
      auto n = std::make_shared<std::size_t>(0);
      return defer([this, scripts, n] {
        auto& s = scripts.at(std::min(*n, scripts.size() - 1));
        ++*n;
        return cold(s.as_array());
      });
    }
    if (op == "subject") {
      auto it = subjects.find(std::string(field(e, "id").as_string()));
      if (it == subjects.end()) throw Unsupported("unknown subject");
      return std::visit([](auto& s) { return s.observable(); }, it->second);
    }
    if (op == "merge") return merge(build_all(field(e, "sources")));
    if (op == "concat") return concat(build_all(field(e, "sources")));
    if (op == "zip") return as_json(zip(build_all(field(e, "sources"))));
    if (op == "combine_latest") return as_json(combine_latest(build_all(field(e, "sources"))));
    if (op == "ref") {
      std::string id(field(e, "id").as_string());
      if (auto it = shared.find(id); it != shared.end()) return it->second;
      auto def = shared_defs.find(id);
      if (def == shared_defs.end()) throw Unsupported("unknown shared source " + id);
      Obs o = build(def->second);
      shared.emplace(id, o);
      return o;
    }
    if (op == "pipe") {
      Obs o = build(field(e, "source"));
      for (auto& spec : field(e, "ops").as_array()) o = apply(o, spec.as_object());
      return o;
    }
    throw Unsupported("unknown source op " + op);
  }

  auto projector(const V& tpl) {
    return [this, tpl](const V& v, std::size_t i) {
      return build(subst(tpl, {{"$v", v}, {"$i", V(static_cast<std::int64_t>(i))}}));
    };
  }

  Obs apply(const Obs& o, const json::object& spec) {
    std::string op(field(spec, "op").as_string());
    if (op == "map") return o | map(fn_of(field(spec, "fn").as_object()));
    if (op == "filter") return o | filter(pred_of(field(spec, "fn").as_object()));
    if (op == "take") return o | take(field(spec, "count").to_number<std::size_t>());
    if (op == "skip") return o | skip(field(spec, "count").to_number<std::size_t>());
    if (op == "merge_map" || op == "flat_map") {
      std::size_t concurrent = detail::unbounded;
      if (auto* c = spec.if_contains("concurrent")) concurrent = c->to_number<std::size_t>();
      return o | merge_map(projector(field(spec, "project")), concurrent);
    }
    if (op == "switch_map") return o | switch_map(projector(field(spec, "project")));
    if (op == "concat_map") return o | concat_map(projector(field(spec, "project")));
    if (op == "exhaust_map") return o | exhaust_map(projector(field(spec, "project")));
    if (op == "debounce_time") return o | debounce_time(duration_of(field(spec, "due")), sch);
    if (op == "throttle_time") {
      ThrottleConfig c;
      if (auto* l = spec.if_contains("leading")) c.leading = l->as_bool();
      if (auto* t = spec.if_contains("trailing")) c.trailing = t->as_bool();
      return o | throttle_time(duration_of(field(spec, "duration")), sch, c);
    }
    if (op == "retry") {
      RetryConfig c;
      if (auto* n = spec.if_contains("count")) c.count = n->to_number<std::size_t>();
      if (auto* r = spec.if_contains("reset_on_success")) c.reset_on_success = r->as_bool();
      if (auto* d = spec.if_contains("delay")) {
        c.delay = duration_of(*d);
        c.scheduler = sch;
      }
      if (auto* n = spec.if_contains("delay_notifier")) {
        return o | retry(c, [this, tpl = *n](std::exception_ptr e, std::size_t count) {
                 return build(subst(
                     tpl, {{"$e", error_value(e)}, {"$i", V(static_cast<std::int64_t>(count))}}));
               });
      }
      return o | retry(c);
    }
    if (op == "with_latest_from")
      return as_json(o | with_latest_from(build_all(field(spec, "others"))));
    if (op == "sample") return o | sample(build(field(spec, "notifier")));
    if (op == "sample_time") return o | sample_time(duration_of(field(spec, "period")), sch);
    if (op == "timeout") {
      TimeoutConfig c;
      c.scheduler = sch;
      if (auto* x = spec.if_contains("each")) c.each = duration_of(*x);
      if (auto* x = spec.if_contains("first")) c.first = duration_of(*x);
      auto* with = spec.if_contains("with");
      if (!with) return o | timeout(c);
      return o | timeout(c, [this, tpl = *with](TimeoutInfo<V> info) {
               return build(subst(tpl, {{"$v", info.last_value.value_or(V(nullptr))},
                                        {"$i", V(static_cast<std::int64_t>(info.seen))}}));
             });
    }
    if (op == "share") {
      return o | share(ShareConfig{
                     .reset_on_error = reset_of(spec, "reset_on_error", sch),
                     .reset_on_complete = reset_of(spec, "reset_on_complete", sch),
                     .reset_on_ref_count_zero = reset_of(spec, "reset_on_ref_count_zero", sch)});
    }
    if (op == "share_replay") {
      ShareReplayConfig c;
      c.scheduler = sch;
      if (auto* b = spec.if_contains("buffer_size")) c.buffer_size = b->to_number<std::size_t>();
      if (auto* w = spec.if_contains("window_time")) c.window_time = duration_of(*w);
      if (auto* r = spec.if_contains("ref_count")) c.ref_count = r->as_bool();
      return o | share_replay(c);
    }
    if (op == "observe_on" || op == "subscribe_on") {
      Duration d{};
      if (auto* x = spec.if_contains("delay")) d = duration_of(*x);
      return op == "observe_on" ? o | observe_on(sch, d) : o | subscribe_on(sch, d);
    }
    if (op == "catch_error") {
      V tpl = field(spec, "handler");
      return o | catch_error([this, tpl](std::exception_ptr e) {
               return build(subst(tpl, {{"$e", error_value(e)}}));
             });
    }
    if (op == "start_with") {
      auto& vals = field(spec, "values").as_array();
      return o | start_with(std::vector<V>(vals.begin(), vals.end()));
    }
    if (op == "distinct_until_changed") return o | distinct_until_changed();
    if (op == "scan" || op == "reduce") {
      auto f = acc_of(field(spec, "fn").as_object());
      bool scan_op = op == "scan";
      if (auto* seed = spec.if_contains("seed"))
        return scan_op ? o | scan(f, *seed) : o | reduce(f, *seed);
      return scan_op ? o | scan(f) : o | reduce(f);
    }
    if (op == "buffer_count") {
      std::size_t every = 0;
      if (auto* ev = spec.if_contains("every"); ev && !ev->is_null())
        every = ev->to_number<std::size_t>();
      return as_json(o | buffer_count(field(spec, "size").to_number<std::size_t>(), every));
    }
    if (op == "take_while") return o | take_while(pred_of(field(spec, "fn").as_object()));
    if (op == "buffer_time") return as_json(o | buffer_time(duration_of(field(spec, "span")), sch));
    if (op == "delay") return o | delay(duration_of(field(spec, "due")), sch);
    throw Unsupported("unknown operator " + op);
  }
};

AnySubject make_subject(const json::object& def, const SchedulerRef& sch) {
  std::string kind(field(def, "kind").as_string());
  if (kind == "subject") return Subject<V>();
  if (kind == "behavior")
    return BehaviorSubject<V>(def.contains("initial") ? def.at("initial") : V(nullptr));
  if (kind == "async") return AsyncSubject<V>();
  if (kind == "replay") {
    std::size_t size = ReplaySubject<V>::unbounded;
    std::optional<Duration> window;
    if (auto* b = def.if_contains("buffer_size"); b && !b->is_null())
      size = b->to_number<std::size_t>();
    if (auto* w = def.if_contains("window_time"); w && !w->is_null()) window = duration_of(*w);
    return ReplaySubject<V>(size, window, sch);
  }
  throw Unsupported("unknown subject kind " + kind);
}

}  // namespace

json::object run_observable_scenario(const json::object& scenario) {
  Ctx ctx;
  if (auto* defs = scenario.if_contains("shared")) {
    for (auto& d : defs->as_array()) {
      auto& def = d.as_object();
      ctx.shared_defs.emplace(std::string(field(def, "id").as_string()), field(def, "source"));
    }
  }
  Duration max_time = milliseconds(1000);
  if (auto* m = scenario.if_contains("max_time")) max_time = duration_of(*m);
  if (auto* subs = scenario.if_contains("subjects")) {
    for (auto& d : subs->as_array()) {
      ctx.subjects.emplace(std::string(field(d.as_object(), "id").as_string()),
                           make_subject(d.as_object(), ctx.sch));
    }
  }
  json::array subscribers;
  if (auto* s = scenario.if_contains("subscribers")) {
    subscribers = s->as_array();
  } else {
    json::object main;
    main["id"] = "main";
    main["at"] = 0;
    main["source"] = field(scenario, "source");
    subscribers.push_back(std::move(main));
  }
  auto events = std::make_shared<json::object>();
  auto handles = std::make_shared<std::map<std::string, Subscription>>();
  std::vector<Obs> sources;
  // Built up front, so an unknown op is reported before anything runs.
  for (auto& sub : subscribers) sources.push_back(ctx.build(field(sub.as_object(), "source")));
  auto sch = ctx.sch;
  for (std::size_t i = 0; i < subscribers.size(); ++i) {
    auto& def = subscribers[i].as_object();
    std::string id(field(def, "id").as_string());
    (*events)[id] = json::array();
    Duration at{};
    if (auto* a = def.if_contains("at")) at = duration_of(*a);
    sch->schedule(at, [events, handles, id, sch, src = sources[i]] {
      auto record = [events, id, sch](const char* kind, const V* value) {
        json::object ev;
        ev["t"] = ms_of(sch->now());
        ev["kind"] = kind;
        if (value) ev["value"] = *value;
        (*events)[id].as_array().push_back(std::move(ev));
      };
      Observer<V> o;
      o.next = [record](const V& v) { record("next", &v); };
      o.error = [record](std::exception_ptr e) {
        V v = error_value(e);
        record("error", &v);
      };
      o.complete = [record] { record("complete", nullptr); };
      handles->insert_or_assign(id, src.subscribe(std::move(o)));
    });
  }
  if (auto* subs = scenario.if_contains("subjects")) {
    for (auto& d : subs->as_array()) {
      auto& def = d.as_object();
      AnySubject subj = ctx.subjects.at(std::string(field(def, "id").as_string()));
      if (auto* script = def.if_contains("script")) {
        for (auto& ev : script->as_array()) {
          auto& o = ev.as_object();
          sch->schedule(duration_of(field(o, "t")),
                        [subj, o] { std::visit([&](auto& x) { deliver(x, o); }, subj); });
        }
      }
    }
  }
  for (auto& sub : subscribers) {
    auto& def = sub.as_object();
    auto* until = def.if_contains("until");
    if (!until || until->is_null()) continue;
    std::string id(field(def, "id").as_string());
    sch->schedule(duration_of(*until), [handles, id] {
      if (auto it = handles->find(id); it != handles->end()) it->second.unsubscribe();
    });
  }
  sch->flush(max_time);
  for (auto& [id, h] : *handles) h.unsubscribe();  // endless sources: release their state
  sch->clear();  // and what nobody can unsubscribe (a share connection kept running)
  json::object r;
  r["events"] = *events;
  return r;
}

}  // namespace strata::rx::conformance

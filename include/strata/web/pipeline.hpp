// The request pipeline's stages, in NestJS's order: middleware -> guards -> interceptors
// (before) -> pipes (extraction and validation) -> handler -> interceptors (after, in reverse)
// -> exception filters. Each stage can be global (App), per controller or per route.
//
//   class Timing : public web::Interceptor {                 // map the reply: add a header
//     Task<web::Reply> intercept(web::Context& ctx, web::Next next) override {
//       auto start = std::chrono::steady_clock::now();
//       web::Reply r = co_await next.handle();
//       r.headers.set("x-response-time", std::to_string(
//           (std::chrono::steady_clock::now() - start).count()));
//       co_return r;
//     }
//   };
//   class Cors : public web::Middleware {                    // short-circuit before routing
//     Task<http::Response> use(http::Request& req, web::MiddlewareNext next) override {
//       if (req.method == http::Method::options) co_return
//       http::Response(http::StatusCode::no_content); co_return co_await next.run();
//     }
//   };
//
// A guard that returns false answers 403 ("Forbidden resource"); one that throws answers what it
// threw (UnauthorizedException: 401). An exception filter sees every exception of the stages
// after middleware; the first filter (route, then controller, then global) that returns a
// response wins; otherwise HttpException gives its own body and anything else a 500.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <span>

#include "strata/http/request.hpp"
#include "strata/http/response.hpp"
#include "strata/rt/task.hpp"
#include "strata/web/context.hpp"
#include "strata/web/reply.hpp"

namespace strata::web {

class Next;

// Decides whether the request goes on to the handler.
class Guard {
 public:
  virtual ~Guard() = default;
  virtual Task<bool> can_activate(Context& ctx) = 0;
};

// Wraps the handler: may change the reply, replace it, or answer without calling next.
class Interceptor {
 public:
  virtual ~Interceptor() = default;
  virtual Task<Reply> intercept(Context& ctx, Next next) = 0;
};

// Turns an exception into a response, or declines (nullopt) so the next filter tries.
class ExceptionFilter {
 public:
  virtual ~ExceptionFilter() = default;
  virtual std::optional<http::Response> catch_exception(std::exception_ptr error, Context& ctx) = 0;
};

// Runs before routing on the raw request (CORS, rate limits, request ids, logging).
class MiddlewareNext;
class Middleware {
 public:
  virtual ~Middleware() = default;
  virtual Task<http::Response> use(http::Request& req, MiddlewareNext next) = 0;
};

// The rest of the interceptor chain, then the handler. handle() may be called once.
class Next {
 public:
  struct Chain {
    std::span<Interceptor* const> interceptors;
    Task<Reply> (*terminal)(void* state, Context& ctx);
    void* state;
  };
  Next(const Chain& chain, std::size_t index, Context& ctx) noexcept
      : chain_(&chain), index_(index), ctx_(&ctx) {}
  Task<Reply> handle() {
    if (index_ < chain_->interceptors.size())
      return chain_->interceptors[index_]->intercept(*ctx_, Next(*chain_, index_ + 1, *ctx_));
    return chain_->terminal(chain_->state, *ctx_);
  }

 private:
  const Chain* chain_;
  std::size_t index_;
  Context* ctx_;
};

// The rest of the middleware chain, then routing. run() may be called once.
class MiddlewareNext {
 public:
  struct Chain {
    std::span<Middleware* const> middleware;
    Task<http::Response> (*terminal)(void* state, http::Request& req);
    void* state;
  };
  MiddlewareNext(const Chain& chain, std::size_t index, http::Request& req) noexcept
      : chain_(&chain), index_(index), req_(&req) {}
  Task<http::Response> run() {
    if (index_ < chain_->middleware.size())
      return chain_->middleware[index_]->use(*req_, MiddlewareNext(*chain_, index_ + 1, *req_));
    return chain_->terminal(chain_->state, *req_);
  }

 private:
  const Chain* chain_;
  std::size_t index_;
  http::Request* req_;
};

// A filter for one exception type E: `f(const E&, Context&) -> std::optional<http::Response>`.
template <class E, class F>
class CatchFilter final : public ExceptionFilter {
 public:
  explicit CatchFilter(F f) : f_(std::move(f)) {}
  std::optional<http::Response> catch_exception(std::exception_ptr error, Context& ctx) override {
    try {
      std::rethrow_exception(error);
    } catch (const E& e) {
      return f_(e, ctx);
    } catch (...) {
      return std::nullopt;
    }
  }

 private:
  F f_;
};
template <class E, class F>
std::shared_ptr<ExceptionFilter> catch_filter(F f) {
  return std::make_shared<CatchFilter<E, F>>(std::move(f));
}

}  // namespace strata::web

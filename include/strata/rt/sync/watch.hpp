// watch: a channel that holds only the latest value; receivers wait for changes
// (tokio::sync::watch). For state that many tasks follow: configuration, health, "shutting down".
//
//   struct Config { int port = 80; };
//
//   auto [tx, rx] = sync::watch::channel(Config{});
//   tx.send_modify([](Config& c) { c.port = 8080; });        // or tx.send(new_config)
//   // a watcher:
//   while ((co_await rx.changed()).has_value()) {            // Errc::closed when the senders
//     Config now = *rx.borrow_and_update();                  // are gone
//     use(now.port);
//   }
//
// - Each Receiver remembers the version it has seen. changed() completes at once if the current
//   value is unseen, else when a new value is sent; it marks the value seen. Several sends
//   between two changed() calls coalesce: the receiver sees only the latest value.
// - changed() fails with Errc::closed once every Sender is gone and the current value is seen.
//   send() fails (handing the value back, not storing it) when no Receiver exists; send_replace()
//   and send_modify() always store.
// - borrow() returns a Ref holding a read lock on the value: keep it short, and never hold it
//   across co_await (the task may resume on another thread, and senders would block meanwhile).
// - Cancellation: changed() only marks the value seen in the poll that returns it; dropping it
//   unlinks its waiter in O(1).
// Thread-safe; Senders and Receivers are copyable (a copied Receiver starts with the same seen
// version). Futures must not outlive the handle that created them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>

#include "strata/rt/detail/atomic.hpp"
#include "strata/rt/error.hpp"
#include "strata/rt/future.hpp"
#include "strata/rt/sync/detail/counted_ref.hpp"
#include "strata/rt/sync/error.hpp"
#include "strata/rt/sync/notify.hpp"

namespace strata::sync::watch {

namespace detail {

template <class T>
struct Shared {
  template <class U>
  explicit Shared(U&& v) : value(std::forward<U>(v)) {}

  std::shared_mutex mu;  // guards `value`; `version` changes only under the exclusive lock
  T value;
  strata::detail::Atomic<std::uint64_t> version{0};
  strata::detail::Atomic<std::size_t> senders{1};
  strata::detail::Atomic<std::size_t> receivers{1};
  strata::detail::Atomic<bool> closed{false};  // every Sender is gone
  Notify value_changed;                        // receivers in changed()
  Notify receivers_gone;                       // senders in closed()
};

// How Senders and Receivers count themselves (sync::detail::CountedRef). The last Sender gone
// closes the channel and wakes changed(); the last Receiver gone wakes closed().
struct SenderCount {
  template <class S>
  static void acquire(S& sh) noexcept {
    sh.senders.fetch_add(1);
  }
  template <class S>
  static void release(S& sh) noexcept {
    if (sh.senders.fetch_sub(1) != 1) return;
    sh.closed.store(true);
    sh.value_changed.notify_waiters();
  }
};
struct ReceiverCount {
  template <class S>
  static void acquire(S& sh) noexcept {
    sh.receivers.fetch_add(1);
  }
  template <class S>
  static void release(S& sh) noexcept {
    if (sh.receivers.fetch_sub(1) == 1) sh.receivers_gone.notify_waiters();
  }
};

}  // namespace detail

// A read-locked view of the current value. Do not hold it across co_await.
template <class T>
class Ref {
 public:
  const T& operator*() const noexcept { return *v_; }
  const T* operator->() const noexcept { return v_; }
  // borrow_and_update(): whether this value was unseen before the call.
  bool has_changed() const noexcept { return changed_; }

 private:
  template <class U>
  friend class Sender;
  template <class U>
  friend class Receiver;
  Ref(std::shared_lock<std::shared_mutex> l, const T* v, bool changed) noexcept
      : lock_(std::move(l)), v_(v), changed_(changed) {}
  std::shared_lock<std::shared_mutex> lock_;
  const T* v_;
  bool changed_;
};

template <class T>
class Receiver;

// The sending half; copy it for more producers. The channel closes when every copy is gone.
template <class T>
class Sender {
  using Shared = detail::Shared<T>;

 public:
  // Stores `value` and notifies the receivers; fails (handing it back) when none exists.
  SendResult<T> send(T value) {
    if (sh_->receivers.load() == 0) return std::unexpected(SendError<T>(std::move(value)));
    send_replace(std::move(value));
    return {};
  }
  // Stores `value` even without receivers; returns the previous value.
  T send_replace(T value) {
    {
      std::unique_lock lock(sh_->mu);
      std::swap(value, sh_->value);
      sh_->version.fetch_add(1);
    }
    sh_->value_changed.notify_waiters();
    return value;
  }
  // Modifies the value in place (under the write lock) and notifies the receivers.
  template <class F>
  void send_modify(F&& modify) {
    send_if_modified([&](T& v) {
      std::forward<F>(modify)(v);
      return true;
    });
  }
  // Like send_modify(), but notifies only if `modify` returns true (the value changed).
  template <class F>
  bool send_if_modified(F&& modify) {
    {
      std::unique_lock lock(sh_->mu);
      if (!std::forward<F>(modify)(sh_->value)) return false;
      sh_->version.fetch_add(1);
    }
    sh_->value_changed.notify_waiters();
    return true;
  }

  Ref<T> borrow() const {
    std::shared_lock lock(sh_->mu);
    return Ref<T>(std::move(lock), &sh_->value, false);
  }
  // A new receiver; the current value counts as seen.
  Receiver<T> subscribe() const {
    sh_->receivers.fetch_add(1);
    std::shared_lock lock(sh_->mu);
    return Receiver<T>(sh_.shared(), sh_->version.load());
  }
  std::size_t receiver_count() const noexcept { return sh_->receivers.load(); }
  // True when no receiver exists (send() would fail).
  bool is_closed() const noexcept { return receiver_count() == 0; }

  // A future that completes when every receiver is gone.
  class [[nodiscard]] Closed {
   public:
    Closed(Closed&&) noexcept = default;
    Poll<void> poll(Context& cx) {
      for (;;) {
        if (!notified_) notified_.emplace(sh_->receivers_gone.notified());
        if (sh_->receivers.load() == 0) return ready;
        if (notified_->poll(cx).is_pending()) return pending;
        notified_.reset();
      }
    }

   private:
    friend class Sender;
    explicit Closed(Shared* sh) noexcept : sh_(sh) {}
    Shared* sh_;
    std::optional<Notify::Notified> notified_;
  };
  Closed closed() noexcept { return Closed(sh_.get()); }

 private:
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(U);
  explicit Sender(std::shared_ptr<Shared> sh) noexcept : sh_(std::move(sh)) {}

  sync::detail::CountedRef<Shared, detail::SenderCount> sh_;
};

// A receiving half with its own "seen" version. Copyable.
template <class T>
class Receiver {
  using Shared = detail::Shared<T>;

 public:
  // The current value, without marking it seen.
  Ref<T> borrow() const {
    std::shared_lock lock(sh_->mu);
    bool changed = sh_->version.load() != seen_;
    return Ref<T>(std::move(lock), &sh_->value, changed);
  }
  // The current value, marking it seen.
  Ref<T> borrow_and_update() {
    std::shared_lock lock(sh_->mu);
    std::uint64_t v = sh_->version.load();
    bool changed = v != seen_;
    seen_ = v;
    return Ref<T>(std::move(lock), &sh_->value, changed);
  }
  // Whether an unseen value is there; Errc::closed when not and every sender is gone.
  Result<bool> has_changed() const {
    if (sh_->version.load() != seen_) return true;
    if (sh_->closed.load()) return fail(Errc::closed, "watch: senders dropped");
    return false;
  }
  // The next changed() completes at once.
  void mark_changed() noexcept { seen_ = sh_->version.load() - 1; }
  void mark_unchanged() noexcept { seen_ = sh_->version.load(); }

  // The future returned by changed(). Movable only before its first poll.
  class [[nodiscard]] Changed {
   public:
    Changed(Changed&&) noexcept = default;
    Poll<Result<void>> poll(Context& cx) {
      auto& sh = *rx_->sh_;
      for (;;) {
        // Created before the checks, so a send in between is not missed.
        if (!notified_) notified_.emplace(sh.value_changed.notified());
        std::uint64_t v = sh.version.load();
        if (v != rx_->seen_) {
          rx_->seen_ = v;
          return Result<void>{};
        }
        if (sh.closed.load()) return Result<void>(fail(Errc::closed, "watch: senders dropped"));
        if (notified_->poll(cx).is_pending()) return pending;
        notified_.reset();
      }
    }

   private:
    friend class Receiver;
    explicit Changed(Receiver* rx) noexcept : rx_(rx) {}
    Receiver* rx_;
    std::optional<Notify::Notified> notified_;
  };
  // Waits for a value this receiver has not seen, and marks it seen.
  Changed changed() noexcept { return Changed(this); }

  bool same_channel(const Receiver& o) const noexcept { return sh_.get() == o.sh_.get(); }

 private:
  friend class Sender<T>;
  template <class U>
  friend std::pair<Sender<U>, Receiver<U>> channel(U);
  Receiver(std::shared_ptr<Shared> sh, std::uint64_t seen) noexcept
      : sh_(std::move(sh)), seen_(seen) {}

  sync::detail::CountedRef<Shared, detail::ReceiverCount> sh_;
  std::uint64_t seen_;
};

// A channel holding `initial`, which the first receiver counts as seen.
template <class T>
std::pair<Sender<T>, Receiver<T>> channel(T initial) {
  auto sh = std::make_shared<detail::Shared<T>>(std::move(initial));
  return {Sender<T>(sh), Receiver<T>(sh, 0)};
}

}  // namespace strata::sync::watch

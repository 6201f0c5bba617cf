// Intrusive wait lists for the sync primitives: the node of a waiting task lives inside the
// future that waits (which never moves after its first poll), so waiting allocates nothing.
//
// Every list is guarded by its primitive's lock. Wakers are never woken or dropped under that lock:
// a wake or the last drop of a waker may free a task cell, whose output may own a handle to the
// very same primitive. `WakeList` collects wakers under the lock and wakes them after it.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <mutex>
#include <utility>

#include "strata/rt/waker.hpp"

namespace strata::sync::detail {

// A link of a circular doubly-linked list; unlinked when `next` is null.
struct Link {
  Link* prev = nullptr;
  Link* next = nullptr;

  bool linked() const noexcept { return next != nullptr; }
  void unlink() noexcept {
    prev->next = next;
    next->prev = prev;
    prev = next = nullptr;
  }
};

// A FIFO of nodes (types deriving from Link). The list object is the sentinel, so it must not move
// while it holds nodes; a node unlinks itself without knowing which list holds it.
template <class Node>
class WaitList {
 public:
  WaitList() noexcept { head_.prev = head_.next = &head_; }
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;
  ~WaitList() { assert(empty() && "a wait list was destroyed with waiters in it"); }

  bool empty() const noexcept { return head_.next == &head_; }
  Node* front() noexcept { return empty() ? nullptr : static_cast<Node*>(head_.next); }

  void push_back(Node* n) noexcept {
    Link* l = n;
    assert(!l->linked());
    l->prev = head_.prev;
    l->next = &head_;
    head_.prev->next = l;
    head_.prev = l;
  }
  Node* pop_front() noexcept {
    if (empty()) return nullptr;
    Link* l = head_.next;
    l->unlink();
    return static_cast<Node*>(l);
  }
  // Moves every node of `other` to the back of this list, in order.
  void take_all(WaitList& other) noexcept {
    if (other.empty()) return;
    Link* first = other.head_.next;
    Link* last = other.head_.prev;
    other.head_.prev = other.head_.next = &other.head_;
    first->prev = head_.prev;
    last->next = &head_;
    head_.prev->next = first;
    head_.prev = last;
  }

 private:
  Link head_;
};

// Wakers collected under a lock, woken after it is released (a fixed batch: no allocation).
class WakeList {
 public:
  static constexpr std::size_t kCapacity = 32;

  WakeList() noexcept = default;
  WakeList(const WakeList&) = delete;
  WakeList& operator=(const WakeList&) = delete;
  ~WakeList() { wake_all(); }

  bool full() const noexcept { return n_ == kCapacity; }
  void push(Waker&& w) noexcept {
    assert(!full());
    if (w) wakers_[n_++] = std::move(w);
  }
  void wake_all() noexcept {
    for (std::size_t i = 0; i < n_; ++i) std::move(wakers_[i]).wake();
    n_ = 0;
  }

 private:
  std::array<Waker, kCapacity> wakers_;
  std::size_t n_ = 0;
};

// Empties `list` (nodes already spliced out of the primitive's own list, so that waiters arriving
// meanwhile are not included), calling `take(node)` under `lock` for each node after unlinking
// it; `take` returns the waker to wake. Wakes in batches with the lock released, and returns with
// the lock held. A node's owner may unlink it (under the lock) while the lock is released.
template <class Node, class Lock, class Take>
void drain_and_wake(WaitList<Node>& list, std::unique_lock<Lock>& lock, Take&& take) {
  WakeList wakes;
  while (!list.empty()) {
    while (!wakes.full()) {
      Node* n = list.pop_front();
      if (!n) break;
      wakes.push(take(n));
    }
    lock.unlock();
    wakes.wake_all();
    lock.lock();
  }
}

}  // namespace strata::sync::detail

// Intrusive FIFO of tasks through TaskHeader::queue_next; the building block of run queues and
// of the injection queue. Not thread-safe: callers lock (or own) it.
#pragma once

#include <cstddef>

#include "strata/rt/detail/task_cell.hpp"

namespace strata::detail {

struct TaskQueue {
  TaskHeader* head = nullptr;
  TaskHeader* tail = nullptr;
  std::size_t len = 0;

  bool empty() const noexcept { return head == nullptr; }
  void push(TaskHeader* t) noexcept {
    t->queue_next = nullptr;
    if (tail) {
      tail->queue_next = t;
    } else {
      head = t;
    }
    tail = t;
    ++len;
  }
  TaskHeader* pop() noexcept {
    TaskHeader* t = head;
    if (!t) return nullptr;
    head = t->queue_next;
    if (!head) tail = nullptr;
    t->queue_next = nullptr;
    --len;
    return t;
  }
  // Moves every task of `o` to the back of this queue.
  void append(TaskQueue& o) noexcept {
    if (!o.head) return;
    if (tail) {
      tail->queue_next = o.head;
    } else {
      head = o.head;
    }
    tail = o.tail;
    len += o.len;
    o = {};
  }
};

}  // namespace strata::detail

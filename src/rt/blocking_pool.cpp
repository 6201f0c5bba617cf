// The spawn_blocking() pool: a locked FIFO of task cells and threads started on demand.
#include <pthread.h>

#include <thread>

#include "strata/rt/blocking.hpp"

namespace strata::detail {

BlockingPool::BlockingPool(std::string thread_name, std::uint32_t max_threads, Duration keep_alive)
    : thread_name_(std::move(thread_name)),
      max_threads_(max_threads ? max_threads : 1),
      keep_alive_(keep_alive) {}

bool BlockingPool::enqueue(TaskHeader* t) noexcept {
  bool start_thread = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    t->queue_next = nullptr;
    if (tail_) {
      tail_->queue_next = t;
    } else {
      head_ = t;
    }
    tail_ = t;
    ++queued_;
    if (idle_ == 0 && threads_ < max_threads_) {
      ++threads_;
      start_thread = true;
    }
  }
  if (!start_thread) {
    work_cv_.notify_one();
    return true;
  }
  ref();  // the thread's reference, released when it exits
  try {
    std::thread([this] { thread_main(); }).detach();
  } catch (...) {
    // Could not start a thread: an existing one (if any) will take the call later.
    std::lock_guard lock(mu_);
    --threads_;
    unref();
  }
  return true;
}

bool BlockingPool::bind(TaskHeader* t) noexcept {
  return enqueue(t);
}

void BlockingPool::schedule(TaskHeader* t) noexcept {
  // Only abort() wakes a blocking task: queue it so that it is cancelled; after shutdown the
  // shutdown path has already cancelled it.
  (void)enqueue(t);
}

void BlockingPool::thread_main() noexcept {
  {
    std::string name = thread_name_.substr(0, 8) + "-blk";
    pthread_setname_np(pthread_self(), name.c_str());
  }
  std::unique_lock lock(mu_);
  for (;;) {
    if (TaskHeader* t = head_) {
      head_ = t->queue_next;
      if (!head_) tail_ = nullptr;
      --queued_;
      lock.unlock();
      if (task_run(t) == RunResult::complete) t->unref();
      lock.lock();
      continue;
    }
    if (closed_) break;
    ++idle_;
    bool woke = work_cv_.wait_for(lock, keep_alive_, [&] { return head_ != nullptr || closed_; });
    --idle_;
    if (!woke) break;  // idle for keep_alive: shrink
  }
  --threads_;
  exit_cv_.notify_all();
  lock.unlock();
  unref();
}

void BlockingPool::shutdown(Instant deadline) noexcept {
  TaskHeader* queued;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    queued = head_;
    head_ = tail_ = nullptr;
    queued_ = 0;
  }
  work_cv_.notify_all();
  while (TaskHeader* t = queued) {
    queued = t->queue_next;
    task_shutdown(t);
    t->unref();
  }
  std::unique_lock lock(mu_);
  if (deadline == Instant::max()) {
    exit_cv_.wait(lock, [&] { return threads_ == 0; });
  } else {
    exit_cv_.wait_until(lock, deadline, [&] { return threads_ == 0; });
  }
}

std::size_t BlockingPool::threads() const {
  std::lock_guard lock(mu_);
  return threads_;
}

std::size_t BlockingPool::queue_depth() const {
  std::lock_guard lock(mu_);
  return queued_;
}

}  // namespace strata::detail

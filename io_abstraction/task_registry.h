// TaskRegistry: owns the root tasks a Runtime spawned. A root's frame is
// destroyed when it finishes, or by destroy_all() when its node stops; the
// runtimes of both worlds use this, so "a crash drops all volatile work"
// means the same thing in the simulator and in prod.
#pragma once

#include <coroutine>
#include <cstdint>
#include <map>

#include "io_abstraction/task.h"

namespace tessera {

class TaskRegistry {
 public:
  TaskRegistry() = default;
  TaskRegistry(const TaskRegistry&) = delete;
  TaskRegistry& operator=(const TaskRegistry&) = delete;
  ~TaskRegistry() { destroy_all(); }

  // Starts task at once; it runs until its first suspension.
  void start(Task<void> task) {
    Root root = run(std::move(task));
    const uint64_t id = next_id_++;
    root.handle.promise().registry = this;
    root.handle.promise().id = id;
    roots_.emplace(id, root.handle);
    root.handle.resume();
  }

  // Destroys every live root (and the tasks they await), oldest first.
  void destroy_all() {
    auto roots = std::move(roots_);
    roots_.clear();
    for (auto& [id, h] : roots) h.destroy();
  }

  size_t size() const { return roots_.size(); }

 private:
  struct Root {
    struct promise_type {
      TaskRegistry* registry = nullptr;
      uint64_t id = 0;
      Root get_return_object() { return Root{std::coroutine_handle<promise_type>::from_promise(*this)}; }
      std::suspend_always initial_suspend() const noexcept { return {}; }
      auto final_suspend() const noexcept {
        struct Final {
          bool await_ready() const noexcept { return false; }
          void await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
            h.promise().registry->finished(h.promise().id);
          }
          void await_resume() const noexcept {}
        };
        return Final{};
      }
      void return_void() const noexcept {}
      void unhandled_exception() const noexcept { std::terminate(); }
    };
    std::coroutine_handle<promise_type> handle;
  };

  static Root run(Task<void> task) { co_await std::move(task); }

  void finished(uint64_t id) {
    auto it = roots_.find(id);
    ASSERT(it != roots_.end());
    auto h = it->second;
    roots_.erase(it);
    h.destroy();
  }

  std::map<uint64_t, std::coroutine_handle<Root::promise_type>> roots_;
  uint64_t next_id_ = 1;
};

}  // namespace tessera

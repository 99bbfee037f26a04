// Task<T>: a lazily started C++20 coroutine. Awaiting a task starts it and
// resumes the awaiter (by symmetric transfer, no stack growth) when it
// finishes. Exceptions are not part of the contract: a throw escaping a
// task terminates the process. Errors travel as Status/Result values.
//
// Ownership: a Task owns its coroutine frame and destroys it. Destroying a
// suspended task destroys the whole chain of tasks it is awaiting; the
// runtimes rely on this to drop a crashed node's work in one step.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "io_abstraction/assert.h"

namespace tessera {

namespace detail {

struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
    auto next = h.promise().continuation;
    return next ? next : std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() const noexcept { std::terminate(); }
};

// Where a finished task keeps its result until the awaiter takes it.
template <typename T>
struct ResultSlot {
  std::optional<T> value;
  template <typename U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  T take() {
    ASSERT(value.has_value());
    return std::move(*value);
  }
};

template <>
struct ResultSlot<void> {
  void return_void() const noexcept {}
  void take() const noexcept {}
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
 public:
  struct promise_type : detail::PromiseBase, detail::ResultSlot<T> {
    Task get_return_object() { return Task(Handle::from_promise(*this)); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task() = default;
  explicit Task(Handle h) : handle_(h) {}
  Task(Task&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) { reset(); handle_ = std::exchange(o.handle_, nullptr); }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const { return handle_ != nullptr; }

  auto operator co_await() && noexcept {
    struct Awaiter {
      Handle h;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h.promise().continuation = awaiting;
        return h;
      }
      T await_resume() { return h.promise().take(); }
    };
    ASSERT(handle_ != nullptr);
    return Awaiter{handle_};
  }

 private:
  void reset() {
    if (handle_) handle_.destroy();
    handle_ = nullptr;
  }
  Handle handle_;
};

}  // namespace tessera

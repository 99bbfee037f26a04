// Combinators over Task: when_all, for_each_bounded, first_k_of_n (any-k
// reads, hedged requests) and with_timeout. Sub-tasks run as roots on the runtime; a
// combinator that returns early leaves the losers running to completion
// (every IO has a deadline, so they end) and ignores their results.
#pragma once

#include <algorithm>
#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io_abstraction/runtime.h"
#include "io_abstraction/status.h"

namespace tessera {
namespace detail {

// A one-shot wake-up: the awaiting coroutine is resumed through the loop,
// never inline, so completion order is an event like any other.
struct Wakeup {
  std::coroutine_handle<> waiter;
  bool fired = false;

  void fire(Runtime& rt) {
    if (fired) return;
    fired = true;
    if (waiter) {
      auto h = waiter;
      rt.post_after(Duration{0}, [h] { h.resume(); });
    }
  }
  auto wait() {
    struct Awaiter {
      Wakeup& w;
      bool await_ready() const noexcept { return w.fired; }
      void await_suspend(std::coroutine_handle<> h) noexcept { w.waiter = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this};
  }
};

}  // namespace detail

// Runs all tasks concurrently; returns their results in input order.
template <typename T>
Task<std::vector<T>> when_all(Runtime& rt, std::vector<Task<T>> tasks) {
  struct State {
    std::vector<std::optional<T>> results;
    size_t remaining = 0;
    detail::Wakeup done;
  };
  auto state = std::make_shared<State>();
  state->results.resize(tasks.size());
  state->remaining = tasks.size();
  if (tasks.empty()) co_return std::vector<T>{};
  for (size_t i = 0; i < tasks.size(); ++i) {
    rt.spawn([](Runtime& rt, std::shared_ptr<State> s, size_t i, Task<T> t) -> Task<void> {
      s->results[i].emplace(co_await std::move(t));
      if (--s->remaining == 0) s->done.fire(rt);
    }(rt, state, i, std::move(tasks[i])));
  }
  co_await state->done.wait();
  std::vector<T> out;
  out.reserve(state->results.size());
  for (auto& r : state->results) out.push_back(std::move(*r));
  co_return out;
}

namespace detail {
template <typename T>
Task<bool> bounded_worker(const std::function<Task<T>(size_t)>* fn, size_t count, size_t* next,
                          std::vector<std::optional<T>>* out) {
  while (*next < count) {
    const size_t i = (*next)++;
    (*out)[i].emplace(co_await (*fn)(i));
  }
  co_return true;
}
}  // namespace detail

// Runs fn(0) .. fn(count - 1) with at most in_flight running at once, a
// sliding window (one slow call holds up only its own slot); returns the
// results in index order.
template <typename T>
Task<std::vector<T>> for_each_bounded(Runtime& rt, size_t count, size_t in_flight,
                                      std::function<Task<T>(size_t)> fn) {
  std::vector<std::optional<T>> results(count);
  size_t next = 0;
  std::vector<Task<bool>> workers;
  for (size_t w = 0; w < std::min(in_flight, count); ++w) {
    workers.push_back(detail::bounded_worker(&fn, count, &next, &results));
  }
  co_await when_all(rt, std::move(workers));
  std::vector<T> out;
  out.reserve(count);
  for (auto& r : results) out.push_back(std::move(*r));
  co_return out;
}

// Succeeds with the first k successes as (input index, value) in completion
// order; fails as soon as more than n - k tasks have failed.
template <typename T>
Task<Result<std::vector<std::pair<size_t, T>>>> first_k_of_n(Runtime& rt,
                                                             std::vector<Task<Result<T>>> tasks,
                                                             size_t k) {
  using Out = std::vector<std::pair<size_t, T>>;
  struct State {
    Out successes;
    size_t failures = 0;
    Status last_failure;
    detail::Wakeup done;
  };
  const size_t n = tasks.size();
  if (k > n) {
    co_return Status(Code::kInvalidArgument,
                     "first_k_of_n: need " + std::to_string(k) + " of " + std::to_string(n));
  }
  if (k == 0) co_return Out{};
  auto state = std::make_shared<State>();
  for (size_t i = 0; i < n; ++i) {
    rt.spawn([](Runtime& rt, std::shared_ptr<State> s, size_t i, size_t k, size_t n,
                Task<Result<T>> t) -> Task<void> {
      Result<T> r = co_await std::move(t);
      if (s->done.fired) co_return;
      if (r.is_ok()) {
        s->successes.emplace_back(i, std::move(r).value());
        if (s->successes.size() == k) s->done.fire(rt);
      } else {
        s->last_failure = r.status();
        if (++s->failures > n - k) s->done.fire(rt);
      }
    }(rt, state, i, k, n, std::move(tasks[i])));
  }
  co_await state->done.wait();
  if (state->successes.size() >= k) co_return std::move(state->successes);
  co_return Status(Code::kUnavailable, std::to_string(state->failures) + " of " +
                                           std::to_string(n) + " failed, needed " +
                                           std::to_string(k) + "; last: " +
                                           state->last_failure.to_string());
}

// The task's result, or kTimeout if it has not finished within d.
template <typename T>
Task<Result<T>> with_timeout(Runtime& rt, Task<Result<T>> task, Duration d) {
  struct State {
    std::optional<Result<T>> result;
    detail::Wakeup done;
  };
  auto state = std::make_shared<State>();
  rt.spawn([](Runtime& rt, std::shared_ptr<State> s, Task<Result<T>> t) -> Task<void> {
    Result<T> r = co_await std::move(t);
    if (s->done.fired) co_return;
    s->result.emplace(std::move(r));
    s->done.fire(rt);
  }(rt, state, std::move(task)));
  rt.post_after(d, [&rt, state] {
    if (state->done.fired) return;
    state->result.emplace(Status(Code::kTimeout, "deadline exceeded"));
    state->done.fire(rt);
  });
  co_await state->done.wait();
  co_return std::move(*state->result);
}

}  // namespace tessera

// The runtime: one single-threaded event loop per node. All protocol code
// runs on it, as coroutines (Task<T>) or callbacks. The simulator gives every
// virtual node its own Runtime over one virtual clock; prod gives each
// process one Runtime over an Asio io_context.
//
// Contract for implementations:
// - now() never goes backwards.
// - post_after() runs the callback on the loop no earlier than now()+delay,
//   callbacks with equal deadlines in the order they were posted. When a node
//   stops (a crash in the simulator, shutdown in prod), pending callbacks
//   are dropped, never run.
// - spawn() starts a root task at once (it runs until its first suspension
//   before spawn returns) and owns its frame until it finishes or the node
//   stops; stopping destroys every root, and with it every task it awaits.
// - offload() runs pure CPU work off the loop (a thread pool in prod, inline
//   in the simulator), then runs done on the loop.
#pragma once

#include <coroutine>
#include <functional>
#include <optional>
#include <utility>

#include "io_abstraction/random.h"
#include "io_abstraction/task.h"
#include "io_abstraction/types.h"

namespace tessera {

using Callback = std::function<void()>;

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual Instant now() const = 0;
  // Wall-clock milliseconds since the Unix epoch, for timestamps users see
  // (Last-Modified). Never used to order events: that is now()'s job. The
  // simulator derives it from now() and a fixed epoch.
  virtual int64_t unix_ms() const = 0;
  virtual void post_after(Duration delay, Callback cb) = 0;
  virtual void spawn(Task<void> task) = 0;
  virtual void offload(std::function<void()> work, Callback done) = 0;
  // The node's seeded stream; in the simulator derived from (seed, node).
  virtual Random& random() = 0;
};

// co_await sleep(rt, d): resumes on the loop after d.
inline auto sleep(Runtime& rt, Duration d) {
  struct Awaiter {
    Runtime& rt;
    Duration d;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { rt.post_after(d, [h] { h.resume(); }); }
    void await_resume() const noexcept {}
  };
  return Awaiter{rt, d};
}

// co_await offload(rt, fn): runs fn() off the loop and returns its result.
template <typename Fn>
auto offload(Runtime& rt, Fn fn) -> Task<decltype(fn())> {
  using R = decltype(fn());
  struct Awaiter {
    Runtime& rt;
    Fn& fn;
    std::optional<R> out;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      rt.offload([this] { out.emplace(fn()); }, [h] { h.resume(); });
    }
    R await_resume() { return std::move(*out); }
  };
  co_return co_await Awaiter{rt, fn, std::nullopt};
}

}  // namespace tessera

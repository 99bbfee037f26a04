// BodyBudget: the bytes of request bodies that all requests of a process
// may hold in memory at once. A request charges the budget before it reads
// body bytes from its socket, so at the cap socket reads pause (TCP pushes
// back on the client) instead of memory growing. Waiters are served first
// come, first served. A wait has a deadline: when every holder is itself
// waiting (many uploads each part-way into a stripe), the oldest waiter
// gives up with 503 SlowDown, which SDKs retry, and frees what it held.
//
// Invariant: in_use() <= bytes_max() at all times.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "io_abstraction/combinators.h"
#include "io_abstraction/runtime.h"
#include "io_abstraction/status.h"
#include "prod/s3/core_s3.h"

namespace tessera::prod::s3 {

class BodyBudget {
 public:
  BodyBudget(Runtime& rt, uint64_t bytes_max);
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Takes n bytes (n <= bytes_max), waiting behind earlier waiters for at
  // most deadline. SlowDown when the deadline passed first; nothing is
  // then taken.
  Task<Status> acquire(uint64_t n, Duration deadline);
  // Returns n bytes taken by acquire.
  void release(uint64_t n);

  uint64_t bytes_max() const { return state_->bytes_max; }
  uint64_t in_use() const { return state_->in_use; }
  uint64_t waits_total() const { return state_->waits_total; }
  uint64_t wait_timeouts_total() const { return state_->wait_timeouts_total; }

 private:
  struct Waiter {
    uint64_t bytes = 0;
    bool granted = false;
    bool timed_out = false;
    detail::Wakeup wakeup;
  };
  // Shared with the deadline callbacks, which may outlive a wait.
  struct State {
    uint64_t bytes_max = 0;
    uint64_t in_use = 0;
    uint64_t waits_total = 0;
    uint64_t wait_timeouts_total = 0;
    std::deque<std::shared_ptr<Waiter>> waiters;
  };
  // Grants waiters from the front while they fit.
  static void grant(Runtime& rt, State& s);

  Runtime& rt_;
  std::shared_ptr<State> state_;
};

}  // namespace tessera::prod::s3

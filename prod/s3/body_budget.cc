#include "prod/s3/body_budget.h"

#include <algorithm>

#include "io_abstraction/assert.h"
#include "core/s3/s3_error.h"

namespace tessera::prod::s3 {

BodyBudget::BodyBudget(Runtime& rt, uint64_t bytes_max) : rt_(rt), state_(std::make_shared<State>()) {
  ASSERT(bytes_max > 0);
  state_->bytes_max = bytes_max;
}

void BodyBudget::grant(Runtime& rt, State& s) {
  while (!s.waiters.empty() && s.in_use + s.waiters.front()->bytes <= s.bytes_max) {
    std::shared_ptr<Waiter> w = std::move(s.waiters.front());
    s.waiters.pop_front();
    s.in_use += w->bytes;
    w->granted = true;
    w->wakeup.fire(rt);
  }
  ASSERT(s.in_use <= s.bytes_max);
}

Task<Status> BodyBudget::acquire(uint64_t n, Duration deadline) {
  State& s = *state_;
  ASSERT(n <= s.bytes_max);
  if (s.waiters.empty() && s.in_use + n <= s.bytes_max) {
    s.in_use += n;
    co_return Status::ok();
  }
  ++s.waits_total;
  auto w = std::make_shared<Waiter>();
  w->bytes = n;
  s.waiters.push_back(w);
  rt_.post_after(deadline, [&rt = rt_, state = state_, w] {
    if (w->granted) return;
    w->timed_out = true;
    auto& q = state->waiters;
    q.erase(std::remove(q.begin(), q.end(), w), q.end());
    ++state->wait_timeouts_total;
    w->wakeup.fire(rt);
    // The one that left may have been holding up smaller ones behind it.
    grant(rt, *state);
  });
  co_await w->wakeup.wait();
  ASSERT(w->granted != w->timed_out);
  if (w->timed_out) {
    co_return s3_status("SlowDown", "the server holds as many request bodies in memory as it may; retry");
  }
  co_return Status::ok();
}

void BodyBudget::release(uint64_t n) {
  State& s = *state_;
  ASSERT(n <= s.in_use);
  s.in_use -= n;
  grant(rt_, s);
}

}  // namespace tessera::prod::s3

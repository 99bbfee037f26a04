// AsioRuntime: the production Runtime over one Asio io_context (the event
// loop, run by one thread) and a CPU thread pool behind offload(). Pending
// callbacks are dropped once stop() has been called.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <memory>

#include "io_abstraction/runtime.h"
#include "io_abstraction/task_registry.h"

namespace tessera::prod {

class AsioRuntime final : public Runtime {
 public:
  // cpu_threads: size of the offload pool (>= 1).
  AsioRuntime(boost::asio::io_context& io, unsigned cpu_threads, uint64_t seed);
  ~AsioRuntime() override;

  Instant now() const override;
  int64_t unix_ms() const override;
  void post_after(Duration delay, Callback cb) override;
  void spawn(Task<void> task) override;
  void offload(std::function<void()> work, Callback done) override;
  Random& random() override { return random_; }

  // Drops pending callbacks, waits for offloaded work, destroys root tasks.
  // Call with the loop no longer running.
  void stop();
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context& io_;
  boost::asio::thread_pool cpu_pool_;
  std::chrono::steady_clock::time_point epoch_;
  Random random_;
  TaskRegistry roots_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Seed for prod randomness: from the OS, never fixed.
uint64_t os_random_seed();

}  // namespace tessera::prod

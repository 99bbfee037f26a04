// BlockingExecutor: runs blocking calls (file IO with fsync, RocksDB) on a
// small thread pool of their own and resumes the awaiting task on the
// event loop. One per disk, so a slow disk does not stall the others.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <coroutine>
#include <optional>

#include "io_abstraction/task.h"

namespace tessera::prod {

class BlockingExecutor {
 public:
  BlockingExecutor(boost::asio::io_context& io, unsigned threads) : io_(io), pool_(threads) {}
  ~BlockingExecutor() { pool_.join(); }

  // co_await run(fn): fn() runs on the pool; its result is returned on the loop.
  template <typename Fn>
  auto run(Fn fn) -> Task<decltype(fn())> {
    using R = decltype(fn());
    struct Awaiter {
      BlockingExecutor& ex;
      Fn& fn;
      std::optional<R> out;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) {
        // The guard keeps io.run() from returning while the call is on
        // the pool: the loop has a completion still to come.
        boost::asio::post(ex.pool_, [this, h, guard = boost::asio::make_work_guard(ex.io_)] {
          out.emplace(fn());
          boost::asio::post(ex.io_, [h] { h.resume(); });
        });
      }
      R await_resume() { return std::move(*out); }
    };
    co_return co_await Awaiter{*this, fn, std::nullopt};
  }

  void join() { pool_.join(); }

 private:
  boost::asio::io_context& io_;
  boost::asio::thread_pool pool_;
};

}  // namespace tessera::prod

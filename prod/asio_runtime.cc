#include "prod/asio_runtime.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <random>

namespace tessera::prod {

uint64_t os_random_seed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}

AsioRuntime::AsioRuntime(boost::asio::io_context& io, unsigned cpu_threads, uint64_t seed)
    : io_(io), cpu_pool_(cpu_threads == 0 ? 1 : cpu_threads),
      epoch_(std::chrono::steady_clock::now()), random_(seed) {}

AsioRuntime::~AsioRuntime() { stop(); }

Instant AsioRuntime::now() const {
  const auto elapsed = std::chrono::steady_clock::now() - epoch_;
  return Instant{std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()};
}

int64_t AsioRuntime::unix_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AsioRuntime::post_after(Duration delay, Callback cb) {
  if (delay.us <= 0) {
    boost::asio::post(io_, [alive = alive_, cb = std::move(cb)] {
      if (*alive) cb();
    });
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::microseconds(delay.us));
  timer->async_wait([timer, alive = alive_, cb = std::move(cb)](const boost::system::error_code&) {
    if (*alive) cb();
  });
}

void AsioRuntime::spawn(Task<void> task) {
  if (!*alive_) return;  // stopped: the task is destroyed unstarted
  roots_.start(std::move(task));
}

void AsioRuntime::offload(std::function<void()> work, Callback done) {
  boost::asio::post(cpu_pool_, [this, alive = alive_, work = std::move(work), done = std::move(done),
                                guard = boost::asio::make_work_guard(io_)]() mutable {
    work();
    boost::asio::post(io_, [alive, done = std::move(done)] {
      if (*alive) done();
    });
  });
}

void AsioRuntime::stop() {
  if (!*alive_) return;
  *alive_ = false;
  cpu_pool_.join();
  roots_.destroy_all();
}

}  // namespace tessera::prod

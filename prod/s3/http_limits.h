// What one HTTP client may hold of the server: time (header, body and send
// deadlines), connections and request-body memory. Every bound is a flag
// of tessera-server with a safe default and a metric.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

namespace tessera::prod::s3 {

struct HttpLimits {
  uint32_t idle_timeout_s = 60;    // a kept-alive connection waiting for its next request
  uint32_t header_timeout_s = 20;  // from a request's first byte to the end of its header
  uint32_t body_timeout_s = 20;    // no request-body byte for this long: 400 RequestTimeout
  uint32_t send_timeout_s = 60;    // a response write that moves nothing for this long is cut
  size_t connections_max = 1000;   // beyond: 503 SlowDown and close
  uint64_t body_buffer_bytes_max = 256ull << 20;  // request-body bytes in memory, all requests
  // The most one request holds of its body at once (the gateway's stripes
  // in flight plus read buffers); it charges the budget up to this.
  uint64_t body_bytes_per_request_max = 34ull << 20;
};

struct HttpCounters {
  uint64_t connections_open = 0;
  uint64_t connections_refused_total = 0;
  uint64_t header_timeouts_total = 0;
  uint64_t body_timeouts_total = 0;
  uint64_t send_timeouts_total = 0;
};

// Cuts a socket operation that moves no byte for too long. One timer per
// exchange, re-armed only when it fires, so a busy transfer costs nothing
// per read; progress is counted at operation boundaries (a read_some ends
// with the first bytes that arrive; writes go out in bounded pieces).
class ProgressWatchdog {
 public:
  explicit ProgressWatchdog(boost::beast::tcp_stream& stream);
  ~ProgressWatchdog();
  ProgressWatchdog(const ProgressWatchdog&) = delete;
  ProgressWatchdog& operator=(const ProgressWatchdog&) = delete;

  // Around each socket operation: begin arms the deadline, end is progress.
  void begin(uint32_t limit_s);
  void end();
  // The last operation was cancelled for want of progress.
  bool fired() const { return s_->fired; }

 private:
  using Clock = std::chrono::steady_clock;
  struct State {
    bool alive = true;
    bool active = false;
    bool armed = false;
    bool fired = false;
    Clock::time_point last;
    std::chrono::seconds limit{0};
    boost::beast::tcp_stream* stream = nullptr;
    boost::asio::steady_timer timer;
    explicit State(boost::beast::tcp_stream& s) : stream(&s), timer(s.get_executor()) {}
  };
  static void arm(const std::shared_ptr<State>& s, Clock::time_point at);

  std::shared_ptr<State> s_;
};

}  // namespace tessera::prod::s3

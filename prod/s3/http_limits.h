// What one HTTP client may hold of the server: time (header, body and send
// deadlines), connections and request-body memory. Every bound is a flag
// of tessera-server with a safe default and a metric.
#pragma once

#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>
#include "prod/s3/core_s3.h"

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

// Cuts socket operations that move no byte for too long. One sweep per
// server (every second, HttpServer's ticker) looks at every live
// operation, so an operation costs two clock reads and no timer of its
// own; a deadline fires within a second after it passes. Progress is
// counted at operation boundaries (a read_some ends with the first bytes
// that arrive; writes go out in bounded pieces).
class ProgressWatchdogs {
 public:
  using Clock = std::chrono::steady_clock;
  struct Operation {
    bool active = false;
    bool fired = false;
    Clock::time_point last;
    Clock::duration limit{};
    boost::beast::tcp_stream* stream = nullptr;
  };
  // A new exchange's slot; the registry forgets it when it is released.
  std::shared_ptr<Operation> add(boost::beast::tcp_stream& stream);
  // Cancels the socket operations past their deadline; returns how many.
  size_t sweep(Clock::time_point now);
  size_t live() const { return ops_.size(); }

 private:
  std::vector<std::weak_ptr<Operation>> ops_;
};

// One exchange's view: begin before each socket operation, end after it.
class ProgressWatchdog {
 public:
  ProgressWatchdog(ProgressWatchdogs& all, boost::beast::tcp_stream& stream) : op_(all.add(stream)) {}
  ProgressWatchdog(const ProgressWatchdog&) = delete;
  ProgressWatchdog& operator=(const ProgressWatchdog&) = delete;

  void begin(uint32_t limit_s);
  void end();
  // The last operation was cancelled for want of progress.
  bool fired() const { return op_->fired; }

 private:
  std::shared_ptr<ProgressWatchdogs::Operation> op_;
};

}  // namespace tessera::prod::s3

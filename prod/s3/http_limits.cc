#include "prod/s3/http_limits.h"

#include "io_abstraction/assert.h"

namespace tessera::prod::s3 {

std::shared_ptr<ProgressWatchdogs::Operation> ProgressWatchdogs::add(boost::beast::tcp_stream& stream) {
  auto op = std::make_shared<Operation>();
  op->stream = &stream;
  ops_.push_back(op);
  return op;
}

size_t ProgressWatchdogs::sweep(Clock::time_point now) {
  size_t fired = 0, kept = 0;
  for (size_t i = 0; i < ops_.size(); ++i) {
    std::shared_ptr<Operation> op = ops_[i].lock();
    if (!op) continue;  // its exchange is gone
    if (op->active && !op->fired && now - op->last >= op->limit) {
      op->fired = true;
      boost::system::error_code ignored;
      op->stream->socket().cancel(ignored);
      ++fired;
    }
    // Not onto itself: a self-move of a weak_ptr empties it (libstdc++ 12).
    if (kept != i) ops_[kept] = std::move(ops_[i]);
    ++kept;
  }
  ops_.resize(kept);
  return fired;
}

void ProgressWatchdog::begin(uint32_t limit_s) {
  ASSERT(!op_->active);
  ASSERT(limit_s > 0);
  op_->active = true;
  op_->fired = false;
  op_->last = ProgressWatchdogs::Clock::now();
  op_->limit = std::chrono::seconds(limit_s);
}

void ProgressWatchdog::end() {
  op_->active = false;
  op_->last = ProgressWatchdogs::Clock::now();
}

}  // namespace tessera::prod::s3

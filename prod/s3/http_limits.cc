#include "prod/s3/http_limits.h"

#include "io_abstraction/assert.h"

namespace tessera::prod::s3 {

ProgressWatchdog::ProgressWatchdog(boost::beast::tcp_stream& stream) : s_(std::make_shared<State>(stream)) {}

ProgressWatchdog::~ProgressWatchdog() {
  // A handler already queued sees alive false and touches nothing else.
  s_->alive = false;
  s_->timer.cancel();
}

void ProgressWatchdog::begin(uint32_t limit_s) {
  ASSERT(!s_->active);
  ASSERT(limit_s > 0);
  s_->active = true;
  s_->fired = false;
  s_->last = Clock::now();
  s_->limit = std::chrono::seconds(limit_s);
  // Re-arm when not armed, or armed later than this limit allows (a
  // shorter limit after a longer one); re-arming cancels the old wait.
  if (!s_->armed || s_->timer.expiry() > s_->last + s_->limit) arm(s_, s_->last + s_->limit);
}

void ProgressWatchdog::end() {
  s_->active = false;
  s_->last = Clock::now();
}

void ProgressWatchdog::arm(const std::shared_ptr<State>& s, Clock::time_point at) {
  s->armed = true;
  s->timer.expires_at(at);
  s->timer.async_wait([s](boost::system::error_code ec) {
    if (!s->alive || ec) return;
    s->armed = false;
    if (!s->active) return;  // idle between operations: the next begin re-arms
    const Clock::time_point due = s->last + s->limit;
    if (Clock::now() < due) {
      arm(s, due);
      return;
    }
    s->fired = true;
    boost::system::error_code ignored;
    s->stream->socket().cancel(ignored);
  });
}

}  // namespace tessera::prod::s3

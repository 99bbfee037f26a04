#include "sim/sim_world.h"

#include <algorithm>
#include <utility>

#include "io_abstraction/assert.h"
#include "sim/hash.h"

namespace tessera::sim {

SimWorld::SimWorld(uint32_t node_count) : incarnations_(node_count, 0) {}

void SimWorld::schedule(Duration delay, EventKind kind, uint32_t owner, uint32_t incarnation,
                        uint64_t detail, Callback cb) {
  ASSERT(delay.us >= 0);
  ASSERT(owner == kWorldOwner || owner < incarnations_.size());
  if (perturb_at_ != 0 && events_ >= perturb_at_) {
    delay = delay + Duration::micros(1);
    perturb_at_ = 0;
  }
  heap_.push_back(Event{now_ + delay, seq_++, detail, owner, incarnation, kind, std::move(cb)});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

bool SimWorld::step() {
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Event ev = std::move(heap_.back());
  heap_.pop_back();
  ASSERT(ev.at >= now_);
  now_ = ev.at;
  if (ev.owner != kWorldOwner && ev.incarnation != kAnyIncarnation &&
      ev.incarnation != incarnations_[ev.owner]) {
    return true;  // the node crashed since: its volatile work is gone
  }
  ++events_;
  uint64_t h = mix64(hash_, static_cast<uint64_t>(ev.at.us));
  h = mix64(h, (static_cast<uint64_t>(ev.owner) << 8) | static_cast<uint64_t>(ev.kind));
  hash_ = mix64(h, ev.detail);
  ev.cb();
  if (observer_) observer_(events_, hash_, now_);
  return true;
}

void SimWorld::run_until(Instant t) {
  while (!stop_requested_ && !heap_.empty() && heap_.front().at <= t) step();
  if (!stop_requested_ && now_ < t) now_ = t;
}

}  // namespace tessera::sim

// SimWorld: the simulator kernel. One event queue ordered by (virtual time,
// sequence), one virtual clock, and a hash chain that every executed event
// extends. A run is a pure function of (build, scenario, seed); nothing here
// reads the wall clock.
//
// Events belong either to the world (faults, checkers) or to one node's
// incarnation. When a node crashes its incarnation moves on and its pending
// events are skipped without running or hashing.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "io_abstraction/types.h"

namespace tessera::sim {

using Callback = std::function<void()>;

enum class EventKind : uint8_t {
  kTimer = 1,     // a node's post_after / sleep / disk or kv completion
  kDeliver = 2,   // a network message arriving
  kFault = 3,     // the fault injector
  kControl = 4,   // phases, checkers
};

inline constexpr uint32_t kWorldOwner = UINT32_MAX;
inline constexpr uint32_t kAnyIncarnation = UINT32_MAX;

class SimWorld {
 public:
  // Called after every executed event with its index (from 1) and the chain.
  using EventObserver = std::function<void(uint64_t index, uint64_t hash, Instant at)>;

  explicit SimWorld(uint32_t node_count);
  SimWorld(const SimWorld&) = delete;
  SimWorld& operator=(const SimWorld&) = delete;

  Instant now() const { return now_; }
  uint64_t hash() const { return hash_; }
  uint64_t events() const { return events_; }
  size_t pending() const { return heap_.size(); }

  // Runs cb at now()+delay for owner (a node index or kWorldOwner). An event
  // of a node runs only while that node is still in `incarnation`
  // (kAnyIncarnation: whatever incarnation it is in then). detail is hashed.
  void schedule(Duration delay, EventKind kind, uint32_t owner, uint32_t incarnation,
                uint64_t detail, Callback cb);

  uint32_t incarnation(uint32_t node) const { return incarnations_[node]; }
  // Ends the node's current incarnation: its pending events will be skipped.
  void bump_incarnation(uint32_t node) { ++incarnations_[node]; }

  // Pops the next event and runs it, or skips it when its node's
  // incarnation has ended. False when the queue is empty.
  bool step();
  // Runs every event due at or before t, then sets the clock to t; returns
  // early (clock where it is) once request_stop() was called.
  void run_until(Instant t);
  void request_stop() { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

  void set_observer(EventObserver observer) { observer_ = std::move(observer); }
  // Test-only: from event index n on, scheduling adds 1 us of delay once, a
  // deliberately non-deterministic change that replay must detect.
  void perturb_at_event(uint64_t n) { perturb_at_ = n; }

 private:
  struct Event {
    Instant at;
    uint64_t seq;
    uint64_t detail;
    uint32_t owner;
    uint32_t incarnation;
    EventKind kind;
    Callback cb;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  Instant now_{0};
  uint64_t seq_ = 0;
  uint64_t hash_ = 0x6A09E667F3BCC908ull;
  uint64_t events_ = 0;
  uint64_t perturb_at_ = 0;
  bool stop_requested_ = false;
  std::vector<Event> heap_;
  std::vector<uint32_t> incarnations_;
  EventObserver observer_;
};

}  // namespace tessera::sim

// SimRuntime: one virtual node's Runtime over the shared SimWorld. The
// object lives as long as the node slot; each crash ends an incarnation,
// destroys every root task and drops every pending callback of it.
#pragma once

#include "io_abstraction/runtime.h"
#include "io_abstraction/task_registry.h"
#include "sim/sim_world.h"

namespace tessera::sim {

class SimRuntime final : public Runtime {
 public:
  SimRuntime(SimWorld& world, uint32_t node, uint64_t seed)
      : world_(world), node_(node), random_(seed) {}

  Instant now() const override { return world_.now(); }
  // 2026-01-01T00:00:00Z plus virtual time: the same for every seed.
  int64_t unix_ms() const override { return 1767225600000 + world_.now().us / 1000 + skew_ms_; }
  // The wall clock reads this far off true time from now on (a clock_skew fault).
  void set_clock_skew(int64_t offset_ms) { skew_ms_ = offset_ms; }
  void post_after(Duration delay, Callback cb) override {
    if (stopping_) return;  // posted by a destructor of a dying task
    world_.schedule(delay, EventKind::kTimer, node_, world_.incarnation(node_), 0, std::move(cb));
  }
  void spawn(Task<void> task) override {
    if (stopping_) return;  // the task is destroyed unstarted
    roots_.start(std::move(task));
  }
  // Inline: CPU work costs no virtual time (yet); done runs as an event.
  void offload(std::function<void()> work, Callback done) override {
    work();
    post_after(Duration{0}, std::move(done));
  }
  Random& random() override { return random_; }

  // Ends the current incarnation: pending callbacks are skipped, every root
  // task (and what it awaits) is destroyed.
  void stop() {
    world_.bump_incarnation(node_);
    // Destructors of dying tasks (lock guards, say) may post or spawn; none
    // of it may reach the next incarnation.
    stopping_ = true;
    roots_.destroy_all();
    stopping_ = false;
  }
  size_t live_tasks() const { return roots_.size(); }
  uint32_t node() const { return node_; }

 private:
  SimWorld& world_;
  uint32_t node_;
  Random random_;
  TaskRegistry roots_;
  bool stopping_ = false;
  int64_t skew_ms_ = 0;
};

}  // namespace tessera::sim

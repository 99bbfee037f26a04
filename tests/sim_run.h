// Test helpers for small simulated worlds.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "scenario.pb.h"
#include "sim/sim_runtime.h"
#include "sim/sim_world.h"

namespace tessera::testing {

// Runs a task on a simulated node until it finishes and returns its result;
// fails the test if the world runs out of events first.
template <typename T>
T run_in_sim(sim::SimWorld& world, sim::SimRuntime& rt, Task<T> task) {
  std::optional<T> out;
  rt.spawn([](Task<T> t, std::optional<T>& o) -> Task<void> { o.emplace(co_await std::move(t)); }(
      std::move(task), out));
  while (!out && world.step()) {
  }
  EXPECT_TRUE(out.has_value()) << "the simulation ran out of events before the task finished";
  ASSERT(out.has_value());
  return std::move(*out);
}

// Lets virtual time pass on rt's node (and every event due meanwhile run).
inline void pass_time_in_sim(sim::SimWorld& world, sim::SimRuntime& rt, Duration d) {
  run_in_sim(world, rt, [](Runtime& rt, Duration d) -> Task<bool> {
    co_await sleep(rt, d);
    co_return true;
  }(rt, d));
}

// Models with uniform latency in [min_us, max_us] for every link class and
// for reads and writes: small, fast worlds for unit tests.
inline proto::NetworkModel uniform_network(uint64_t min_us, uint64_t max_us) {
  proto::NetworkModel m;
  for (auto* r : {m.mutable_same_rack(), m.mutable_same_zone(), m.mutable_cross_zone()}) {
    r->set_min_us(min_us);
    r->set_max_us(max_us);
  }
  return m;
}
inline proto::DiskModel uniform_disk(uint64_t min_us, uint64_t max_us) {
  proto::DiskModel m;
  for (auto* r : {m.mutable_read(), m.mutable_write()}) {
    r->set_min_us(min_us);
    r->set_max_us(max_us);
  }
  return m;
}

}  // namespace tessera::testing

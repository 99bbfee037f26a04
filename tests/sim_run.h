// Test helper: runs a task on a simulated node until it finishes and
// returns its result. Fails the test if the world runs out of events first.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "sim/sim_runtime.h"
#include "sim/sim_world.h"

namespace tessera::testing {

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

}  // namespace tessera::testing

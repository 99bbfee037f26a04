// Runs one scenario with one seed, in two phases: safety (faults on) and
// liveness (faults healed, progress demanded), then drains in-flight work
// and asks the workload's checkers for violations.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "replay.pb.h"
#include "scenario.pb.h"
#include "sim/sim_world.h"

namespace tessera::sim {

struct RunResult {
  std::string scenario;
  uint64_t seed = 0;
  uint64_t events = 0;
  int64_t virtual_ms = 0;
  uint64_t hash = 0;
  uint64_t violation_count = 0;
  std::vector<std::string> violations;  // the first few, each naming its checker
  std::string stats;                    // workload, network and fault counters
  bool stopped_early = false;           // an observer asked to stop
};

// Hooks for recording and replaying a run.
struct RunControl {
  // Sees every executed event (optional).
  SimWorld::EventObserver observer;
  // Polled after every event: true stops the run (replay divergence).
  std::function<bool()> should_stop;
};

// scenario must be valid (validate_scenario).
RunResult run_scenario(const proto::Scenario& scenario, uint64_t seed,
                       const proto::RunOptions& options, const RunControl& control = {});

// The one-line JSON summary tessera-sim prints.
std::string summary_json(const RunResult& result);
std::string hex64(uint64_t v);

}  // namespace tessera::sim

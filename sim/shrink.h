// Shrinking a failing run: fewer scheduled faults, lower fault rates, fewer
// clients, while the same checker still fails on the same seed. What is
// left is the smallest run this greedy search found that still shows the
// bug, for a person to read (tessera-replay --shrink).
#pragma once

#include <cstdint>
#include <string>

#include "replay.pb.h"
#include "scenario.pb.h"

namespace tessera::sim {

struct ShrinkResult {
  bool failed_at_all = false;  // the original run had a violation to keep
  std::string checker;         // the checker whose violation was kept
  proto::Scenario scenario;    // the smallest that still fails
  uint64_t runs = 0;           // runs the search took
  std::string summary;         // one line: what was removed
};

// The checker a violation message names ("placement: ..." -> "placement").
std::string checker_of(const std::string& violation);

// At most runs_max runs of seed under options.
ShrinkResult shrink_run(const proto::Scenario& scenario, uint64_t seed, const proto::RunOptions& options,
                        uint64_t runs_max);

}  // namespace tessera::sim

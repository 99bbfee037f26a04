// Sampling a LatencyRange: uniform in [min, max], or with chance slow_ppm a
// slow outlier in (max, slow_max]. Used by the network and disk models.
#pragma once

#include "io_abstraction/random.h"
#include "io_abstraction/types.h"
#include "scenario.pb.h"

namespace tessera::sim {

inline Duration sample_latency(Random& random, const proto::LatencyRange& range) {
  uint64_t us = random.between(range.min_us(), range.max_us());
  if (random.chance_ppm(range.slow_ppm())) us = random.between(range.max_us() + 1, range.slow_max_us());
  return Duration::micros(static_cast<int64_t>(us));
}

}  // namespace tessera::sim

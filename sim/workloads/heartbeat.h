// heartbeat: an idle cluster. Every node heartbeats its next `peers` ring
// successors and runs a failure detector over them. Checker:
//  - failure_detector_liveness: once faults heal and a suspect window has
//    passed, no node suspects a peer that is up.
#pragma once

#include <memory>

#include "sim/workload.h"

namespace tessera::sim {

std::unique_ptr<Workload> make_heartbeat(const proto::HeartbeatWorkload& config, uint32_t nodes);

}  // namespace tessera::sim

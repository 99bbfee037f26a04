// What the simulator knows and the services cannot: which disks live and
// what they hold. Checkers judge the data path against it: availability
// (a PUT may fail only when no placement existed) and disk state
// (placement stops choosing a dead disk once it could know).
#pragma once

#include <cstdint>
#include <vector>

#include "core/placement/placement.h"
#include "scenario.pb.h"
#include "sim/cluster.h"
#include "sim/workload.h"

namespace tessera::sim {

// Whether the stripes of a PUT of size bytes have a placement (k+m under
// the level) on the disks that live, with room, on nodes up. Near full,
// PUTs in flight hold room the disks do not show yet (the gateway counts
// it, the truth cannot): nothing is owed once the live disks are 90% full,
// and a disk's room counts above 10% of it.
bool placement_exists(SimCluster& cluster, const std::vector<DiskInfo>& disks, const proto::ObjectsWorkload& c,
                      FailureDomain level, size_t size);

// No fragment write reached a disk dead longer than `learn`; returns the
// fullest any of the nodes' disks got, in per cent of its capacity.
uint64_t check_disks(SimCluster& cluster, const std::vector<NodeId>& nodes, Duration learn, Violations& out);

}  // namespace tessera::sim

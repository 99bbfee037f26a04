// objects: the S3 data path under the scenario's faults. Node 0 runs the
// gateway (ObjectGateway) over a single-replica metadata store on its own
// kv; nodes 1.. run the storage service over their disks. Client loops on
// node 0 PUT, GET and DELETE keys of one bucket; ObjectsChecker judges
// every read, and after healing reads every key back (durability).
#pragma once

#include <memory>

#include "sim/workload.h"

namespace tessera::sim {

// broken_variant (test only): "placement_ignores_racks" places by disk while
// the checker demands the scenario's level; "read_skips_checksum" serves
// and accepts fragments unverified; "commit_before_fragments" commits
// metadata before fragment writes are acknowledged;
// "repair_rebuilds_wrong_bytes" writes rebuilt fragments with another
// index's bytes (and a checksum over them).
std::unique_ptr<Workload> make_objects(const proto::Scenario& scenario, uint32_t nodes,
                                       const std::string& broken_variant);
// The names make_objects knows.
std::vector<std::string> objects_broken_variants();

}  // namespace tessera::sim

// The repair checker's audit, run once repair has converged: every stripe
// the metadata references is looked up on the simulated disks themselves
// (not through the storage service, so a service bug cannot hide one).
// Each fragment must be present and verify, and the data fragments must
// re-encode to the stored parity (a rebuilt fragment with a valid checksum
// over the wrong bytes is caught here).
#pragma once

#include <vector>

#include "core/repair/repairer.h"
#include "sim/cluster.h"
#include "sim/workload.h"

namespace tessera::sim {

void audit_stripes(const std::vector<Repairer::ReferencedStripe>& stripes, SimCluster& cluster, Violations& out);

// The space checker, once garbage collection and the orphan sweep have
// quiesced: every fragment blob on every disk belongs to one of stripes.
void check_no_orphans(const std::vector<Repairer::ReferencedStripe>& stripes, SimCluster& cluster, Violations& out);

}  // namespace tessera::sim

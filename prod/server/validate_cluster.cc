// Whether a cluster file can run: roles, ids, addresses, the profile and
// enough disks for it.
#include <set>

#include "core/placement/placement.h"
#include "prod/server/roles.h"

namespace tessera::prod {

std::string validate_cluster(const proto::ClusterFile& c) {
  if (c.nodes().empty()) return "the cluster file names no nodes";
  std::set<uint32_t> ids;
  uint32_t gateways = 0, metadata_nodes = 0, disks = 0, storage_nodes = 0;
  for (const auto& n : c.nodes()) {
    if (!ids.insert(n.id()).second) return "node id " + std::to_string(n.id()) + " appears twice";
    if (n.role() == "gateway") {
      ++gateways;
      if (n.s3_port() == 0) return "gateway node " + std::to_string(n.id()) + " needs s3_port";
    } else if (n.role() == "storage") {
      ++storage_nodes;
      if (n.disks() == 0) return "storage node " + std::to_string(n.id()) + " needs disks";
      disks += n.disks();
    } else if (n.role() == "metadata") {
      ++metadata_nodes;
    } else {
      return "node " + std::to_string(n.id()) + ": role must be gateway, metadata or storage, not '" + n.role() + "'";
    }
    if (n.address().empty() || n.port() == 0 || n.port() > 65535) {
      return "node " + std::to_string(n.id()) + " needs address and port";
    }
  }
  if (metadata_nodes == 2 || metadata_nodes == 4 || metadata_nodes > 5) {
    return "metadata nodes: 1 (a single replica), or 3 or 5 (a Raft group, which survives losing 1 or 2); found " +
           std::to_string(metadata_nodes);
  }
  if (gateways == 0) return "the cluster file names no gateway";
  if (metadata_nodes == 0 && gateways > 1) {
    return "without a metadata node the metadata lives inside the gateway, so there can be only one; found " +
           std::to_string(gateways) + " gateways";
  }
  if (c.k() < 1 || c.m() < 1 || c.k() + c.m() > 32) return "need 1 <= k, 1 <= m and k + m <= 32";
  if (!parse_failure_domain(c.failure_domain())) {
    return "failure_domain must be disk, node, rack or zone, not '" + c.failure_domain() + "'";
  }
  if (disks < c.k() + c.m()) {
    return "k + m = " + std::to_string(c.k() + c.m()) + " needs at least that many disks; the file has " +
           std::to_string(disks) + " on " + std::to_string(storage_nodes) + " storage nodes";
  }
  return "";
}

}  // namespace tessera::prod

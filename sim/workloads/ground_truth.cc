#include "sim/workloads/ground_truth.h"

#include <algorithm>
#include <string>

#include "core/invariants.h"
#include "core/placement/placement_index.h"
#include "core/stripe/stripe_store.h"

namespace tessera::sim {

bool placement_exists(SimCluster& cluster, const std::vector<DiskInfo>& disks, const proto::ObjectsWorkload& c,
                      FailureDomain level, size_t size) {
  if (size <= c.inline_bytes_max()) return true;  // inline: no disk needed
  const uint64_t stripe = std::min<uint64_t>(size, c.part_bytes());
  const uint64_t fragment = (stripe + c.k() - 1) / c.k() + kFragmentHeaderBytesMax;
  std::vector<DiskInfo> truth = disks;
  uint64_t used = 0, capacity = 0;
  for (DiskInfo& d : truth) {
    const SimDisk& disk = cluster.disk(d.ref.node, d.ref.disk);
    d.writable = cluster.up(d.ref.node) && !disk.dead();
    if (d.writable) used += disk.used_bytes(), capacity += d.capacity_bytes;
    d.used_bytes = std::min(disk.used_bytes() + d.capacity_bytes / 10, d.capacity_bytes);
  }
  if (used * 10 > capacity * 9) return false;
  return PlacementIndex(std::move(truth)).pick(PlacementRequest{c.k(), c.m(), level, 0, fragment}).is_ok();
}

uint64_t check_disks(SimCluster& cluster, const std::vector<NodeId>& nodes, Duration learn, Violations& out) {
  uint64_t peak_pct = 0;
  for (NodeId n : nodes) {
    for (uint32_t d = 0; d < cluster.disks_per_node(); ++d) {
      const SimDisk& disk = cluster.disk(n.value, d);
      peak_pct = std::max(peak_pct, disk.peak_used_bytes() * 100 / std::max<uint64_t>(1, disk.capacity_bytes()));
      if (disk.longest_dead_write() <= learn) continue;
      out.add(invariant::kPlacement, "a fragment write went to node " + std::to_string(n.value) + " disk " +
                                         std::to_string(d) + " " +
                                         std::to_string(disk.longest_dead_write().millis_count()) +
                                         " ms after it died (placement should know within " +
                                         std::to_string(learn.millis_count()) + " ms)");
    }
  }
  return peak_pct;
}

}  // namespace tessera::sim

#include "core/placement/placement.h"

#include <algorithm>
#include <map>

#include "core/placement/placement_index.h"

namespace tessera {
namespace {

constexpr uint64_t kFillSteps = uint64_t{1} << 20;

}  // namespace

const char* failure_domain_name(FailureDomain level) {
  switch (level) {
    case FailureDomain::kDisk: return "disk";
    case FailureDomain::kNode: return "node";
    case FailureDomain::kRack: return "rack";
    case FailureDomain::kZone: return "zone";
  }
  return "unknown";
}

std::optional<FailureDomain> parse_failure_domain(std::string_view name) {
  for (FailureDomain level : {FailureDomain::kDisk, FailureDomain::kNode, FailureDomain::kRack, FailureDomain::kZone}) {
    if (name == failure_domain_name(level)) return level;
  }
  return std::nullopt;
}

uint64_t failure_domain_of(const DiskInfo& d, FailureDomain level) {
  switch (level) {
    case FailureDomain::kDisk: return (uint64_t{d.ref.node} << 32) | d.ref.disk;
    case FailureDomain::kNode: return d.ref.node;
    case FailureDomain::kRack: return d.rack;
    case FailureDomain::kZone: return d.zone;
  }
  return 0;
}

uint64_t fill_step(const DiskInfo& d) {
  if (d.capacity_bytes == 0) return kFillSteps;
  const uint64_t used = std::min(d.used_bytes, d.capacity_bytes);
  return static_cast<uint64_t>((static_cast<unsigned __int128>(used) * kFillSteps) / d.capacity_bytes);
}

bool eligible(const DiskInfo& d, uint64_t bytes) {
  if (!d.writable || d.gone || d.capacity_bytes == 0) return false;
  return d.capacity_bytes - std::min(d.used_bytes, d.capacity_bytes) >= bytes && d.free_bytes >= bytes;
}

Result<std::vector<DiskRef>> pick_disks(const std::vector<DiskInfo>& disks, const PlacementRequest& req) {
  return PlacementIndex(disks).pick(req);
}

bool placement_keeps_rule(const std::vector<DiskInfo>& disks, const std::vector<DiskRef>& chosen,
                          uint32_t m, FailureDomain level) {
  return PlacementIndex(disks).keeps_rule(chosen, m, level);
}

}  // namespace tessera

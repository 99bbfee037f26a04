// Placement benchmark (prints figures; asserts nothing): the cost of one
// pick through the PlacementIndex that gateways keep (and of one repair
// pick), and the spread of disk fill after many placements, for a 1-node
// 14-disk embedded layout, a 144-disk and a 300-node 4200-disk cluster.
// The target: a pick at 4200 disks within 3x of one at 14.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "core/placement/placement_index.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<DiskInfo> build(uint32_t zones, uint32_t racks, uint32_t nodes, uint32_t disks_per_node) {
  std::vector<DiskInfo> out;
  uint32_t node = 0;
  for (uint32_t z = 0; z < zones; ++z)
    for (uint32_t r = 0; r < racks; ++r)
      for (uint32_t n = 0; n < nodes; ++n, ++node)
        for (uint32_t d = 0; d < disks_per_node; ++d)
          out.push_back(DiskInfo{DiskRef{node, d}, z, z * racks + r, uint64_t{16} << 40, 0, true});
  return out;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Places `parts` parts, recording their fill as a gateway does; returns
// microseconds per pick (0 when a pick failed).
double place_parts(const char* label, PlacementIndex& index, PlacementRequest req, uint64_t parts) {
  const auto start = Clock::now();
  for (uint64_t p = 0; p < parts; ++p) {
    req.key = p * 0x9E3779B97F4A7C15ull;
    auto picked = index.pick(req);
    if (!picked.is_ok()) {
      std::printf("%s: %s\n", label, picked.status().to_string().c_str());
      return 0;
    }
    for (auto ref : picked.value()) {
      index.update(ref, [&](DiskInfo& d) { d.used_bytes += req.fragment_bytes; });
    }
  }
  return seconds_since(start) * 1e6 / static_cast<double>(parts);
}

// A repair's pick: one fragment of a placed part moves off its disk.
double replace_parts(const PlacementIndex& index, PlacementRequest req, uint64_t parts) {
  const auto start = Clock::now();
  uint64_t found = 0;
  for (uint64_t p = 0; p < parts; ++p) {
    req.key = p * 0x9E3779B97F4A7C15ull;
    auto placed = index.pick(req);
    if (!placed.is_ok()) return 0;
    std::vector<DiskRef> kept(placed.value().begin() + 1, placed.value().end());
    found += index.pick_replacement(kept, req).is_ok() ? 1 : 0;
  }
  if (found != parts) std::printf("  (%llu replacements found of %llu)\n", static_cast<unsigned long long>(found),
                                  static_cast<unsigned long long>(parts));
  return seconds_since(start) * 1e6 / static_cast<double>(parts);
}

double run(const char* label, std::vector<DiskInfo> disks, FailureDomain level, uint64_t parts) {
  const size_t count = disks.size();
  PlacementIndex index(std::move(disks));
  const PlacementRequest req{10, 4, level, 0, 8u << 20};
  const double pick_us = place_parts(label, index, req, parts);
  const double replace_us = replace_parts(index, req, parts / 10);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& d : index.disks()) lo = std::min(lo, d.used_bytes), hi = std::max(hi, d.used_bytes);
  std::printf("%-36s disks=%zu parts=%llu  pick+fill update=%.2f us  pick+replacement=%.2f us  fill max/min=%.4f\n", label,
              count, static_cast<unsigned long long>(parts), pick_us, replace_us,
              lo == 0 ? 0.0 : static_cast<double>(hi) / static_cast<double>(lo));
  return pick_us;
}

}  // namespace

int main() {
  const double small = run("embedded: 1 node x 14 disks, disk", build(1, 1, 1, 14), FailureDomain::kDisk, 100000);
  const double large = run("cluster: 3z x 10r x 10n x 14d, rack", build(3, 10, 10, 14), FailureDomain::kRack, 100000);
  run("cluster: 3z x 4r x 3n x 4d, rack", build(3, 4, 3, 4), FailureDomain::kRack, 100000);
  std::printf("pick at 4200 disks / pick at 14 disks = %.2f (target: at most 3)\n", small > 0 ? large / small : 0.0);
  return 0;
}

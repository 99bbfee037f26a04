// Placement benchmark (prints figures; asserts nothing): picks per second
// and the spread of disk fill after many placements, for a 1-node 14-disk
// embedded layout and a 300-node, 4200-disk, 3-zone cluster.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <vector>

#include "core/placement/placement.h"

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

void run(const char* label, std::vector<DiskInfo> disks, FailureDomain level, uint64_t parts) {
  std::map<DiskRef, DiskInfo*> by_ref;
  for (auto& d : disks) by_ref[d.ref] = &d;
  PlacementRequest req{10, 4, level, 0, 8u << 20};
  const auto start = Clock::now();
  for (uint64_t p = 0; p < parts; ++p) {
    req.key = p * 0x9E3779B97F4A7C15ull;
    auto picked = pick_disks(disks, req);
    if (!picked.is_ok()) {
      std::printf("%s: %s\n", label, picked.status().to_string().c_str());
      return;
    }
    for (auto ref : picked.value()) by_ref[ref]->used_bytes += req.fragment_bytes;
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& d : disks) lo = std::min(lo, d.used_bytes), hi = std::max(hi, d.used_bytes);
  std::printf("%-36s disks=%zu parts=%llu  picks/s=%.0f  fill max/min=%.4f\n", label, disks.size(),
              static_cast<unsigned long long>(parts), parts / s, static_cast<double>(hi) / lo);
}

}  // namespace

int main() {
  run("embedded: 1 node x 14 disks, disk", build(1, 1, 1, 14), FailureDomain::kDisk, 100000);
  run("cluster: 3z x 10r x 10n x 14d, rack", build(3, 10, 10, 14), FailureDomain::kRack, 20000);
  run("cluster: 3z x 4r x 3n x 4d, rack", build(3, 4, 3, 4), FailureDomain::kRack, 100000);
  return 0;
}

#include "core/placement/placement.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "io_abstraction/random.h"

namespace tessera {
namespace {

constexpr uint64_t kFillSteps = uint64_t{1} << 20;

uint64_t domain_of(const DiskInfo& d, FailureDomain level) {
  switch (level) {
    case FailureDomain::kDisk: return (uint64_t{d.ref.node} << 32) | d.ref.disk;
    case FailureDomain::kNode: return d.ref.node;
    case FailureDomain::kRack: return d.rack;
    case FailureDomain::kZone: return d.zone;
  }
  return 0;
}

uint64_t fill_step(const DiskInfo& d) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(d.used_bytes) * kFillSteps) / d.capacity_bytes);
}

bool eligible(const DiskInfo& d, uint64_t bytes) {
  if (!d.writable || d.gone || d.capacity_bytes == 0) return false;
  return d.capacity_bytes - std::min(d.used_bytes, d.capacity_bytes) >= bytes && d.free_bytes >= bytes;
}

std::map<DiskRef, const DiskInfo*> index_by_ref(const std::vector<DiskInfo>& disks) {
  std::map<DiskRef, const DiskInfo*> by_ref;
  for (const DiskInfo& d : disks) by_ref[d.ref] = &d;
  return by_ref;
}

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

Result<std::vector<DiskRef>> pick_disks(const std::vector<DiskInfo>& disks, const PlacementRequest& req) {
  const uint32_t n = req.k + req.m;
  if (req.k == 0 || req.m == 0) return Status(Code::kInvalidArgument, "placement needs k >= 1 and m >= 1");

  struct Candidate {
    uint64_t fill;
    uint64_t hash;
    const DiskInfo* disk;
  };
  std::vector<Candidate> candidates;
  std::map<uint32_t, uint32_t> disks_per_node;
  for (const DiskInfo& d : disks) {
    ASSERT(d.used_bytes <= d.capacity_bytes || d.capacity_bytes == 0);
    if (!eligible(d, req.fragment_bytes)) continue;
    const uint64_t hash = mix_seed(req.key, (uint64_t{d.ref.node} << 32) | d.ref.disk);
    candidates.push_back(Candidate{fill_step(d), hash, &d});
    disks_per_node[d.ref.node]++;
  }
  if (candidates.size() < n) {
    return Status(Code::kUnavailable, "placement needs " + std::to_string(n) + " writable disks with " +
                                          std::to_string(req.fragment_bytes) + " bytes free, have " +
                                          std::to_string(candidates.size()));
  }
  const uint32_t nodes = static_cast<uint32_t>(disks_per_node.size());
  const uint32_t per_node_max = nodes >= n ? 1 : (n + nodes - 1) / nodes;

  // Feasibility: what each domain can take under both caps.
  std::map<uint64_t, std::map<uint32_t, uint32_t>> domain_nodes;
  for (const Candidate& c : candidates) domain_nodes[domain_of(*c.disk, req.level)][c.disk->ref.node]++;
  uint64_t can_take = 0;
  for (const auto& [domain, node_disks] : domain_nodes) {
    uint64_t in_domain = 0;
    for (const auto& [node, count] : node_disks) in_domain += std::min(count, per_node_max);
    can_take += std::min<uint64_t>(in_domain, req.m);
  }
  if (can_take < n) {
    return Status(Code::kUnavailable,
                  "placement of " + std::to_string(req.k) + "+" + std::to_string(req.m) +
                      " with at most " + std::to_string(req.m) + " fragments per " +
                      failure_domain_name(req.level) + " is impossible: " +
                      std::to_string(domain_nodes.size()) + " " + failure_domain_name(req.level) +
                      "s with writable disks can take only " + std::to_string(can_take));
  }

  // Greedy in preference order; it takes every disk its caps allow, so it
  // succeeds whenever the feasibility count above says a placement exists.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.fill != b.fill) return a.fill < b.fill;
    if (a.hash != b.hash) return a.hash < b.hash;
    return a.disk->ref < b.disk->ref;
  });
  std::map<uint64_t, uint32_t> per_domain;
  std::map<uint32_t, uint32_t> per_node;
  std::vector<DiskRef> chosen;
  for (const Candidate& c : candidates) {
    if (chosen.size() == n) break;
    uint32_t& in_domain = per_domain[domain_of(*c.disk, req.level)];
    uint32_t& on_node = per_node[c.disk->ref.node];
    if (in_domain >= req.m || on_node >= per_node_max) continue;
    ++in_domain;
    ++on_node;
    chosen.push_back(c.disk->ref);
  }
  ASSERT(chosen.size() == n);
  ASSERT(std::set<DiskRef>(chosen.begin(), chosen.end()).size() == n && "a disk holds two fragments of a stripe");
  return chosen;
}

Result<DiskRef> pick_replacement(const std::vector<DiskInfo>& disks, const std::vector<DiskRef>& kept,
                                 const PlacementRequest& req) {
  const std::map<DiskRef, const DiskInfo*> by_ref = index_by_ref(disks);
  std::map<uint64_t, uint32_t> per_domain;
  std::map<uint32_t, uint32_t> per_node;
  for (const DiskRef& ref : kept) {
    auto it = by_ref.find(ref);
    if (it != by_ref.end()) ++per_domain[domain_of(*it->second, req.level)];
    ++per_node[ref.node];
  }
  const DiskInfo* best = nullptr;
  std::tuple<bool, uint64_t, uint64_t> best_rank;
  for (const DiskInfo& d : disks) {
    if (!eligible(d, req.fragment_bytes)) continue;
    if (std::find(kept.begin(), kept.end(), d.ref) != kept.end()) continue;
    auto in_domain = per_domain.find(domain_of(d, req.level));
    if (in_domain != per_domain.end() && in_domain->second >= req.m) continue;
    const auto rank = std::make_tuple(per_node.count(d.ref.node) > 0, fill_step(d),
                                      mix_seed(req.key, (uint64_t{d.ref.node} << 32) | d.ref.disk));
    if (!best || rank < best_rank) {
      best = &d;
      best_rank = rank;
    }
  }
  ASSERT(!best || (eligible(*best, req.fragment_bytes) && std::find(kept.begin(), kept.end(), best->ref) == kept.end()));
  if (!best) {
    return Status(Code::kUnavailable, std::string("no writable disk keeps at most ") + std::to_string(req.m) +
                                          " fragments per " + failure_domain_name(req.level) + " for this part");
  }
  return best->ref;
}

bool placement_keeps_rule(const std::vector<DiskInfo>& disks, const std::vector<DiskRef>& chosen,
                          uint32_t m, FailureDomain level) {
  const std::map<DiskRef, const DiskInfo*> by_ref = index_by_ref(disks);
  std::map<DiskRef, uint32_t> per_disk;
  std::map<uint64_t, uint32_t> per_domain;
  for (const DiskRef& ref : chosen) {
    auto it = by_ref.find(ref);
    if (it == by_ref.end()) return false;
    if (++per_disk[ref] > 1) return false;
    if (++per_domain[domain_of(*it->second, level)] > m) return false;
  }
  return true;
}

}  // namespace tessera

#include "core/placement/placement_index.h"

#include <algorithm>

#include "io_abstraction/random.h"

namespace tessera {
namespace {

constexpr uint64_t kRingSeed = 0x7E55E4A9A11C3ull;

uint64_t disk_word(const DiskRef& ref) { return (uint64_t{ref.node} << 32) | ref.disk; }

std::string count_of(uint64_t n, const char* what) { return std::to_string(n) + " " + what; }

}  // namespace

bool PlacementFilter::allows(const DiskRef& disk) const {
  if (nodes_out.count(disk.node) || disks_out.count(disk)) return false;
  return !node_usable || node_usable(disk.node);
}

PlacementIndex::PlacementIndex(std::vector<DiskInfo> disks) : disks_(std::move(disks)) {
  for (size_t i = 0; i < disks_.size(); ++i) {
    const bool added = position_.emplace(disks_[i].ref, i).second;
    ASSERT(added && "a disk listed twice");
    if (in_order(disks_[i])) order_.insert(entry_of(disks_[i], i));
  }
}

bool PlacementIndex::in_order(const DiskInfo& d) { return d.writable && !d.gone && d.capacity_bytes > 0; }

PlacementIndex::Entry PlacementIndex::entry_of(const DiskInfo& d, size_t position) {
  return Entry{fill_step(d), mix_seed(kRingSeed, disk_word(d.ref)), position};
}

const DiskInfo* PlacementIndex::find(const DiskRef& ref) const {
  auto it = position_.find(ref);
  return it == position_.end() ? nullptr : &disks_[it->second];
}

bool PlacementIndex::update(const DiskRef& ref, const std::function<void(DiskInfo&)>& change) {
  auto it = position_.find(ref);
  if (it == position_.end()) return false;
  DiskInfo& d = disks_[it->second];
  if (in_order(d)) order_.erase(entry_of(d, it->second));
  change(d);
  ASSERT(d.ref == ref && "an update may not rename a disk");
  if (in_order(d)) order_.insert(entry_of(d, it->second));
  return true;
}

// Buckets of equal fill in ascending order; within a bucket, from the
// key's ring point round to it again. A lone disk in its bucket (the
// usual case once fills differ) costs no search.
void PlacementIndex::walk(uint64_t key, const std::function<bool(const DiskInfo&)>& visit) const {
  const uint64_t point = mix_seed(key, kRingSeed);
  auto visit_range = [&](auto from, auto to) {
    for (auto it = from; it != to; ++it) {
      if (!visit(disks_[it->position])) return false;
    }
    return true;
  };
  for (auto it = order_.begin(); it != order_.end();) {
    auto next = std::next(it);
    if (next == order_.end() || next->fill != it->fill) {
      if (!visit_range(it, next)) return;
      it = next;
      continue;
    }
    auto bucket_end = order_.lower_bound(Entry{it->fill + 1, 0, 0});
    auto start = order_.lower_bound(Entry{it->fill, point, 0});
    if (!visit_range(start, bucket_end) || !visit_range(it, start)) return;
    it = bucket_end;
  }
}

std::vector<DiskRef> PlacementIndex::take(const PlacementRequest& req, const PlacementFilter& filter,
                                          uint32_t per_node_max) const {
  const uint32_t n = req.k + req.m;
  std::map<uint64_t, uint32_t> per_domain;
  std::map<uint32_t, uint32_t> per_node;
  std::vector<DiskRef> chosen;
  walk(req.key, [&](const DiskInfo& d) {
    if (!eligible(d, req.fragment_bytes) || !filter.allows(d.ref)) return true;
    uint32_t& in_domain = per_domain[failure_domain_of(d, req.level)];
    uint32_t& on_node = per_node[d.ref.node];
    if (in_domain >= req.m || on_node >= per_node_max) return true;
    ++in_domain;
    ++on_node;
    chosen.push_back(d.ref);
    return chosen.size() < n;
  });
  return chosen;
}

Result<uint32_t> PlacementIndex::admit(const PlacementRequest& req, const PlacementFilter& filter) const {
  const uint32_t n = req.k + req.m;
  std::map<uint64_t, std::map<uint32_t, uint32_t>> domain_nodes;  // eligible disks per node per domain
  std::set<uint32_t> nodes;
  uint64_t candidates = 0;
  for (const DiskInfo& d : disks_) {
    if (!eligible(d, req.fragment_bytes) || !filter.allows(d.ref)) continue;
    ++candidates;
    ++domain_nodes[failure_domain_of(d, req.level)][d.ref.node];
    nodes.insert(d.ref.node);
  }
  if (candidates < n) {
    return Status(Code::kUnavailable, "placement needs " + std::to_string(n) + " writable disks with " +
                                          std::to_string(req.fragment_bytes) + " bytes free, have " +
                                          std::to_string(candidates));
  }
  const uint32_t per_node_max = nodes.size() >= n ? 1 : (n + static_cast<uint32_t>(nodes.size()) - 1) / nodes.size();
  uint64_t can_take = 0;
  for (const auto& [domain, node_disks] : domain_nodes) {
    uint64_t in_domain = 0;
    for (const auto& [node, count] : node_disks) in_domain += std::min(count, per_node_max);
    can_take += std::min<uint64_t>(in_domain, req.m);
  }
  if (can_take < n) {
    const char* level = failure_domain_name(req.level);
    return Status(Code::kUnavailable, "placement of " + std::to_string(req.k) + "+" + std::to_string(req.m) +
                                          " with at most " + std::to_string(req.m) + " fragments per " + level +
                                          " is impossible: " + count_of(domain_nodes.size(), level) +
                                          "s with writable disks can take only " + std::to_string(can_take));
  }
  return per_node_max;
}

Result<std::vector<DiskRef>> PlacementIndex::pick(const PlacementRequest& req, const PlacementFilter& filter) const {
  if (req.k == 0 || req.m == 0) return Status(Code::kInvalidArgument, "placement needs k >= 1 and m >= 1");
  const uint32_t n = req.k + req.m;
  std::vector<DiskRef> chosen = take(req, filter, 1);
  if (chosen.size() < n) {
    // The greedy walk takes every disk its caps allow, so with the cap
    // the rules admit it succeeds whenever a placement exists.
    auto per_node_max = admit(req, filter);
    if (!per_node_max.is_ok()) return per_node_max.status();
    ASSERT(per_node_max.value() > 1 && "one per node was admitted, yet the walk fell short");
    chosen = take(req, filter, per_node_max.value());
  }
  ASSERT(chosen.size() == n);
  ASSERT(std::set<DiskRef>(chosen.begin(), chosen.end()).size() == n && "a disk holds two fragments of a stripe");
  return chosen;
}

Result<DiskRef> PlacementIndex::pick_replacement(const std::vector<DiskRef>& kept, const PlacementRequest& req,
                                                 const PlacementFilter& filter) const {
  std::map<uint64_t, uint32_t> per_domain;
  std::set<uint32_t> nodes_used;
  for (const DiskRef& ref : kept) {
    if (const DiskInfo* d = find(ref)) ++per_domain[failure_domain_of(*d, req.level)];
    nodes_used.insert(ref.node);
  }
  const DiskInfo* best = nullptr;      // on a node the part does not use
  const DiskInfo* sharing = nullptr;   // the first one on a node it does
  walk(req.key, [&](const DiskInfo& d) {
    if (!eligible(d, req.fragment_bytes) || !filter.allows(d.ref)) return true;
    if (std::find(kept.begin(), kept.end(), d.ref) != kept.end()) return true;
    auto in_domain = per_domain.find(failure_domain_of(d, req.level));
    if (in_domain != per_domain.end() && in_domain->second >= req.m) return true;
    if (nodes_used.count(d.ref.node) == 0) {
      best = &d;
      return false;
    }
    if (!sharing) sharing = &d;
    return true;
  });
  if (!best) best = sharing;
  if (!best) {
    return Status(Code::kUnavailable, std::string("no writable disk keeps at most ") + std::to_string(req.m) +
                                          " fragments per " + failure_domain_name(req.level) + " for this part");
  }
  ASSERT(eligible(*best, req.fragment_bytes) && std::find(kept.begin(), kept.end(), best->ref) == kept.end());
  return best->ref;
}

bool PlacementIndex::keeps_rule(const std::vector<DiskRef>& chosen, uint32_t m, FailureDomain level) const {
  std::set<DiskRef> seen;
  std::map<uint64_t, uint32_t> per_domain;
  for (const DiskRef& ref : chosen) {
    const DiskInfo* d = find(ref);
    if (d == nullptr || !seen.insert(ref).second) return false;
    if (++per_domain[failure_domain_of(*d, level)] > m) return false;
  }
  return true;
}

}  // namespace tessera

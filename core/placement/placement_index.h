// PlacementIndex: the cluster's disks kept in placement's preference order
// (least filled first), so a pick costs O(k+m x log disks) instead of a
// sort of every disk. The rules are those of placement.h. Among disks of
// equal fill the walk starts at a point of a hash ring that the part's key
// chooses (consistent hashing: each disk has a fixed ring position), so
// parts spread over equally filled disks as the rendezvous hash did, and
// it stays a pure function of the disks and the request.
//
// The walk takes every disk its caps allow, with at most one fragment per
// node. Only when that falls short (fewer nodes than k+m, or no placement)
// does a pick scan all disks to count what the rules admit: small
// clusters, and refusals, which name the missing resource.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <vector>

#include "core/placement/placement.h"

namespace tessera {

// What one pick may not use beyond what the index itself holds unusable:
// the failure detector's view and a write's own exclusions (nodes that
// failed it, disks that lagged or failed).
struct PlacementFilter {
  std::function<bool(uint32_t node)> node_usable;  // empty: every node
  std::set<uint32_t> nodes_out;
  std::set<DiskRef> disks_out;

  bool allows(const DiskRef& disk) const;
};

class PlacementIndex {
 public:
  explicit PlacementIndex(std::vector<DiskInfo> disks);

  const std::vector<DiskInfo>& disks() const { return disks_; }
  const DiskInfo* find(const DiskRef& ref) const;  // nullptr for a disk not listed
  // Changes one disk (fill, free bytes, gone, writable) and re-orders it:
  // O(log disks). false for a disk not listed.
  bool update(const DiskRef& ref, const std::function<void(DiskInfo&)>& change);

  // k+m disks (fragment i on element i), or kUnavailable naming what is missing.
  Result<std::vector<DiskRef>> pick(const PlacementRequest& request, const PlacementFilter& filter = {}) const;
  // A disk for one fragment whose part keeps its others on `kept`: rules 1
  // and 2 hold for the new set; a node the part does not use yet is
  // preferred, then the least filled.
  Result<DiskRef> pick_replacement(const std::vector<DiskRef>& kept, const PlacementRequest& request,
                                   const PlacementFilter& filter = {}) const;
  bool keeps_rule(const std::vector<DiskRef>& chosen, uint32_t m, FailureDomain level) const;

 private:
  // A usable disk's place in the order: fill step, then ring position.
  struct Entry {
    uint64_t fill;
    uint64_t ring;
    size_t position;  // in disks_: breaks ring ties the same way every time
    auto operator<=>(const Entry&) const = default;
  };
  static bool in_order(const DiskInfo& d);  // writable, not gone, has capacity
  static Entry entry_of(const DiskInfo& d, size_t position);
  // Visits usable disks in preference order for key until visit says stop.
  void walk(uint64_t key, const std::function<bool(const DiskInfo&)>& visit) const;
  // The greedy pick under the caps; fewer than k+m disks when it falls short.
  std::vector<DiskRef> take(const PlacementRequest& request, const PlacementFilter& filter,
                            uint32_t per_node_max) const;
  // What the rules admit, from every disk: the per-node cap, or why no
  // placement exists.
  Result<uint32_t> admit(const PlacementRequest& request, const PlacementFilter& filter) const;

  std::vector<DiskInfo> disks_;
  std::map<DiskRef, size_t> position_;  // each disk's element of disks_
  std::set<Entry> order_;
};

}  // namespace tessera

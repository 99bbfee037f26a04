// Placement: the failure-domain rule holds or pick refuses with a reason;
// choices are deterministic; fill stays balanced; new disks are used.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>

#include "core/placement/placement.h"
#include "core/placement/placement_index.h"

namespace tessera {
namespace {

struct Shape {
  uint32_t zones, racks_per_zone, nodes_per_rack, disks_per_node;
};

std::vector<DiskInfo> build(const Shape& s, uint64_t capacity) {
  std::vector<DiskInfo> out;
  uint32_t node = 0;
  for (uint32_t z = 0; z < s.zones; ++z) {
    for (uint32_t r = 0; r < s.racks_per_zone; ++r) {
      for (uint32_t n = 0; n < s.nodes_per_rack; ++n, ++node) {
        for (uint32_t d = 0; d < s.disks_per_node; ++d) {
          out.push_back(DiskInfo{DiskRef{node, d}, z, z * s.racks_per_zone + r, capacity, 0, true});
        }
      }
    }
  }
  return out;
}

// How many fragments the rules admit, computed from the shape alone.
uint64_t admissible(const Shape& s, uint32_t k, uint32_t m, FailureDomain level) {
  const uint64_t nodes = uint64_t{s.zones} * s.racks_per_zone * s.nodes_per_rack;
  const uint64_t n = k + m;
  const uint64_t node_cap = std::min<uint64_t>(s.disks_per_node, nodes >= n ? 1 : (n + nodes - 1) / nodes);
  uint64_t domains = 0, nodes_per_domain = 0;
  switch (level) {
    case FailureDomain::kDisk: return nodes * std::min<uint64_t>(node_cap, s.disks_per_node) * std::min<uint64_t>(m, 1);
    case FailureDomain::kNode: domains = nodes, nodes_per_domain = 1; break;
    case FailureDomain::kRack: domains = uint64_t{s.zones} * s.racks_per_zone, nodes_per_domain = s.nodes_per_rack; break;
    case FailureDomain::kZone: domains = s.zones, nodes_per_domain = uint64_t{s.racks_per_zone} * s.nodes_per_rack; break;
  }
  return domains * std::min<uint64_t>(m, nodes_per_domain * node_cap);
}

RC_GTEST_PROP(PlacementProps, RuleHoldsOrPickRefusesWithAReason, ()) {
  const Shape s{*rc::gen::inRange<uint32_t>(1, 5), *rc::gen::inRange<uint32_t>(1, 6),
                *rc::gen::inRange<uint32_t>(1, 5), *rc::gen::inRange<uint32_t>(1, 5)};
  PlacementRequest req;
  req.k = *rc::gen::inRange<uint32_t>(1, 13);
  req.m = *rc::gen::inRange<uint32_t>(1, 7);
  req.level = static_cast<FailureDomain>(*rc::gen::inRange<int>(0, 4));
  req.key = *rc::gen::arbitrary<uint64_t>();
  req.fragment_bytes = 100;
  const auto disks = build(s, 1 << 20);
  auto picked = pick_disks(disks, req);
  const bool possible = admissible(s, req.k, req.m, req.level) >= req.k + req.m;
  RC_ASSERT(picked.is_ok() == possible);
  if (!picked.is_ok()) {
    RC_ASSERT(picked.code() == Code::kUnavailable);
    RC_ASSERT(!picked.status().message().empty());
    return;
  }
  const auto& chosen = picked.value();
  RC_ASSERT(chosen.size() == req.k + req.m);
  RC_ASSERT(placement_keeps_rule(disks, chosen, req.m, req.level));
  // One per node whenever there are enough nodes.
  const uint64_t nodes = uint64_t{s.zones} * s.racks_per_zone * s.nodes_per_rack;
  std::map<uint32_t, int> per_node;
  for (auto ref : chosen) per_node[ref.node]++;
  if (nodes >= req.k + req.m) {
    for (auto [node, count] : per_node) RC_ASSERT(count == 1);
  }
  // Deterministic.
  RC_ASSERT(pick_disks(disks, req).value() == chosen);
}

TEST(Placement, FillStaysWithinTenPercentAfterOneHundredThousandParts) {
  auto disks = build(Shape{3, 4, 3, 4}, uint64_t{20000} << 20);  // 144 disks
  PlacementRequest req;
  req.fragment_bytes = 1 << 20;
  std::map<DiskRef, DiskInfo*> by_ref;
  for (auto& d : disks) by_ref[d.ref] = &d;
  for (uint64_t part = 0; part < 100000; ++part) {
    req.key = part * 0x9E3779B97F4A7C15ull;
    auto picked = pick_disks(disks, req);
    ASSERT_TRUE(picked.is_ok()) << picked.status().to_string();
    for (auto ref : picked.value()) by_ref[ref]->used_bytes += req.fragment_bytes;
  }
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& d : disks) {
    lo = std::min(lo, d.used_bytes);
    hi = std::max(hi, d.used_bytes);
  }
  EXPECT_GT(lo, 0u);
  EXPECT_LE(hi * 100, lo * 110) << "fill ranges from " << lo << " to " << hi << " bytes";
}

TEST(Placement, NewDisksAreUsedAtOnceAndUnwritableOnesNever) {
  auto disks = build(Shape{2, 4, 2, 2}, uint64_t{1} << 30);
  PlacementRequest req;
  req.k = 6;
  req.m = 2;
  req.fragment_bytes = 1 << 20;
  for (uint64_t part = 0; part < 500; ++part) {
    req.key = part;
    for (auto ref : pick_disks(disks, req).value()) {
      for (auto& d : disks) if (d.ref == ref) d.used_bytes += req.fragment_bytes;
    }
  }
  disks[0].writable = false;
  const uint32_t new_node = 1000;
  disks.push_back(DiskInfo{DiskRef{new_node, 0}, 0, 0, uint64_t{1} << 30, 0, true});
  req.key = 12345;
  auto picked = pick_disks(disks, req);
  ASSERT_TRUE(picked.is_ok());
  const auto& chosen = picked.value();
  EXPECT_NE(std::find(chosen.begin(), chosen.end(), DiskRef{new_node, 0}), chosen.end());
  EXPECT_EQ(std::find(chosen.begin(), chosen.end(), disks[0].ref), chosen.end());
}

TEST(Placement, RefusalNamesWhatIsMissing) {
  // 3 racks cannot hold 10+4 with at most 4 per rack.
  auto disks = build(Shape{1, 3, 5, 2}, 1 << 30);
  auto r = pick_disks(disks, PlacementRequest{10, 4, FailureDomain::kRack, 1, 100});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("at most 4 fragments per rack is impossible: 3 racks"),
            std::string::npos) << r.status().message();
  // Full disks do not count.
  for (auto& d : disks) d.used_bytes = d.capacity_bytes;
  r = pick_disks(disks, PlacementRequest{10, 4, FailureDomain::kDisk, 1, 100});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("needs 14 writable disks with 100 bytes free, have 0"),
            std::string::npos) << r.status().message();
}

TEST(Placement, EmbeddedDefaultFourteenDisksOneNode) {
  auto disks = build(Shape{1, 1, 1, 14}, 1 << 30);
  auto r = pick_disks(disks, PlacementRequest{10, 4, FailureDomain::kDisk, 7, 100});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE(placement_keeps_rule(disks, r.value(), 4, FailureDomain::kDisk));
}

// An index kept up to date disk by disk picks what one built afresh from
// the same disks picks: updates keep the order exact.
RC_GTEST_PROP(PlacementIndexProps, UpdatedIndexPicksAsAFreshOne, ()) {
  auto disks = build(Shape{3, 3, 2, 3}, uint64_t{1} << 30);
  PlacementIndex index(disks);
  const auto changes = *rc::gen::container<std::vector<std::tuple<size_t, uint64_t, bool>>>(
      rc::gen::tuple(rc::gen::inRange<size_t>(0, disks.size()), rc::gen::inRange<uint64_t>(0, uint64_t{1} << 30),
                     rc::gen::arbitrary<bool>()));
  for (const auto& [i, used, gone] : changes) {
    index.update(disks[i].ref, [&](DiskInfo& d) {
      d.used_bytes = used;
      d.gone = gone;
    });
  }
  PlacementRequest req{4, 2, FailureDomain::kRack, *rc::gen::arbitrary<uint64_t>(), 100};
  auto kept = index.pick(req);
  auto fresh = PlacementIndex(index.disks()).pick(req);
  RC_ASSERT(kept.is_ok() == fresh.is_ok());
  if (!kept.is_ok()) return;
  RC_ASSERT(kept.value() == fresh.value());
  for (const DiskRef& ref : kept.value()) RC_ASSERT(!index.find(ref)->gone);
}

TEST(PlacementIndex, FilterLeavesOutNodesDisksAndDownNodes) {
  PlacementIndex index(build(Shape{1, 4, 3, 2}, uint64_t{1} << 30));
  PlacementFilter filter;
  filter.nodes_out = {0};
  filter.disks_out = {DiskRef{1, 0}, DiskRef{1, 1}};
  filter.node_usable = [](uint32_t node) { return node != 2; };
  PlacementRequest req{4, 2, FailureDomain::kRack, 0, 100};
  for (uint64_t key = 0; key < 200; ++key) {
    req.key = key;
    auto picked = index.pick(req, filter);
    ASSERT_TRUE(picked.is_ok()) << picked.status().to_string();
    for (const DiskRef& ref : picked.value()) EXPECT_GT(ref.node, 2u);
  }
  // Rack 0 (nodes 0-2) left out entirely: 3 racks of 2 fragments still hold 4+2.
  req.k = 5;
  auto refused = index.pick(req, filter);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("3 racks with writable disks can take only 6"), std::string::npos)
      << refused.status().message();
}

TEST(PlacementIndex, ReplacementPrefersANodeThePartDoesNotUse) {
  PlacementIndex index(build(Shape{1, 3, 3, 2}, uint64_t{1} << 30));
  PlacementRequest req{4, 2, FailureDomain::kRack, 9, 100};
  auto placed = index.pick(req);
  ASSERT_TRUE(placed.is_ok());
  std::vector<DiskRef> kept(placed.value().begin() + 1, placed.value().end());
  auto to = index.pick_replacement(kept, req);
  ASSERT_TRUE(to.is_ok()) << to.status().to_string();
  for (const DiskRef& ref : kept) EXPECT_NE(ref.node, to.value().node);
  kept.push_back(to.value());
  EXPECT_TRUE(index.keeps_rule(kept, req.m, req.level));
  kept.pop_back();
  // With every other node's disks full, the one left shares a node.
  for (const DiskInfo& d : std::vector<DiskInfo>(index.disks())) {
    const bool used = std::any_of(kept.begin(), kept.end(), [&](const DiskRef& r) { return r.node == d.ref.node; });
    if (!used) index.update(d.ref, [](DiskInfo& x) { x.used_bytes = x.capacity_bytes; });
  }
  to = index.pick_replacement(kept, req);
  ASSERT_TRUE(to.is_ok()) << to.status().to_string();
  EXPECT_TRUE(std::any_of(kept.begin(), kept.end(), [&](const DiskRef& r) { return r.node == to.value().node; }));
  EXPECT_EQ(std::find(kept.begin(), kept.end(), to.value()), kept.end());
}

}  // namespace
}  // namespace tessera

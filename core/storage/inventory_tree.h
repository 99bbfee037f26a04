// InventoryTree: a set of blob names kept as a 16-ary hash tree, so that
// "what should be on a disk" and "what is on it" compare in
// O(differences x log n) summaries instead of two full listings.
//
// A name's place is the SHA-256 of the name: the node (level, prefix)
// covers the names whose hash begins with those `level` hex digits, and is
// summarised by their count and the sum (two 64-bit lanes, mod 2^64) of
// their hashes. Sums are additive, so an insert or a remove updates one
// node per level, and two sets that differ under a node differ in its
// summary except with probability about 2^-128.
//
// Summaries are stored densely for levels 0..depth(), and names in
// buckets at depth(); the depth grows with the set so a bucket holds about
// kBucketTarget names (6 bytes of summaries per name). Two trees of
// different depths still compare: a node below depth() is summed from its
// bucket.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage.pb.h"

namespace tessera {

struct InventorySummary {
  uint64_t count = 0;
  uint64_t sum_hi = 0;
  uint64_t sum_lo = 0;
  bool operator==(const InventorySummary&) const = default;
};

// A node of the tree: prefix holds `level` hex digits (level <= kMaxLevel).
struct InventoryNode {
  uint32_t level = 0;
  uint64_t prefix = 0;
  bool operator==(const InventoryNode&) const = default;
  InventoryNode child(uint32_t digit) const { return {level + 1, (prefix << 4) | digit}; }
};

class InventoryTree {
 public:
  static constexpr uint32_t kFanout = 16;
  static constexpr uint32_t kMaxLevel = 15;  // 60 bits of prefix
  static constexpr uint32_t kMaxDepth = 6;   // 16M buckets: about 1G names at the target
  static constexpr uint64_t kBucketTarget = 64;

  InventoryTree();

  // false when the name was already there (insert) or was not (remove).
  bool insert(std::string_view name);
  bool remove(std::string_view name);
  bool contains(std::string_view name) const;
  uint64_t size() const { return levels_[0][0].count; }
  uint32_t depth() const { return depth_; }

  InventorySummary summary(InventoryNode node) const;
  std::array<InventorySummary, kFanout> children(InventoryNode node) const;
  // The names under node, in no particular order.
  std::vector<std::string> names(InventoryNode node) const;

 private:
  struct Hash {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const Hash&) const = default;
  };
  struct Element {
    Hash hash;
    std::string name;
  };
  static Hash hash_of(std::string_view name);
  static uint64_t prefix_of(const Hash& h, uint32_t level) { return level == 0 ? 0 : h.hi >> (64 - 4 * level); }
  static bool under(const Hash& h, InventoryNode node) { return prefix_of(h, node.level) == node.prefix; }
  void add(const Hash& h, int direction);
  void deepen();
  std::vector<Element>& bucket_of(const Hash& h) { return buckets_[prefix_of(h, depth_)]; }
  const std::vector<Element>& bucket_of(const Hash& h) const { return buckets_[prefix_of(h, depth_)]; }

  uint32_t depth_ = 1;
  std::vector<std::vector<InventorySummary>> levels_;  // [level][prefix], levels 0..depth_
  std::vector<std::vector<Element>> buckets_;          // [prefix at depth_]
};

// Whether request asks for the root's children: the first round of a
// comparison (which the storage node answers with its corrupt list).
inline bool asks_for_root(const proto::InventoryTreeRequest& request) {
  return !request.names() && request.levels_size() > 0 && request.levels(0) == 0;
}

// The answer to a comparison request (core/repair/inventory_compare.h)
// from a tree: what a storage node runs. Empty for a malformed request.
proto::InventoryTreeResponse answer_inventory_request(const InventoryTree& tree,
                                                      const proto::InventoryTreeRequest& request);

}  // namespace tessera

#include "core/storage/inventory_tree.h"

#include <algorithm>

#include "core/codec/sha256.h"
#include "io_abstraction/assert.h"

namespace tessera {

namespace {

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t nodes_at(uint32_t level) { return uint64_t{1} << (4 * level); }

}  // namespace

InventoryTree::InventoryTree() {
  for (uint32_t level = 0; level <= depth_; ++level) levels_.emplace_back(nodes_at(level));
  buckets_.resize(nodes_at(depth_));
}

InventoryTree::Hash InventoryTree::hash_of(std::string_view name) {
  const Sha256 d = sha256(name);
  return Hash{load_be64(d.data()), load_be64(d.data() + 8)};
}

void InventoryTree::add(const Hash& h, int direction) {
  const uint64_t sign = direction > 0 ? 1 : ~uint64_t{0};  // -1 mod 2^64
  for (uint32_t level = 0; level <= depth_; ++level) {
    InventorySummary& s = levels_[level][prefix_of(h, level)];
    s.count += sign;
    s.sum_hi += sign * h.hi;
    s.sum_lo += sign * h.lo;
  }
}

bool InventoryTree::insert(std::string_view name) {
  const Hash h = hash_of(name);
  std::vector<Element>& bucket = bucket_of(h);
  for (const Element& e : bucket) {
    if (e.hash == h) return false;  // a 128-bit collision of two names is not a case to handle
  }
  bucket.push_back(Element{h, std::string(name)});
  add(h, +1);
  if (depth_ < kMaxDepth && size() > kBucketTarget * nodes_at(depth_)) deepen();
  return true;
}

bool InventoryTree::remove(std::string_view name) {
  const Hash h = hash_of(name);
  std::vector<Element>& bucket = bucket_of(h);
  auto it = std::find_if(bucket.begin(), bucket.end(), [&](const Element& e) { return e.hash == h; });
  if (it == bucket.end()) return false;
  *it = std::move(bucket.back());
  bucket.pop_back();
  add(h, -1);
  return true;
}

bool InventoryTree::contains(std::string_view name) const {
  const Hash h = hash_of(name);
  const std::vector<Element>& bucket = bucket_of(h);
  return std::any_of(bucket.begin(), bucket.end(), [&](const Element& e) { return e.hash == h; });
}

// One level more: 16 times the buckets, each name moved once. Growth by
// 16x makes the moves O(1) a name, amortised.
void InventoryTree::deepen() {
  ++depth_;
  std::vector<std::vector<Element>> moved(nodes_at(depth_));
  std::vector<InventorySummary> level(nodes_at(depth_));
  for (auto& bucket : buckets_) {
    for (Element& e : bucket) {
      InventorySummary& s = level[prefix_of(e.hash, depth_)];
      ++s.count;
      s.sum_hi += e.hash.hi;
      s.sum_lo += e.hash.lo;
      moved[prefix_of(e.hash, depth_)].push_back(std::move(e));
    }
  }
  buckets_ = std::move(moved);
  levels_.push_back(std::move(level));
}

InventorySummary InventoryTree::summary(InventoryNode node) const {
  ASSERT(node.level <= kMaxLevel && node.prefix < nodes_at(node.level));
  if (node.level <= depth_) return levels_[node.level][node.prefix];
  InventorySummary s;
  for (const Element& e : buckets_[node.prefix >> (4 * (node.level - depth_))]) {
    if (!under(e.hash, node)) continue;
    ++s.count;
    s.sum_hi += e.hash.hi;
    s.sum_lo += e.hash.lo;
  }
  return s;
}

std::array<InventorySummary, InventoryTree::kFanout> InventoryTree::children(InventoryNode node) const {
  ASSERT(node.level < kMaxLevel);
  std::array<InventorySummary, kFanout> out;
  for (uint32_t d = 0; d < kFanout; ++d) out[d] = summary(node.child(d));
  return out;
}

std::vector<std::string> InventoryTree::names(InventoryNode node) const {
  ASSERT(node.level <= kMaxLevel && node.prefix < nodes_at(node.level));
  std::vector<std::string> out;
  // The buckets at depth_ that lie under node (one when node is deeper).
  const uint64_t first = node.level >= depth_ ? node.prefix >> (4 * (node.level - depth_))
                                              : node.prefix << (4 * (depth_ - node.level));
  const uint64_t count = node.level >= depth_ ? 1 : nodes_at(depth_ - node.level);
  for (uint64_t b = first; b < first + count; ++b) {
    for (const Element& e : buckets_[b]) {
      if (under(e.hash, node)) out.push_back(e.name);
    }
  }
  return out;
}

proto::InventoryTreeResponse answer_inventory_request(const InventoryTree& tree,
                                                      const proto::InventoryTreeRequest& request) {
  proto::InventoryTreeResponse r;
  const int n = std::min(request.levels_size(), request.prefixes_size());
  for (int i = 0; i < n; ++i) {
    const InventoryNode node{request.levels(i), request.prefixes(i)};
    const bool valid = node.level <= InventoryTree::kMaxLevel && node.prefix < (uint64_t{1} << (4 * node.level)) &&
                       (request.names() || node.level < InventoryTree::kMaxLevel);
    if (!valid) return proto::InventoryTreeResponse();  // the caller sees a malformed answer
    if (request.names()) {
      auto* out = r.add_names();
      for (std::string& name : tree.names(node)) out->add_names(std::move(name));
      continue;
    }
    for (const InventorySummary& s : tree.children(node)) {
      r.add_counts(s.count);
      r.add_sums_hi(s.sum_hi);
      r.add_sums_lo(s.sum_lo);
    }
  }
  return r;
}

}  // namespace tessera

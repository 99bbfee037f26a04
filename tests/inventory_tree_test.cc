// The Merkle inventory: trees of the same set agree whatever their history
// and depth, and a comparison finds exactly the names in one set and not
// the other, in messages and bytes that grow with the differences.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

#include "core/repair/inventory_compare.h"
#include "core/storage/inventory_tree.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

std::string blob(uint64_t i) { return "f/bucket/key-" + std::to_string(i) + "/v1/p0/s3/i" + std::to_string(i % 14); }

struct Compared {
  Status status;
  InventoryDiff diff;
};

// Compares expected with a disk whose tree is actual, answered in process.
Compared compare(const InventoryTree& expected, const InventoryTree& actual,
                 std::function<void(proto::InventoryTreeResponse&)> tamper = nullptr) {
  sim::SimWorld world(1);
  sim::SimRuntime rt(world, 0, 1);
  InventoryAsk ask = [&actual, tamper](proto::InventoryTreeRequest req) -> Task<Result<proto::InventoryTreeResponse>> {
    proto::InventoryTreeResponse r = answer_inventory_request(actual, req);
    if (tamper) tamper(r);
    co_return r;
  };
  Compared c;
  c.status = testing::run_in_sim(world, rt, compare_inventory(expected, ask, &c.diff));
  rt.stop();
  return c;
}

std::vector<std::string> sorted(std::set<std::string> s) { return {s.begin(), s.end()}; }

RC_GTEST_PROP(InventoryProps, ComparisonFindsExactlyTheSymmetricDifference, ()) {
  const auto shared = *rc::gen::inRange<uint64_t>(0, 3000);
  const auto only_expected = *rc::gen::inRange<uint64_t>(0, 40);
  const auto only_actual = *rc::gen::inRange<uint64_t>(0, 40);
  InventoryTree expected, actual;
  std::set<std::string> missing, extra;
  for (uint64_t i = 0; i < shared; ++i) {
    expected.insert(blob(i));
    actual.insert(blob(i));
  }
  for (uint64_t i = 0; i < only_expected; ++i) {
    expected.insert(blob(100000 + i));
    missing.insert(blob(100000 + i));
  }
  for (uint64_t i = 0; i < only_actual; ++i) {
    actual.insert(blob(200000 + i));
    extra.insert(blob(200000 + i));
  }
  // Names that came and went leave no trace.
  for (uint64_t i = 0; i < 50; ++i) {
    RC_ASSERT(actual.insert(blob(300000 + i)));
    RC_ASSERT(actual.remove(blob(300000 + i)));
  }
  const Compared c = compare(expected, actual);
  RC_ASSERT(c.status.is_ok());
  RC_ASSERT(c.diff.missing == sorted(missing));
  RC_ASSERT(c.diff.extra == sorted(extra));
}

TEST(InventoryTree, SameSetSameSummariesWhateverTheOrderAndDepth) {
  InventoryTree grown, built;
  for (uint64_t i = 0; i < 20000; ++i) grown.insert(blob(i));
  for (uint64_t i = 0; i < 19000; ++i) ASSERT_TRUE(grown.remove(blob(i)));
  for (uint64_t i = 20000; i-- > 19000;) built.insert(blob(i));
  EXPECT_GT(grown.depth(), built.depth());  // grown deepened past what 1,000 names need
  EXPECT_EQ(grown.size(), 1000u);
  for (uint32_t level = 0; level <= 4; ++level) {
    for (uint64_t prefix = 0; prefix < 16; ++prefix) {
      const InventoryNode node{level, level == 0 ? 0 : prefix};
      EXPECT_EQ(grown.summary(node), built.summary(node)) << "level " << level << " prefix " << prefix;
    }
  }
  EXPECT_FALSE(grown.insert(blob(19500)));
  EXPECT_FALSE(grown.remove(blob(5)));
  EXPECT_TRUE(grown.contains(blob(19999)));
  EXPECT_FALSE(grown.contains(blob(0)));
}

TEST(InventoryTree, NamesUnderANodeAreThoseItsSummaryCounts) {
  InventoryTree t;
  for (uint64_t i = 0; i < 5000; ++i) t.insert(blob(i));
  uint64_t total = 0;
  for (uint64_t prefix = 0; prefix < 256; ++prefix) {
    const InventoryNode node{2, prefix};
    const auto names = t.names(node);
    EXPECT_EQ(names.size(), t.summary(node).count);
    total += names.size();
  }
  EXPECT_EQ(total, 5000u);
  EXPECT_EQ(t.names(InventoryNode{}).size(), 5000u);
}

TEST(InventoryCompare, EqualSetsTakeOneMessage) {
  InventoryTree a, b;
  for (uint64_t i = 0; i < 50000; ++i) {
    a.insert(blob(i));
    b.insert(blob(i));
  }
  const Compared c = compare(a, b);
  ASSERT_TRUE(c.status.is_ok()) << c.status.to_string();
  EXPECT_TRUE(c.diff.missing.empty() && c.diff.extra.empty());
  EXPECT_EQ(c.diff.messages, 1u);
}

TEST(InventoryCompare, TenDifferencesAmongAHundredThousandCostLittle) {
  InventoryTree expected, actual;
  for (uint64_t i = 0; i < 100000; ++i) {
    expected.insert(blob(i));
    if (i % 10000 != 7) actual.insert(blob(i));  // 10 fragments missing
  }
  const Compared c = compare(expected, actual);
  ASSERT_TRUE(c.status.is_ok());
  EXPECT_EQ(c.diff.missing.size(), 10u);
  EXPECT_TRUE(c.diff.extra.empty());
  EXPECT_LE(c.diff.messages, 2 * InventoryTree::kMaxDepth);  // one round trip a level
  EXPECT_LT(c.diff.bytes, 100u * 1024);                      // a listing would be about 3 MB
}

TEST(InventoryCompare, AReplacedDiskMissesEverythingWithoutAListing) {
  InventoryTree expected, empty;
  for (uint64_t i = 0; i < 20000; ++i) expected.insert(blob(i));
  const Compared c = compare(expected, empty);
  ASSERT_TRUE(c.status.is_ok());
  EXPECT_EQ(c.diff.missing.size(), 20000u);
  EXPECT_EQ(c.diff.messages, 1u);
}

TEST(InventoryCompare, ADiskOfOrphansIsListedInPagesAtAboutTheCostOfAScan) {
  InventoryTree none, orphans;
  uint64_t listing_bytes = 0;
  for (uint64_t i = 0; i < 30000; ++i) {
    orphans.insert(blob(i));
    listing_bytes += blob(i).size() + 2;
  }
  const Compared c = compare(none, orphans);
  ASSERT_TRUE(c.status.is_ok());
  EXPECT_EQ(c.diff.extra.size(), 30000u);
  EXPECT_LT(c.diff.bytes, listing_bytes * 3 / 2);
  EXPECT_GT(c.diff.messages, 30000 / kInventoryNamesPerRequest);  // pages, never one huge answer
}

TEST(InventoryCompare, AMalformedOrFailedAnswerIsAnError) {
  InventoryTree a, b;
  for (uint64_t i = 0; i < 100; ++i) a.insert(blob(i));
  const Compared cut = compare(a, b, [](proto::InventoryTreeResponse& r) { r.mutable_counts()->RemoveLast(); });
  EXPECT_EQ(cut.status.code(), Code::kInternal);
  const Compared gone = compare(a, b, [](proto::InventoryTreeResponse& r) { r.set_disk_failed(true); });
  EXPECT_EQ(gone.status.code(), Code::kDiskGone);
  proto::InventoryTreeRequest bad;
  bad.add_levels(1);
  bad.add_prefixes(16);  // a level-1 prefix has one hex digit
  EXPECT_EQ(answer_inventory_request(a, bad).ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace tessera

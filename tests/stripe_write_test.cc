// Writing a stripe's fragments when one disk is slow or gone: the fragment
// moves to another disk that keeps the placement rule, the others stay,
// and the PUT neither waits out the fragment deadline nor rewrites the
// stripe. Over the gateway fixture (one storage node, six disks, 2+1 on
// disk failure domains, 1 s fragment deadline).
#include <gtest/gtest.h>

#include <set>

#include "tests/gateway_fixture.h"

namespace tessera {
namespace {

class StripeWriteTest : public testing::GatewayFixture {
 protected:
  // Every stripe of key's newest version: its disks (all distinct).
  std::vector<std::vector<uint32_t>> stripe_disks(const std::string& key) {
    auto v = run(gateway.head_object("b", key));
    EXPECT_TRUE(v.is_ok());
    std::vector<std::vector<uint32_t>> out;
    for (const proto::StripeRecord& stripe : v.value().stripes()) {
      std::vector<uint32_t> disks;
      for (const auto& loc : stripe.fragments()) disks.push_back(loc.disk());
      EXPECT_EQ(std::set<uint32_t>(disks.begin(), disks.end()).size(), disks.size()) << "a disk holds two";
      out.push_back(disks);
    }
    return out;
  }
  const StripeStore::Stats& stats() { return gateway.stripes().stats(); }
};

TEST_F(StripeWriteTest, AFragmentOnASlowDiskMovesAndThePutGoesOn) {
  disks[0]->set_slowdown(Duration::seconds(30));  // far beyond the 1 s deadline
  const std::string bytes = testing::body(12000, 'a');  // 12 stripes of 2+1 over 6 disks
  const Instant start = rt0.now();
  ASSERT_TRUE(put("slow", bytes).is_ok());
  // Virtual time: each lagging fragment moved after the hedge wait (0.2 s),
  // long before the deadline (1 s) would have ended its write.
  const uint64_t lagged = stats().fragment_writes_lagged;
  EXPECT_GT(lagged, 0u);
  EXPECT_LT((rt0.now() - start).us, static_cast<int64_t>(lagged) * Duration::millis(400).us);
  for (const auto& disks : stripe_disks("slow")) {
    EXPECT_EQ(std::count(disks.begin(), disks.end(), 0u), 0) << "a fragment stayed on the slow disk";
  }
  EXPECT_EQ(lagged, stats().fragment_writes_moved);
  EXPECT_EQ(stats().fragment_write_failures, 0u);
  EXPECT_EQ(get("slow").value(), bytes);
  // For a while after, placement leaves the laggard out: no more waits.
  ASSERT_TRUE(put("slow2", bytes).is_ok());
  EXPECT_EQ(stats().fragment_writes_lagged, lagged);
  for (const auto& disks : stripe_disks("slow2")) EXPECT_EQ(std::count(disks.begin(), disks.end(), 0u), 0);
}

TEST_F(StripeWriteTest, AFragmentOnAGoneDiskMovesAloneWithoutARewrite) {
  disks[0]->kill();
  const std::string bytes = testing::body(12000, 'b');
  ASSERT_TRUE(put("gone", bytes).is_ok());
  const auto stripes = stripe_disks("gone");
  ASSERT_EQ(stripes.size(), 12u);
  for (const auto& disks : stripes) EXPECT_EQ(std::count(disks.begin(), disks.end(), 0u), 0);
  // Each stripe wrote exactly its three fragments: a failed one moved on
  // its own instead of the whole stripe being placed and written again.
  EXPECT_EQ(stats().fragments_written, 12u * 3);
  EXPECT_GT(stats().fragment_writes_moved, 0u);
  EXPECT_EQ(stats().fragment_writes_lagged, 0u);
  EXPECT_EQ(get("gone").value(), bytes);
}

TEST_F(StripeWriteTest, WithNoDiskToMoveToASlowWriteIsAwaited) {
  // Three live disks for 2+1: a lagging fragment has nowhere to go, so its
  // write is awaited (and succeeds) instead of failing the stripe.
  for (uint32_t d = 3; d < testing::kDisks; ++d) disks[d]->kill();
  gateway.stripes().add_usage(DiskRef{1, 3}, 1 << 24);  // placement keeps off the dead ones
  gateway.stripes().add_usage(DiskRef{1, 4}, 1 << 24);
  gateway.stripes().add_usage(DiskRef{1, 5}, 1 << 24);
  disks[0]->set_slowdown(Duration::millis(600));  // lags, within the deadline
  const std::string bytes = testing::body(900, 'c');  // one stripe
  ASSERT_TRUE(put("await", bytes).is_ok());
  EXPECT_EQ(stripe_disks("await")[0].size(), 3u);
  EXPECT_EQ(stats().fragment_writes_moved, 0u);
  EXPECT_EQ(get("await").value(), bytes);
}

}  // namespace
}  // namespace tessera

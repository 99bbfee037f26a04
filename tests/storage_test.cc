// The storage-node service in the simulator: durable before acknowledged,
// verified on every read, bad input refused without a trace.
#include <gtest/gtest.h>

#include "core/codec/sha256.h"
#include "core/repair/inventory_compare.h"
#include "core/storage/fragment_format.h"
#include "core/storage/storage_service.h"
#include "sim/sim_disk.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

class StorageServiceTest : public ::testing::Test {
 protected:
  StorageServiceTest()
      : world(2), rt0(world, 0, 1), rt1(world, 1, 2),
        net(world, testing::uniform_network(50, 100), {{0, 0}, {0, 0}}, 3), n0(net, 0), n1(net, 1),
        d0(rt1, testing::uniform_disk(100, 200), 1 << 24, 4), d1(rt1, testing::uniform_disk(100, 200), 1 << 24, 5),
        client(rt0, n0), server(rt1, n1), service(rt1, server, {&d0, &d1}) {}
  ~StorageServiceTest() override {
    rt0.stop();
    rt1.stop();
  }

  template <typename T>
  T run(Task<T> task) {
    return testing::run_in_sim(world, rt0, std::move(task));
  }
  static proto::FragmentId id(uint32_t index) {
    proto::FragmentId f;
    f.set_object(std::string("bucket\0key with spaces/and\xff bytes", 33));
    f.set_version(7);
    f.set_part(2);
    f.set_index(index);
    return f;
  }
  Status put(uint32_t disk, uint32_t index, std::string data) {
    return run(put_fragment(client, NodeId(1), disk, id(index), std::move(data), Duration::seconds(1)));
  }
  Result<std::string> get(uint32_t disk, uint32_t index) {
    return run(get_fragment(client, NodeId(1), disk, id(index), Duration::seconds(1)));
  }

  sim::SimWorld world;
  sim::SimRuntime rt0, rt1;
  sim::SimNetwork net;
  sim::SimNodeNetwork n0, n1;
  sim::SimDisk d0, d1;
  RpcEndpoint client, server;
  StorageService service;
};

TEST_F(StorageServiceTest, PutThenGetReturnsTheBytes) {
  const std::string data(5000, 'x');
  ASSERT_TRUE(put(0, 3, data).is_ok());
  auto r = get(0, 3);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value(), data);
  EXPECT_EQ(get(1, 3).code(), Code::kNotFound);  // other disk
  EXPECT_EQ(get(0, 4).code(), Code::kNotFound);  // other index
}

TEST_F(StorageServiceTest, AcknowledgedPutSurvivesACrash) {
  ASSERT_TRUE(put(1, 0, "durable").is_ok());
  d1.crash();
  EXPECT_EQ(get(1, 0).value(), "durable");
}

TEST_F(StorageServiceTest, RotAnywhereInTheBlobIsReportedNeverServed) {
  for (int trial = 0; trial < 40; ++trial) {
    ASSERT_TRUE(put(0, 1, std::string(300, static_cast<char>('a' + trial % 26))).is_ok());
    ASSERT_TRUE(d0.rot_at_rest());
    auto r = get(0, 1);
    ASSERT_FALSE(r.is_ok()) << "rotten fragment served as data";
    EXPECT_EQ(r.code(), Code::kCorrupt) << r.status().to_string();
  }
  EXPECT_EQ(service.stats().corrupt_reads, 40u);
}

TEST_F(StorageServiceTest, PutWithAWrongChecksumIsRefusedAndLeavesNothing) {
  const Sha256 wrong = sha256("other");
  auto r = run(put_fragment(client, NodeId(1), encode_put_payload(0, id(0), "payload", wrong), Duration::seconds(1)));
  EXPECT_EQ(r.code(), Code::kCorrupt);
  EXPECT_EQ(get(0, 0).code(), Code::kNotFound);
  EXPECT_EQ(service.stats().refused_puts, 1u);
}

TEST_F(StorageServiceTest, PutWhoseTrailerDisagreesWithItsBlobIsRefused) {
  // A trailer naming another fragment than the blob's header (one flipped
  // bit in transit) must not file the bytes under either name.
  std::string payload = encode_put_payload(0, id(1), "payload", sha256("payload"));
  const std::string blob = encode_fragment_blob(id(1), "payload", sha256("payload"));
  proto::PutFragmentRequest trailer;
  trailer.set_disk(0);
  *trailer.mutable_id() = id(2);
  const Sha256 digest = sha256("payload");
  trailer.set_sha256(digest.data(), digest.size());
  std::string t = trailer.SerializeAsString();
  std::string forged = blob + t;
  for (int i = 0; i < 4; ++i) forged.push_back(static_cast<char>(t.size() >> (8 * i)));
  EXPECT_EQ(run(put_fragment(client, NodeId(1), forged, Duration::seconds(1))).code(), Code::kCorrupt);
  // Truncated payloads are refused as malformed.
  EXPECT_EQ(run(put_fragment(client, NodeId(1), payload.substr(0, 3), Duration::seconds(1))).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(run(put_fragment(client, NodeId(1), payload.substr(0, payload.size() - 1), Duration::seconds(1))).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(get(0, 1).code(), Code::kNotFound);
  EXPECT_EQ(get(0, 2).code(), Code::kNotFound);
  // The untouched payload is stored and reads back.
  ASSERT_TRUE(run(put_fragment(client, NodeId(1), payload, Duration::seconds(1))).is_ok());
  ASSERT_TRUE(get(0, 1).is_ok());
  EXPECT_EQ(get(0, 1).value(), "payload");
}

TEST_F(StorageServiceTest, BadDiskIndexAndLostDiskAreErrors) {
  auto bad = put(9, 0, "x");
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("no disk 9 on this node (2 disks)"), std::string::npos);
  ASSERT_TRUE(put(1, 0, "x").is_ok());
  d1.kill();
  EXPECT_EQ(get(1, 0).code(), Code::kDiskGone);
  EXPECT_EQ(put(1, 1, "y").code(), Code::kDiskGone);
}

TEST_F(StorageServiceTest, DeleteRemoves) {
  ASSERT_TRUE(put(0, 5, "gone soon").is_ok());
  ASSERT_TRUE(run(delete_fragment(client, NodeId(1), 0, id(5), Duration::seconds(1))).is_ok());
  EXPECT_EQ(get(0, 5).code(), Code::kNotFound);
}

// The node's Merkle inventory against what a caller expects on disk 0.
class StorageInventoryTest : public StorageServiceTest {
 protected:
  Result<InventoryDiff> compare_disk0(const std::vector<uint32_t>& expected_indexes) {
    InventoryTree expected;
    for (uint32_t i : expected_indexes) expected.insert(fragment_blob_name(id(i)));
    InventoryAsk ask = [this](proto::InventoryTreeRequest req) {
      req.set_disk(0);
      return ask_inventory_tree(client, NodeId(1), std::move(req), Duration::seconds(1));
    };
    InventoryDiff diff;
    Status s = run(compare_inventory(expected, std::move(ask), &diff));
    if (!s.is_ok()) return s;
    return diff;
  }
  static std::vector<std::string> names(std::vector<uint32_t> indexes) {
    std::vector<std::string> out;
    for (uint32_t i : indexes) out.push_back(fragment_blob_name(id(i)));
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(StorageInventoryTest, TheTreeFollowsPutsDeletesAndReads) {
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(put(0, i, "fragment " + std::to_string(i)).is_ok());
  auto same = compare_disk0({0, 1, 2, 3});
  ASSERT_TRUE(same.is_ok()) << same.status().to_string();
  EXPECT_TRUE(same.value().missing.empty() && same.value().extra.empty());
  EXPECT_EQ(same.value().messages, 1u);
  ASSERT_TRUE(run(delete_fragment(client, NodeId(1), 0, id(1), Duration::seconds(1))).is_ok());
  ASSERT_TRUE(put(0, 9, "unexpected").is_ok());
  auto diff = compare_disk0({0, 1, 2, 3});
  ASSERT_TRUE(diff.is_ok());
  EXPECT_EQ(diff.value().missing, names({1}));
  EXPECT_EQ(diff.value().extra, names({9}));
  // Removed behind the node's back: a read that finds it gone tells the tree.
  ASSERT_TRUE(run(d0.remove(fragment_blob_name(id(2)))).is_ok());
  EXPECT_EQ(get(0, 2).code(), Code::kNotFound);
  EXPECT_EQ(compare_disk0({0, 3, 9}).value().missing, names({}));
  EXPECT_EQ(compare_disk0({0, 2, 3, 9}).value().missing, names({2}));
}

TEST_F(StorageInventoryTest, AListingBringsTheTreeInLineWithTheDisk) {
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(put(0, i, "x").is_ok());
  ASSERT_TRUE(compare_disk0({0, 1, 2}).is_ok());  // built
  ASSERT_TRUE(run(d0.remove(fragment_blob_name(id(0)))).is_ok());
  EXPECT_TRUE(compare_disk0({0, 1, 2}).value().missing.empty());  // not seen yet
  auto listed = run(service.list_blobs(0));
  ASSERT_TRUE(listed.is_ok());
  EXPECT_EQ(listed.value().size(), 2u);
  EXPECT_EQ(compare_disk0({0, 1, 2}).value().missing, names({0}));
  // Restored behind its back: seen once the last listing is old enough.
  ASSERT_TRUE(run(d0.write(fragment_blob_name(id(0)), "x", Durability::kSync)).is_ok());
  EXPECT_EQ(compare_disk0({0, 1, 2}).value().missing, names({0}));
  testing::pass_time_in_sim(world, rt0, InventoryKeeper::kRelistAfter);
  EXPECT_TRUE(compare_disk0({0, 1, 2}).value().missing.empty());
}

TEST_F(StorageInventoryTest, AGoneDiskIsReportedAndAReplacedOneIsListedAnew) {
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(put(0, i, "x").is_ok());
  ASSERT_TRUE(compare_disk0({0, 1, 2}).is_ok());
  d0.kill();
  EXPECT_EQ(compare_disk0({0, 1, 2}).code(), Code::kDiskGone);
  d0.replace();
  auto fresh = compare_disk0({0, 1, 2});
  ASSERT_TRUE(fresh.is_ok()) << fresh.status().to_string();
  EXPECT_EQ(fresh.value().missing, names({0, 1, 2}));
}

TEST_F(StorageInventoryTest, CorruptFragmentsComeWithTheFirstAnswer) {
  ASSERT_TRUE(put(0, 4, std::string(200, 'c')).is_ok());
  ASSERT_TRUE(d0.rot_at_rest());
  EXPECT_EQ(get(0, 4).code(), Code::kCorrupt);
  auto diff = compare_disk0({4});
  ASSERT_TRUE(diff.is_ok());
  EXPECT_EQ(diff.value().corrupt, names({4}));
  EXPECT_TRUE(diff.value().missing.empty());
}

TEST(FragmentFormat, HeaderNamingAnotherFragmentIsCorrupt) {
  proto::FragmentId a, b;
  a.set_object("k");
  b.set_object("k");
  b.set_index(1);
  const std::string blob = encode_fragment_blob(a, "data", sha256("data"));
  EXPECT_TRUE(decode_fragment_blob(blob, a).is_ok());
  EXPECT_EQ(decode_fragment_blob(blob, b).code(), Code::kCorrupt);
  EXPECT_EQ(decode_fragment_blob(blob.substr(0, blob.size() - 1), a).code(), Code::kCorrupt);
  EXPECT_EQ(decode_fragment_blob("", a).code(), Code::kCorrupt);
  EXPECT_TRUE(valid_blob_name(fragment_blob_name(a)));
}

}  // namespace
}  // namespace tessera

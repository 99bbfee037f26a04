// Disk state reaches placement through the shared node assembly: a
// storage node's heartbeats carry what each disk holds, has room for and
// whether it is gone, so a gateway's fill is true after deletes it did not
// make, and a dead disk is no longer chosen (until it is replaced). Two
// Nodes in a small simulated world: a gateway with its metadata, and a
// storage node with three disks (2+1 across disks).
#include <gtest/gtest.h>

#include "core/node/node.h"
#include "sim/sim_disk.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

constexpr uint32_t kDisks = 4;
constexpr uint64_t kCapacity = 1 << 24;

class DiskReportsTest : public ::testing::Test {
 protected:
  DiskReportsTest()
      : world(2), rt0(world, 0, 1), rt1(world, 1, 2),
        net(world, testing::uniform_network(50, 100), {{0, 0}, {0, 0}}, 3), n0(net, 0), n1(net, 1),
        kv(rt0, Duration::micros(10), 4) {
    for (uint32_t d = 0; d < kDisks; ++d) {
      disks.push_back(std::make_unique<sim::SimDisk>(rt1, testing::uniform_disk(100, 200), kCapacity, 10 + d));
    }
    NodePlan storage_plan;
    storage_plan.roles.storage = true;
    storage_plan.heartbeat_peers = {NodeId(0)};
    storage_plan.heartbeat.interval = Duration::millis(100);
    std::vector<Disk*> raw;
    for (auto& d : disks) raw.push_back(d.get());
    storage = std::make_unique<Node>(NodeIo{rt1, n1, raw, nullptr}, storage_plan);

    NodePlan gateway_plan;
    gateway_plan.roles.gateway = true;
    gateway_plan.heartbeat_peers = {NodeId(1)};
    gateway_plan.heartbeat.interval = Duration::millis(100);
    for (uint32_t d = 0; d < kDisks; ++d) gateway_plan.cluster_disks.push_back(DiskInfo{DiskRef{1, d}, 0, d, kCapacity, 0, true});
    gateway_plan.gateway.storage_classes = {StorageClass{"STANDARD", 2, 1, FailureDomain::kDisk}};
    gateway_plan.gateway.part_bytes = 4096;
    gateway_plan.gateway.inline_bytes_max = 64;
    gateway_plan.gateway.stripes.fragment_deadline = Duration::seconds(1);
    gateway = std::make_unique<Node>(NodeIo{rt0, n0, {}, &kv}, gateway_plan);
    proto::BucketRecord b;
    b.set_name("b");
    EXPECT_TRUE(run(gateway->metadata()->create_bucket(b)).is_ok());
  }
  ~DiskReportsTest() override {
    rt0.stop();
    rt1.stop();
  }

  template <typename T>
  T run(Task<T> task) {
    return testing::run_in_sim(world, rt0, std::move(task));
  }
  void wait_beats() { testing::pass_time_in_sim(world, rt0, Duration::millis(350)); }
  Status put(const std::string& key, size_t bytes) {
    auto bucket = run(gateway->metadata()->get_bucket("b"));
    std::string body(bytes, 'x');
    StringSource source(body);
    auto r = run(gateway->gateway()->put_object(bucket.value(), key, source, {}, {}));
    return r.is_ok() ? Status::ok() : r.status();
  }
  const DiskInfo& seen(uint32_t d) { return gateway->gateway()->stripes().disks().at(d); }

  sim::SimWorld world;
  sim::SimRuntime rt0, rt1;
  sim::SimNetwork net;
  sim::SimNodeNetwork n0, n1;
  sim::SimKv kv;
  std::vector<std::unique_ptr<sim::SimDisk>> disks;
  std::unique_ptr<Node> storage, gateway;
};

TEST_F(DiskReportsTest, FillIsWhatTheDisksHoldEvenAfterDeletesElsewhere) {
  ASSERT_TRUE(put("k", 100000).is_ok());
  wait_beats();
  uint64_t total = 0;
  for (uint32_t d = 0; d < kDisks; ++d) {
    EXPECT_EQ(seen(d).used_bytes, disks[d]->used_bytes()) << "disk " << d;
    EXPECT_EQ(seen(d).free_bytes, kCapacity - disks[d]->used_bytes()) << "disk " << d;
    total += disks[d]->used_bytes();
  }
  EXPECT_GT(total, 100000u);
  // Bytes removed behind the gateway's back (another gateway's GC, an
  // operator): the next beats say so.
  for (const std::string& name : run(disks[1]->list("")).value()) ASSERT_TRUE(run(disks[1]->remove(name)).is_ok());
  wait_beats();
  EXPECT_EQ(seen(1).used_bytes, 0u);
  EXPECT_EQ(seen(1).free_bytes, kCapacity);
}

TEST_F(DiskReportsTest, AGoneDiskIsNotChosenUntilItIsReplaced) {
  disks[2]->kill();
  wait_beats();
  EXPECT_TRUE(seen(2).gone);
  EXPECT_EQ(gateway->gateway()->stripes().disks_gone(), 1u);
  const uint64_t failures = gateway->gateway()->stripes().stats().fragment_write_failures;
  const uint64_t moved = gateway->gateway()->stripes().stats().fragment_writes_moved;
  ASSERT_TRUE(put("after", 40000).is_ok());  // 10 stripes over the 3 live disks
  EXPECT_EQ(gateway->gateway()->stripes().stats().fragment_write_failures, failures);
  EXPECT_EQ(gateway->gateway()->stripes().stats().fragment_writes_moved, moved) << "a write was tried on the gone disk";
  EXPECT_EQ(disks[2]->blob_count(), 0u);

  disks[2]->replace();
  wait_beats();
  EXPECT_FALSE(seen(2).gone);
  ASSERT_TRUE(put("replaced", 40000).is_ok());
  EXPECT_GT(disks[2]->blob_count(), 0u) << "the new disk takes fragments";
}

TEST_F(DiskReportsTest, AWriteThatFindsADiskGoneMarksItAtOnce) {
  // Before any beat could tell: the first writes to it find it gone, and
  // no stripe placed after that tries it (at most the 3 a PUT has in
  // flight did, of the 10 stripes, most of which would have used it).
  disks[3]->kill();
  ASSERT_TRUE(put("first", 40000).is_ok());
  EXPECT_TRUE(seen(3).gone);
  const uint64_t moved = gateway->gateway()->stripes().stats().fragment_writes_moved;
  EXPECT_GE(moved, 1u);
  EXPECT_LE(moved, 3u);
}

}  // namespace
}  // namespace tessera

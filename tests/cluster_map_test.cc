// The cluster map over the failure detector: a silent storage node is down
// at once and out only after out_after without a break, so a flapping node
// is never out (repair moves nothing of it); no more than out_percent_max
// of the nodes are out at once; one heard again is up at once. A gateway
// and three storage nodes heartbeating it, cut off by partitions.
#include <gtest/gtest.h>

#include "core/membership/cluster_map.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

constexpr uint32_t kNodes = 4;

class ClusterMapTest : public ::testing::Test {
 protected:
  ClusterMapTest()
      : world(5), net(world, testing::uniform_network(50, 100), std::vector<sim::NodeLocation>(kNodes), 3) {
    for (uint32_t n = 0; n < kNodes; ++n) {
      rts.push_back(std::make_unique<sim::SimRuntime>(world, n, 10 + n));
      nets.push_back(std::make_unique<sim::SimNodeNetwork>(net, n));
      rpcs.push_back(std::make_unique<RpcEndpoint>(*rts[n], *nets[n]));
    }
    HeartbeatConfig beats{Duration::millis(100), 3};
    detector = std::make_unique<Heartbeater>(*rts[0], *rpcs[0], std::vector<NodeId>{}, 1, beats);
    for (uint32_t n = 1; n < kNodes; ++n) {
      senders.push_back(std::make_unique<Heartbeater>(*rts[n], *rpcs[n], std::vector<NodeId>{NodeId(0)}, 1, beats));
    }
    ClusterMapConfig config;
    config.out_after = Duration::seconds(1);
    config.out_percent_max = 34;  // one of the three
    map = std::make_unique<ClusterMap>(*rts[0], *detector, std::vector<NodeId>{NodeId(1), NodeId(2), NodeId(3)},
                                       config, Duration::millis(100));
    wait(Duration::millis(500));
  }
  ~ClusterMapTest() override {
    for (auto& rt : rts) rt->stop();
  }

  void wait(Duration d) { testing::pass_time_in_sim(world, *rts[0], d); }
  uint64_t cut(uint32_t node) {
    std::vector<bool> side(kNodes, false);
    side[node] = true;
    return net.add_partition(side, false);
  }
  NodeState state(uint32_t node) const { return map->state(NodeId(node)); }

  sim::SimWorld world;
  sim::SimNetwork net;
  std::vector<std::unique_ptr<sim::SimRuntime>> rts;
  std::vector<std::unique_ptr<sim::SimNodeNetwork>> nets;
  std::vector<std::unique_ptr<RpcEndpoint>> rpcs;
  std::unique_ptr<Heartbeater> detector;
  std::vector<std::unique_ptr<Heartbeater>> senders;
  std::unique_ptr<ClusterMap> map;
};

TEST_F(ClusterMapTest, ASilentNodeIsDownAtOnceAndOutAfterItsGrace) {
  for (uint32_t n = 1; n < kNodes; ++n) EXPECT_EQ(state(n), NodeState::kUp);
  const uint64_t version = map->version();
  const uint64_t id = cut(2);
  wait(Duration::millis(500));
  EXPECT_EQ(state(2), NodeState::kDown);
  EXPECT_GT(map->version(), version);
  wait(Duration::millis(400));  // 0.9 s silent at most
  EXPECT_EQ(state(2), NodeState::kDown);
  wait(Duration::millis(400));
  EXPECT_EQ(state(2), NodeState::kOut);
  EXPECT_EQ(map->counts().at(NodeState::kOut), 1u);
  net.heal_partition(id);
  wait(Duration::millis(200));
  EXPECT_EQ(state(2), NodeState::kUp) << "heard again: in at once";
  EXPECT_EQ(map->counts().at(NodeState::kOut), 0u);
}

TEST_F(ClusterMapTest, AFlappingNodeIsNeverOut) {
  const uint64_t version = map->version();
  for (int flap = 0; flap < 6; ++flap) {
    const uint64_t id = cut(1);
    for (int step = 0; step < 8; ++step) {  // 800 ms silent: down, never out
      wait(Duration::millis(100));
      ASSERT_NE(state(1), NodeState::kOut) << "flap " << flap << " step " << step;
    }
    net.heal_partition(id);
    wait(Duration::millis(300));
    ASSERT_EQ(state(1), NodeState::kUp);
  }
  EXPECT_GE(map->version(), version + 12) << "each flap is two changes of the map";
}

TEST_F(ClusterMapTest, NoMoreThanTheCapAreOutAtOnce) {
  cut(2);
  wait(Duration::millis(300));
  cut(3);  // silent 300 ms less than node 2
  wait(Duration::seconds(3));
  EXPECT_EQ(state(2), NodeState::kOut) << "the longest silent goes out first";
  EXPECT_EQ(state(3), NodeState::kDown) << "a second out node would pass out_percent_max";
  EXPECT_EQ(state(1), NodeState::kUp);
}

}  // namespace
}  // namespace tessera

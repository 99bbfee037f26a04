// The Raft driver in a small simulated world: node 0 is an operator's
// client, nodes 1-3 a group, node 4 an empty spare. A follower cut off for
// good is replaced by the spare, which then counts in the quorum; what
// cannot be done is refused with a reason. A replica that starts empty
// votes only once it knows the group is new, or a leader has reached it.
#include <gtest/gtest.h>

#include <memory>

#include "consensus.pb.h"
#include "core/consensus/raft_replica.h"
#include "core/metadata/metadata_group_admin.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

constexpr uint32_t kNodes = 5;
constexpr uint32_t kSpare = 4;

struct Group {
  // cut_before_start: a node cut off from the others before any replica starts (0: none).
  explicit Group(uint32_t cut_before_start = 0)
      : world(kNodes), net(world, testing::uniform_network(100, 500), std::vector<sim::NodeLocation>(kNodes), 7) {
    if (cut_before_start != 0) cut_off(cut_before_start);
    config.voters = {NodeId(1), NodeId(2), NodeId(3)};
    for (uint32_t n = 0; n < kNodes; ++n) {
      rt.push_back(std::make_unique<sim::SimRuntime>(world, n, 100 + n));
      nets.push_back(std::make_unique<sim::SimNodeNetwork>(net, n));
      kv.push_back(std::make_unique<sim::SimKv>(*rt[n], Duration::micros(50), 200 + n));
      rpc.push_back(std::make_unique<RpcEndpoint>(*rt[n], *nets[n]));
      if (n == 0) continue;
      replica[n] = std::make_unique<RaftReplica>(*rt[n], *rpc[n], *kv[n], config);  // the spare: outside the group
      rt[n]->spawn([](RaftReplica& r) -> Task<void> { (void)co_await r.start(); }(*replica[n]));
    }
  }
  ~Group() {
    for (auto& r : rt) r->stop();
  }
  // Steps the world until some replica leads (0: none within the budget).
  uint32_t leader() {
    for (int i = 0; i < 200000; ++i) {
      for (uint32_t n = 1; n < kNodes; ++n) {
        if (replica[n]->is_leader()) return n;
      }
      if (!world.step()) break;
    }
    return 0;
  }
  uint64_t cut_off(uint32_t node) {
    std::vector<bool> side(kNodes, false);
    side[node] = true;
    return net.add_partition(side, false);
  }
  // The node's process dies and comes back on an empty disk.
  void restart_wiped(uint32_t n) {
    rt[n]->stop();
    net.node_stopped(n);
    replica[n].reset();
    rpc[n].reset();
    kv[n]->wipe();
    net.node_started(n);
    rpc[n] = std::make_unique<RpcEndpoint>(*rt[n], *nets[n]);
    replica[n] = std::make_unique<RaftReplica>(*rt[n], *rpc[n], *kv[n], config);
    rt[n]->spawn([](RaftReplica& r) -> Task<void> { (void)co_await r.start(); }(*replica[n]));
  }
  bool holds(uint32_t n, const std::string& key) {
    return testing::run_in_sim(world, *rt[n], kv[n]->get("\x01" + key)).is_ok();
  }
  Status replace(uint32_t remove, uint32_t add) {
    return testing::run_in_sim(world, *rt[0],
                               replace_metadata_replica(*rpc[0], {NodeId(1), NodeId(2), NodeId(3)}, NodeId(remove),
                                                        NodeId(add), Duration::seconds(5)));
  }
  Status write(uint32_t on, const std::string& key) {
    proto::KvCommand command;
    auto* op = command.add_ops();
    op->set_key("\x01" + key);
    op->set_value("v");
    return testing::run_in_sim(world, *rt[on], replica[on]->propose(command.SerializeAsString()));
  }
  bool votes(uint32_t leader, uint32_t node) {
    for (uint32_t v : replica[leader]->raft()->config().voters()) {
      if (v == raft_peer(NodeId(node))) return true;
    }
    return false;
  }

  RaftReplicaConfig config;
  sim::SimWorld world;
  sim::SimNetwork net;
  std::vector<std::unique_ptr<sim::SimRuntime>> rt;
  std::vector<std::unique_ptr<sim::SimNodeNetwork>> nets;
  std::vector<std::unique_ptr<sim::SimKv>> kv;
  std::vector<std::unique_ptr<RpcEndpoint>> rpc;
  std::unique_ptr<RaftReplica> replica[kNodes];
};

TEST(RaftReplica, ADeadFollowerIsReplacedByASpareThatThenCountsInTheQuorum) {
  Group g;
  const uint32_t leader = g.leader();
  ASSERT_NE(leader, 0u);
  ASSERT_NE(leader, kSpare) << "a replica outside the group never campaigns";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(g.write(leader, "before" + std::to_string(i)).is_ok());
  const uint32_t dead = leader == 1 ? 2 : 1;
  const uint32_t other = 6 - leader - dead;
  g.cut_off(dead);

  Status replaced = g.replace(dead, kSpare);
  ASSERT_TRUE(replaced.is_ok()) << replaced.to_string();
  EXPECT_TRUE(g.votes(leader, kSpare));
  EXPECT_FALSE(g.votes(leader, dead));
  EXPECT_EQ(g.replica[leader]->raft()->config().learners_size(), 0);
  EXPECT_TRUE(g.replace(dead, kSpare).is_ok()) << "asked again once done, it is done";

  // With the other original cut off too, only the spare's vote makes a quorum.
  g.cut_off(other);
  Status after = g.write(leader, "after");
  ASSERT_TRUE(after.is_ok()) << after.to_string();
  EXPECT_GE(g.replica[kSpare]->applied_index(), g.replica[leader]->raft()->commit_index() - 1);
}

TEST(RaftReplica, AReplacementThatCannotBeDoneIsRefusedWithAReason) {
  Group g;
  const uint32_t leader = g.leader();
  ASSERT_NE(leader, 0u);
  const uint32_t follower = leader == 1 ? 2 : 1;

  Status of_leader = g.replace(leader, kSpare);
  EXPECT_EQ(of_leader.code(), Code::kFailedPrecondition);
  EXPECT_NE(of_leader.message().find("leads the group"), std::string::npos) << of_leader.to_string();

  Status of_itself = g.replace(follower, follower);
  EXPECT_EQ(of_itself.code(), Code::kInvalidArgument) << of_itself.to_string();

  Status not_a_voter = g.replace(kSpare, 0);  // neither in the group
  EXPECT_EQ(not_a_voter.code(), Code::kInvalidArgument);
  EXPECT_NE(not_a_voter.message().find("is not a voter"), std::string::npos) << not_a_voter.to_string();

  proto::RaftReplace request;
  request.set_remove(follower);
  request.set_add(kSpare);
  auto at_follower = testing::run_in_sim(
      g.world, *g.rt[0],
      call_message<proto::RaftReplace>(*g.rpc[0], NodeId(follower), "raft.replace", request, Duration::seconds(1)));
  EXPECT_EQ(at_follower.status().reason(), "NotLeader");
  EXPECT_EQ(g.replica[leader]->raft()->config().voters_size(), 3) << "nothing changed";
}

// Writes committed by the leader and one follower; the third was cut off
// and lacks them. The follower loses its disk and the leader goes: the
// wiped replica must not vote the stale one in (it would lose the
// writes), so nobody leads until the leader is back.
TEST(RaftReplica, AReplicaThatLostItsDiskDoesNotElectOneLackingCommittedWrites) {
  Group g;
  const uint32_t leader = g.leader();
  ASSERT_NE(leader, 0u);
  const uint32_t wiped = leader == 1 ? 2 : 1;
  const uint32_t stale = 6 - leader - wiped;
  const uint64_t stale_cut = g.cut_off(stale);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(g.write(leader, "before" + std::to_string(i)).is_ok());
  ASSERT_FALSE(g.holds(stale, "before0"));

  g.cut_off(leader);
  g.world.run_until(g.world.now() + Duration::seconds(2));  // what the leader sent has arrived
  g.net.heal_partition(stale_cut);
  g.restart_wiped(wiped);
  g.world.run_until(g.world.now() + Duration::seconds(30));
  EXPECT_FALSE(g.replica[wiped]->is_leader());
  EXPECT_FALSE(g.replica[stale]->is_leader()) << "elected with the wiped replica's vote";
  EXPECT_TRUE(g.replica[wiped]->raft()->recovering()) << g.replica[wiped]->describe();

  g.net.heal_partitions();
  const uint32_t next = g.leader();
  ASSERT_NE(next, 0u);
  ASSERT_TRUE(g.write(next, "after").is_ok());
  for (uint32_t n : {wiped, stale}) {
    EXPECT_TRUE(g.holds(n, "before0")) << "replica " << n;
    EXPECT_TRUE(g.holds(n, "before19")) << "replica " << n;
  }
}

// A group starting for the first time waits for every voter to answer
// (any silent one might hold the log); once all have, it elects at once.
TEST(RaftReplica, ANewGroupElectsOnceEveryVoterAnswersThatItsLogIsEmpty) {
  Group g(/*cut_before_start=*/3);
  g.world.run_until(g.world.now() + Duration::seconds(30));
  for (uint32_t n = 1; n <= 3; ++n) EXPECT_FALSE(g.replica[n]->is_leader()) << "replica " << n;
  EXPECT_TRUE(g.replica[1]->raft()->recovering()) << g.replica[1]->describe();

  g.net.heal_partitions();
  const Instant healed = g.world.now();
  const uint32_t leader = g.leader();
  ASSERT_NE(leader, 0u);
  EXPECT_LT(g.world.now() - healed, Duration::seconds(5));
  EXPECT_TRUE(g.write(leader, "first").is_ok());
}

}  // namespace
}  // namespace tessera

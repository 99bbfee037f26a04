// The simulator kernel's own guarantees: event order, crash semantics of
// disk and kv, partitions, and that a crash destroys a node's volatile work.
#include <gtest/gtest.h>

#include <map>

#include "sim/cluster.h"
#include "sim/fault_injector.h"
#include "sim/scenario_file.h"
#include "sim/sim_disk.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_world.h"
#include "sim/workloads/repair_budget.h"
#include "tests/sim_run.h"

namespace tessera::sim {
namespace {

template <typename T>
T run_on(SimWorld& world, SimRuntime& rt, Task<T> task) {
  return testing::run_in_sim(world, rt, std::move(task));
}

TEST(SimWorld, RunsEventsByTimeThenBySequence) {
  SimWorld world(1);
  std::vector<int> order;
  world.schedule(Duration::micros(10), EventKind::kControl, kWorldOwner, 0, 0, [&] { order.push_back(3); });
  world.schedule(Duration::micros(5), EventKind::kControl, kWorldOwner, 0, 0, [&] { order.push_back(1); });
  world.schedule(Duration::micros(5), EventKind::kControl, kWorldOwner, 0, 0, [&] { order.push_back(2); });
  world.run_until(Instant{100});
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(world.now(), Instant{100});
  EXPECT_EQ(world.events(), 3u);
}

TEST(SimWorld, EventsOfAnEndedIncarnationAreSkipped) {
  SimWorld world(2);
  int ran = 0;
  world.schedule(Duration::micros(5), EventKind::kTimer, 0, world.incarnation(0), 0, [&] { ++ran; });
  world.schedule(Duration::micros(5), EventKind::kTimer, 1, world.incarnation(1), 0, [&] { ran += 10; });
  world.bump_incarnation(0);
  world.run_until(Instant{10});
  EXPECT_EQ(ran, 10);
  EXPECT_EQ(world.events(), 1u);
}

TEST(SimRuntime, StopDestroysRootTasksAndTheirTimers) {
  SimWorld world(1);
  SimRuntime rt(world, 0, 1);
  int woke = 0;
  auto sleeper = [](Runtime& rt, int& woke) -> Task<void> {
    co_await sleep(rt, Duration::millis(5));
    ++woke;
  };
  rt.spawn(sleeper(rt, woke));
  rt.spawn(sleeper(rt, woke));
  EXPECT_EQ(rt.live_tasks(), 2u);
  rt.stop();
  EXPECT_EQ(rt.live_tasks(), 0u);
  world.run_until(Instant{100000});
  EXPECT_EQ(woke, 0);
}

proto::DiskModel fast_disk() { return testing::uniform_disk(1, 1); }

TEST(SimDisk, CrashKeepsSyncedBlobsAndMayLoseOrTearBufferedOnes) {
  SimWorld world(1);
  SimRuntime rt(world, 0, 1);
  SimDisk disk(rt, fast_disk(), 1u << 30, 5);
  const std::string synced(1000, 's');
  ASSERT_TRUE(run_on(world, rt, disk.write("synced", synced, Durability::kSync)).is_ok());
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(run_on(world, rt, disk.write("buf-" + std::to_string(i), std::string(100, 'b'),
                                             Durability::kBuffered)).is_ok());
  }
  disk.crash();
  EXPECT_EQ(run_on(world, rt, disk.read("synced")).value(), synced);
  int kept = 0, lost = 0, torn = 0;
  for (int i = 0; i < 60; ++i) {
    auto r = run_on(world, rt, disk.read("buf-" + std::to_string(i)));
    if (!r.is_ok()) {
      ++lost;
    } else if (r.value().size() == 100) {
      ++kept;
    } else {
      ++torn;
      EXPECT_LT(r.value().size(), 100u);
    }
  }
  // 60 blobs over three equally likely fates: each happens.
  EXPECT_GT(kept, 0);
  EXPECT_GT(lost, 0);
  EXPECT_GT(torn, 0);
  EXPECT_EQ(static_cast<uint64_t>(lost), disk.stats().lost_on_crash);
}

TEST(SimDisk, FullDeadAndRottenDisks) {
  SimWorld world(1);
  SimRuntime rt(world, 0, 1);
  SimDisk disk(rt, fast_disk(), 100, 5);
  EXPECT_TRUE(run_on(world, rt, disk.write("a", std::string(60, 'a'), Durability::kSync)).is_ok());
  EXPECT_EQ(run_on(world, rt, disk.write("b", std::string(60, 'b'), Durability::kSync)).code(),
            Code::kNoSpace);
  // Overwriting in place only needs the difference.
  EXPECT_TRUE(run_on(world, rt, disk.write("a", std::string(90, 'a'), Durability::kSync)).is_ok());

  ASSERT_TRUE(disk.rot_at_rest());
  const std::string rotten = run_on(world, rt, disk.read("a")).value();
  EXPECT_EQ(rotten.size(), 90u);
  EXPECT_NE(rotten, std::string(90, 'a'));

  disk.kill();
  EXPECT_EQ(run_on(world, rt, disk.read("a")).code(), Code::kDiskGone);
  EXPECT_EQ(run_on(world, rt, disk.write("c", "c", Durability::kSync)).code(), Code::kDiskGone);
  disk.replace();
  EXPECT_EQ(run_on(world, rt, disk.read("a")).code(), Code::kNotFound);
}

TEST(SimDisk, BitRotOnReadCorruptsTheCopyNotTheBlob) {
  SimWorld world(1);
  SimRuntime rt(world, 0, 1);
  proto::DiskModel model = fast_disk();
  model.set_bitrot_on_read_ppm(1000000);
  SimDisk disk(rt, model, 1u << 20, 5);
  ASSERT_TRUE(run_on(world, rt, disk.write("a", "abcdefgh", Durability::kSync)).is_ok());
  EXPECT_NE(run_on(world, rt, disk.read("a")).value(), "abcdefgh");
  EXPECT_EQ(disk.stats().rot_on_read, 1u);
}

TEST(SimKv, CrashKeepsSyncedAndLosesOnlyASuffix) {
  SimWorld world(1);
  SimRuntime rt(world, 0, 1);
  SimKv kv(rt, Duration::micros(1), 3);
  auto put = [&](const std::string& k, Durability d) {
    KvBatch b;
    b.put(k, "v");
    return run_on(world, rt, kv.write(std::move(b), d));
  };
  ASSERT_TRUE(put("k0", Durability::kBuffered).is_ok());
  ASSERT_TRUE(put("k1", Durability::kSync).is_ok());  // makes k0 durable too
  for (int i = 2; i < 40; ++i) ASSERT_TRUE(put("k" + std::to_string(i), Durability::kBuffered).is_ok());
  kv.crash();
  EXPECT_TRUE(run_on(world, rt, kv.get("k0")).is_ok());
  EXPECT_TRUE(run_on(world, rt, kv.get("k1")).is_ok());
  bool gap = false;
  for (int i = 2; i < 40; ++i) {
    const bool present = run_on(world, rt, kv.get("k" + std::to_string(i))).is_ok();
    if (!present) gap = true;
    EXPECT_FALSE(gap && present) << "k" << i << " survived after a lost batch";
  }
}

TEST(SimNetwork, PartitionsBlockTheRightDirections) {
  SimWorld world(3);
  SimNetwork net(world, proto::NetworkModel(), {{0, 0}, {0, 0}, {1, 1}}, 1);
  net.add_partition({true, false, false}, /*one_way=*/true);
  EXPECT_TRUE(net.blocked(0, 1));
  EXPECT_FALSE(net.blocked(1, 0));
  net.heal_partitions();
  net.add_partition({false, false, true}, /*one_way=*/false);
  EXPECT_TRUE(net.blocked(2, 0));
  EXPECT_TRUE(net.blocked(0, 2));
  EXPECT_FALSE(net.blocked(0, 1));
  net.heal_partitions();
  EXPECT_FALSE(net.blocked(2, 0));

  // Healing one partition leaves an overlapping one in place.
  const uint64_t first = net.add_partition({true, false, false}, false);
  net.add_partition({false, false, true}, false);
  net.heal_partition(first);
  EXPECT_FALSE(net.blocked(0, 1));
  EXPECT_TRUE(net.blocked(0, 2));
  EXPECT_EQ(net.partition_count(), 1u);
}

TEST(SimNetwork, LossAndDuplicationFollowTheModel) {
  SimWorld world(2);
  proto::NetworkModel model;
  model.set_duplicate_ppm(1000000);
  SimNetwork net(world, model, {{0, 0}, {0, 0}}, 1);
  int received = 0;
  net.set_receiver(1, [&](NodeId, Message) { ++received; });
  for (int i = 0; i < 10; ++i) net.send(0, 1, Message{});
  world.run_until(Instant{1000000});
  EXPECT_EQ(received, 20);

  proto::NetworkModel lossy;
  lossy.set_loss_ppm(1000000);
  SimNetwork dead(world, lossy, {{0, 0}, {0, 0}}, 1);
  int got = 0;
  dead.set_receiver(1, [&](NodeId, Message) { ++got; });
  for (int i = 0; i < 10; ++i) dead.send(0, 1, Message{});
  world.run_until(Instant{2000000});
  EXPECT_EQ(got, 0);
  EXPECT_EQ(dead.stats().lost, 10u);
}

// Loss on one link (one way here) drops only that link's messages, and
// stops at the heal when the model says so.
TEST(SimNetwork, LinkLossHitsItsLinkAndStopsAtTheHeal) {
  SimWorld world(3);
  proto::NetworkModel model;
  auto* link = model.add_link_loss();
  link->set_a(0);
  link->set_b(1);
  link->set_loss_ppm(1000000);
  link->set_one_way(true);
  model.set_loss_stops_at_heal(true);
  SimNetwork net(world, model, {{0, 0}, {0, 0}, {0, 0}}, 1);
  std::map<uint32_t, int> got;
  for (uint32_t n = 0; n < 3; ++n) net.set_receiver(n, [&got, n](NodeId, Message) { ++got[n]; });
  for (int i = 0; i < 10; ++i) {
    net.send(0, 1, Message{});
    net.send(1, 0, Message{});
    net.send(0, 2, Message{});
  }
  world.run_until(Instant{1000000});
  EXPECT_EQ(got[1], 0);
  EXPECT_EQ(got[0], 10) << "one way: the other direction is clean";
  EXPECT_EQ(got[2], 10);
  net.heal_loss();
  for (int i = 0; i < 10; ++i) net.send(0, 1, Message{});
  world.run_until(Instant{2000000});
  EXPECT_EQ(got[1], 10);
}

TEST(SimCluster, BuildsATopologyOfThreeHundredNodes) {
  auto scenario = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/rpc_partition.textproto");
  ASSERT_TRUE(scenario.is_ok()) << scenario.status().to_string();
  SimWorld world(300);
  SimCluster cluster(world, scenario.value(), 1);
  EXPECT_EQ(cluster.size(), 300u);
  EXPECT_EQ(cluster.location(0).zone, 0u);
  EXPECT_EQ(cluster.location(299).zone, 2u);
  EXPECT_EQ(cluster.location(299).rack, 29u);
  EXPECT_EQ(cluster.disks_per_node(), 2u);
}

}  // namespace
}  // namespace tessera::sim

namespace tessera::sim {
namespace {

// A node app that records each boot durably and keeps a volatile ticker.
struct BootCounter final : NodeApp {
  BootCounter(NodeContext& ctx, std::map<uint32_t, int>& ticks, std::map<uint32_t, std::string>& seen)
      : ticks(ticks) {
    ctx.runtime.spawn([](NodeContext ctx, std::map<uint32_t, std::string>& seen) -> Task<void> {
      auto prev = co_await ctx.kv.get("boots");
      seen[ctx.id.value] = prev.is_ok() ? prev.value() : "";
      KvBatch b;
      b.put("boots", (prev.is_ok() ? prev.value() : "") + "b");
      ASSERT((co_await ctx.kv.write(std::move(b), Durability::kSync)).is_ok());
    }(ctx, seen));
    ctx.runtime.spawn([](Runtime& rt, uint32_t id, std::map<uint32_t, int>& ticks) -> Task<void> {
      for (;;) {
        co_await sleep(rt, Duration::millis(1));
        ticks[id]++;
      }
    }(ctx.runtime, ctx.id.value, ticks));
  }
  std::map<uint32_t, int>& ticks;
};

TEST(SimCluster, CrashDropsVolatileWorkAndRestartSeesDurableState) {
  auto scenario = parse_scenario(R"(
    name: "t" topology { zones: 1 racks_per_zone: 1 nodes_per_rack: 2 }
    workload { heartbeat { interval_ms: 1 peers: 1 suspect_after_missed: 1 } } safety_ms: 1)", "t");
  ASSERT_TRUE(scenario.is_ok()) << scenario.status().to_string();
  SimWorld world(2);
  SimCluster cluster(world, scenario.value(), 1);
  std::map<uint32_t, int> ticks;
  std::map<uint32_t, std::string> seen;
  std::vector<uint32_t> crashed;
  cluster.on_crash([&](uint32_t n) { crashed.push_back(n); });
  cluster.boot_all([&](NodeContext& ctx) { return std::make_unique<BootCounter>(ctx, ticks, seen); });
  world.run_until(Instant{10000});
  EXPECT_EQ(seen[0], "");
  const int ticks_at_crash = ticks[0];
  EXPECT_GE(ticks_at_crash, 9);

  cluster.crash(0);
  EXPECT_FALSE(cluster.up(0));
  EXPECT_EQ(crashed, std::vector<uint32_t>{0});
  world.run_until(Instant{20000});
  EXPECT_EQ(ticks[0], ticks_at_crash);  // its ticker died with it
  EXPECT_GE(ticks[1], 19);              // the other node went on

  cluster.restart(0);
  world.run_until(Instant{30000});
  EXPECT_EQ(seen[0], "b");  // the synced boot record survived the crash
  EXPECT_GT(ticks[0], ticks_at_crash);
}

// A clock_skew fault moves one node's wall clock and nothing else: its
// monotonic time, and every other node's clocks, stay true; a crash keeps
// the skew, a later skew of 0 puts it right.
TEST(SimCluster, ClockSkewMovesOneNodesWallClockOnly) {
  auto scenario = parse_scenario(R"(
    name: "t" topology { zones: 1 racks_per_zone: 1 nodes_per_rack: 2 }
    workload { heartbeat { interval_ms: 1 peers: 1 suspect_after_missed: 1 } } safety_ms: 100
    schedule { at_ms: 5 clock_skew { node: 1 offset_ms: -3600000 } }
    schedule { at_ms: 8 crash { node: 1 restart_after_ms: 1 } }
    schedule { at_ms: 20 clock_skew { node: 1 offset_ms: 0 } })", "t");
  ASSERT_TRUE(scenario.is_ok()) << scenario.status().to_string();
  SimWorld world(2);
  SimCluster cluster(world, scenario.value(), 1);
  std::map<uint32_t, int> ticks;
  std::map<uint32_t, std::string> seen;
  cluster.boot_all([&](NodeContext& ctx) { return std::make_unique<BootCounter>(ctx, ticks, seen); });
  FaultInjector faults(world, cluster, scenario.value(), 1);
  faults.arm();
  const int64_t true_ms = cluster.runtime(0).unix_ms();
  EXPECT_EQ(cluster.runtime(1).unix_ms(), true_ms);
  world.run_until(Instant{12000});
  EXPECT_EQ(cluster.runtime(1).unix_ms(), cluster.runtime(0).unix_ms() - 3600000);
  EXPECT_EQ(cluster.runtime(1).now(), cluster.runtime(0).now());
  world.run_until(Instant{25000});
  EXPECT_EQ(cluster.runtime(1).unix_ms(), cluster.runtime(0).unix_ms());
  EXPECT_EQ(cluster.runtime(0).unix_ms(), true_ms + 25);
}

// The repair passes allowed after a heal follow the loss that outlasts it:
// none lost, a pass to repair plus the overhead; more loss or more damaged
// stripes, more passes (1% loss, 4+2, 100 stripes: q = 0.149, 8 passes).
TEST(RepairBudget, PassesGrowWithLossAndDamage) {
  EXPECT_EQ(repair_passes_allowed({0, 4, 2, 1000000}), 6u);
  EXPECT_EQ(repair_passes_allowed({0.01, 4, 2, 100}), 13u);
  EXPECT_GT(repair_passes_allowed({0.02, 4, 2, 100}), repair_passes_allowed({0.01, 4, 2, 100}));
  EXPECT_GT(repair_passes_allowed({0.01, 4, 2, 10000}), repair_passes_allowed({0.01, 4, 2, 100}));
  EXPECT_GT(repair_passes_allowed({0.01, 10, 4, 100}), repair_passes_allowed({0.01, 4, 2, 100}));
  EXPECT_EQ(repair_passes_allowed({1.0, 4, 2, 1}), 1005u) << "nothing gets through: the time limit decides";
}

}  // namespace
}  // namespace tessera::sim

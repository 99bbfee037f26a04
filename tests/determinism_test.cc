// Determinism and replay: a run is a pure function of (build, scenario,
// seed); replay reproduces it; a deliberately non-deterministic change is
// caught at the exact event where it first shows.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/replay_file.h"
#include "sim/runner.h"
#include "sim/scenario_file.h"

namespace tessera::sim {
namespace {

proto::Scenario scenario(const std::string& name) {
  auto s = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/" + name + ".textproto");
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.value();
}

TEST(Determinism, SameSeedTwiceGivesTheSameEventHash) {
  const proto::Scenario s = scenario("rpc_partition");
  const RunResult a = run_scenario(s, 42, {});
  const RunResult b = run_scenario(s, 42, {});
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.stats, b.stats);
  EXPECT_GT(a.events, 100000u);
  EXPECT_EQ(a.violation_count, 0u) << (a.violations.empty() ? "" : a.violations[0]);
}

TEST(Determinism, DifferentSeedsGiveDifferentRuns) {
  const proto::Scenario s = scenario("rpc_partition");
  EXPECT_NE(run_scenario(s, 1, {}).hash, run_scenario(s, 2, {}).hash);
}

TEST(Replay, RecordedRunReproduces) {
  const proto::Scenario s = scenario("idle_heartbeat");
  RunResult recorded;
  auto replay = record_run(s, "idle_heartbeat", 9, {}, &recorded);
  ASSERT_TRUE(replay.is_ok());
  const std::string path = (std::filesystem::temp_directory_path() / "tessera-test.replay").string();
  ASSERT_TRUE(write_replay_file(path, replay.value()).is_ok());
  auto loaded = read_replay_file(path);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded.value().events(), recorded.events);
  EXPECT_EQ(loaded.value().final_hash(), recorded.hash);
  const ReplayReport report = replay_run(loaded.value(), loaded.value().options());
  EXPECT_TRUE(report.reproduced) << report.message;
  std::filesystem::remove(path);
}

TEST(Replay, InjectedNondeterminismIsCaughtWhereItShows) {
  const proto::Scenario s = scenario("rpc_partition");
  auto replay = record_run(s, "rpc_partition", 5, {}, nullptr);
  ASSERT_TRUE(replay.is_ok());
  proto::RunOptions perturbed;
  perturbed.set_nondeterminism_at_event(5000);
  const ReplayReport report = replay_run(replay.value(), perturbed);
  EXPECT_FALSE(report.reproduced);
  // The perturbation delays an event scheduled at or after event 5000, so
  // the chain cannot differ before it, and it must differ soon after.
  EXPECT_GT(report.diverged_at_event, 5000u);
  EXPECT_LT(report.diverged_at_event, 5000u + 100000u);
  EXPECT_NE(report.message.find("diverged at event " + std::to_string(report.diverged_at_event)),
            std::string::npos);
  // It stopped at the divergence instead of running to the end.
  EXPECT_TRUE(report.result.stopped_early);
  EXPECT_LT(report.result.events, replay.value().events());
}

}  // namespace
}  // namespace tessera::sim

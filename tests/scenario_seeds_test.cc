// Every scenario in scenarios/ runs clean over a bounded set of seeds (and
// its first seed twice gives the same event hash), and the checkers catch
// a deliberately broken variant.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/runner.h"
#include "sim/scenario_file.h"

namespace tessera::sim {
namespace {

constexpr uint64_t kSeedsPerScenario = 5;

std::vector<std::string> scenario_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(TESSERA_SOURCE_DIR) + "/scenarios")) {
    if (e.path().extension() == ".textproto") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ScenarioSeeds, ThereAreScenarios) { EXPECT_GE(scenario_files().size(), 2u); }

// One test per scenario file, so each has its own time limit and they run
// in parallel under ctest.
class EveryScenario : public testing::TestWithParam<std::string> {};

TEST_P(EveryScenario, RunsCleanOnSeveralSeedsAndTheSameTwice) {
  auto s = load_scenario(GetParam());
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  uint64_t first_hash = 0;
  for (uint64_t seed = 1; seed <= kSeedsPerScenario; ++seed) {
    const RunResult r = run_scenario(s.value(), seed, {});
    EXPECT_EQ(r.violation_count, 0u) << "seed " << seed << ": " << (r.violations.empty() ? "" : r.violations[0]);
    EXPECT_GT(r.events, 0u);
    if (seed == 1) first_hash = r.hash;
  }
  // Determinism: the same seed again gives the same event hash.
  EXPECT_EQ(run_scenario(s.value(), 1, {}).hash, first_hash) << "seed 1 run twice";
}

INSTANTIATE_TEST_SUITE_P(Scenarios, EveryScenario, testing::ValuesIn(scenario_files()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return std::filesystem::path(info.param).stem().string();
                         });

TEST(Checkers, WrongTokenVariantIsReportedByName) {
  auto s = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/rpc_partition.textproto");
  ASSERT_TRUE(s.is_ok());
  proto::RunOptions broken;
  broken.set_broken_variant("echo_wrong_token");
  const RunResult r = run_scenario(s.value(), 1, broken);
  ASSERT_GT(r.violation_count, 0u);
  EXPECT_EQ(r.violations[0].rfind("rpc_no_response_without_request:", 0), 0u) << r.violations[0];
}

TEST(Checkers, PermanentPartitionFailsLiveness) {
  auto s = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/rpc_partition.textproto");
  ASSERT_TRUE(s.is_ok());
  // Make the network drop everything: nothing can make progress.
  proto::Scenario dead = s.value();
  dead.mutable_network()->set_loss_ppm(1000000);
  const RunResult r = run_scenario(dead, 1, {});
  ASSERT_GT(r.violation_count, 0u);
  EXPECT_EQ(r.violations[0].rfind("rpc_liveness:", 0), 0u) << r.violations[0];
}

}  // namespace
}  // namespace tessera::sim

namespace tessera::sim {
namespace {

// Runs seeds 1..seeds_max of a scenario with a broken variant; returns the
// first violation, or "" when none of them caught it.
std::string first_violation(const std::string& scenario_name, const std::string& variant, uint64_t seeds_max) {
  auto s = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/" + scenario_name + ".textproto");
  EXPECT_TRUE(s.is_ok());
  proto::RunOptions broken;
  broken.set_broken_variant(variant);
  for (uint64_t seed = 1; seed <= seeds_max; ++seed) {
    const RunResult r = run_scenario(s.value(), seed, broken);
    if (r.violation_count > 0) return r.violations[0];
  }
  return "";
}

TEST(Checkers, PlacementThatIgnoresRacksIsReported) {
  const std::string v = first_violation("steady", "placement_ignores_racks", 3);
  EXPECT_EQ(v.rfind("placement:", 0), 0u) << v;
}

TEST(Checkers, ReadThatSkipsChecksumsIsCaughtReturningWrongBytes) {
  const std::string v = first_violation("objects_faults", "read_skips_checksum", 3);
  EXPECT_TRUE(v.rfind("no_torn_objects:", 0) == 0 || v.rfind("read_after_write:", 0) == 0 ||
              v.rfind("durability:", 0) == 0)
      << v;
}

TEST(Checkers, CommitBeforeFragmentsAreDurableIsReported) {
  const std::string v = first_violation("crash_during_put", "commit_before_fragments", 3);
  EXPECT_TRUE(v.rfind("durability:", 0) == 0 || v.rfind("read_after_write:", 0) == 0) << v;
}

TEST(Checkers, RepairThatRebuildsWrongBytesIsReported) {
  const std::string v = first_violation("repair", "repair_rebuilds_wrong_bytes", 3);
  EXPECT_TRUE(v.rfind("repair:", 0) == 0 || v.rfind("no_torn_objects:", 0) == 0 ||
              v.rfind("read_after_write:", 0) == 0 || v.rfind("durability:", 0) == 0)
      << v;
}

// Reports of gone disks and writes that found them gone ignored: the dead
// disks' fill stays frozen, so placement keeps choosing them, and writes
// keep reaching disks dead for seconds (per-fragment moves hide it from
// clients: only the disk-level check sees it).
TEST(Checkers, PlacementThatIgnoresDiskStateIsReported) {
  const std::string v = first_violation("dead_disks_placement", "placement_ignores_disk_state", 3);
  EXPECT_EQ(v.rfind("placement:", 0), 0u) << v;
  EXPECT_NE(v.find("after it died"), std::string::npos) << v;
}

// Rot at rest in old versions (which final reads do not touch) is found
// only by scrubbing: the audit of every referenced stripe sees it.
TEST(Checkers, ScrubThatSkipsVerificationIsReported) {
  const std::string v = first_violation("bitrot_storm", "scrub_skips_verification", 3);
  EXPECT_EQ(v.rfind("repair:", 0), 0u) << v;
  EXPECT_NE(v.find("does not verify"), std::string::npos) << v;
}

// Garbage collected the moment it is recorded: a GET that looked up a
// version an overwrite then replaced finds its fragments gone.
TEST(Checkers, GcWithoutGraceIsReported) {
  const std::string v = first_violation("gc_grace", "gc_without_grace", 3);
  EXPECT_EQ(v.rfind("availability:", 0), 0u) << v;
  EXPECT_NE(v.find("failed with no fault injected"), std::string::npos) << v;
}

TEST(Checkers, GetThatIgnoresConditionsIsReported) {
  const std::string v = first_violation("s3_semantics", "get_ignores_conditions", 3);
  EXPECT_EQ(v.rfind("read_after_write:", 0), 0u) << v;
  EXPECT_NE(v.find("GET with if-"), std::string::npos) << v;
}

TEST(Checkers, RangeThatSendsAByteTooManyIsReported) {
  const std::string v = first_violation("s3_semantics", "range_past_its_end", 3);
  EXPECT_EQ(v.rfind("read_after_write:", 0), 0u) << v;
  EXPECT_NE(v.find("GET of bytes="), std::string::npos) << v;
}

}  // namespace
}  // namespace tessera::sim

namespace tessera::sim {
namespace {

// The metadata group's Raft, broken two ways the S3 checkers and the
// replica checker must see through.
TEST(Checkers, ReadsServedByAnyMetadataReplicaAreReported) {
  const std::string v = first_violation("metadata_leader_crash", "reads_from_any_replica", 3);
  EXPECT_TRUE(v.rfind("read_after_write:", 0) == 0 || v.rfind("durability:", 0) == 0) << v;
}

// Caught first at seed 10 (a leader cut off with a minority must take
// writes while it still believes it leads, and the heal must then meet
// its lone commits), so this one runs 12 seeds.
TEST(Checkers, MetadataCommitWithoutAQuorumIsReported) {
  const std::string v = first_violation("metadata_partition", "commit_without_quorum", 12);
  EXPECT_TRUE(v.rfind("read_after_write:", 0) == 0 || v.rfind("consensus:", 0) == 0 ||
              v.rfind("durability:", 0) == 0)
      << v;
}

}  // namespace
}  // namespace tessera::sim

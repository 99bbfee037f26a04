// Bad input: scenario and replay files that are wrong get one clear error
// naming the problem, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/replay_file.h"
#include "sim/scenario_file.h"

namespace tessera::sim {
namespace {

const char* kMinimal = R"(
name: "t"
topology { zones: 1 racks_per_zone: 1 nodes_per_rack: 3 }
workload { rpc_echo { client_nodes: 1 interval_us: 1000 deadline_ms: 10 calls_in_flight_max: 1 } }
safety_ms: 100
liveness_ms: 100
)";

std::string error_of(const std::string& text) {
  auto r = parse_scenario(text, "f.textproto");
  EXPECT_FALSE(r.is_ok());
  return r.is_ok() ? "" : r.status().message();
}

TEST(ScenarioFile, MinimalScenarioParses) {
  auto r = parse_scenario(kMinimal, "f");
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
}

TEST(ScenarioFile, UnknownFieldNamesTheFieldAndLine) {
  const std::string err = error_of(std::string(kMinimal) + "\nsafety_sm: 5\n");
  EXPECT_NE(err.find("safety_sm"), std::string::npos) << err;
  EXPECT_NE(err.find("line 8"), std::string::npos) << err;
  EXPECT_EQ(err.rfind("f.textproto:", 0), 0u) << err;
}

TEST(ScenarioFile, ImpossibleTopologiesAreNamed) {
  std::string s = kMinimal;
  EXPECT_NE(error_of(s.replace(s.find("zones: 1"), 8, "zones: 0")).find("zones must be at least 1"),
            std::string::npos);
  s = kMinimal;
  EXPECT_NE(error_of(s.replace(s.find("client_nodes: 1"), 15, "client_nodes: 9")).find("client_nodes"),
            std::string::npos);
  s = kMinimal;
  s += "schedule { at_ms: 1 crash { node: 3 } }";
  EXPECT_NE(error_of(s).find("schedule[0]: node does not exist"), std::string::npos);
  s = kMinimal;
  s += "network { same_zone { min_us: 5 max_us: 1 } }";
  EXPECT_NE(error_of(s).find("same_zone: min_us > max_us"), std::string::npos);
  s = kMinimal;
  s.replace(s.find("nodes_per_rack: 3"), 17, "nodes_per_rack: 4000000");
  EXPECT_NE(error_of(s).find("exceeds the maximum"), std::string::npos);
}

TEST(ScenarioFile, LinkLossAndPartialHealsNameWhatIsWrong) {
  std::string s = kMinimal;
  s += "network { link_loss { a: 0 b: 7 loss_ppm: 10 } }";
  EXPECT_NE(error_of(s).find("network.link_loss: a and b must be two nodes"), std::string::npos);
  s = kMinimal;
  s += "network { link_loss { a: 0 b: 1 loss_ppm: 2000000 } }";
  EXPECT_NE(error_of(s).find("link_loss.loss_ppm must be at most 1000000"), std::string::npos);
  s = kMinimal;
  s += "schedule { at_ms: 10 heal_partition: 0 }";
  EXPECT_NE(error_of(s).find("heal_partition 0 names no partition made before it"), std::string::npos);
  s = kMinimal;
  s += "schedule { at_ms: 5 partition { nodes_a: [1] } } schedule { at_ms: 10 heal_partition: 0 }";
  EXPECT_TRUE(parse_scenario(s, "f").is_ok());
}

TEST(ScenarioFile, ClockSkewNeedsANodeAndLessThanAYear) {
  std::string s = kMinimal;
  s += "schedule { at_ms: 1 clock_skew { node: 3 offset_ms: 10 } }";
  EXPECT_NE(error_of(s).find("schedule[0]: node does not exist"), std::string::npos);
  s = kMinimal;
  s += "schedule { at_ms: 1 clock_skew { node: 1 offset_ms: -40000000000 } }";
  EXPECT_NE(error_of(s).find("schedule[0]: offset_ms is more than a year"), std::string::npos);
  s = kMinimal;
  s += "schedule { at_ms: 1 clock_skew { node: 1 offset_ms: -3600000 } }";
  EXPECT_TRUE(parse_scenario(s, "f").is_ok());
}

// A scenario that demands every GET succeed may inject nothing that could
// excuse a failure.
TEST(ScenarioFile, GetsMustSucceedOnlyWithoutFaults) {
  std::ifstream in(std::string(TESSERA_SOURCE_DIR) + "/scenarios/gc_grace.textproto");
  const std::string clean((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(parse_scenario(clean, "gc_grace").is_ok());
  const auto with = [&](const std::string& after, const std::string& fault) {
    std::string s = clean;
    return s.insert(s.find(after) + after.size(), fault);
  };
  for (const std::string& faulty :
       {clean + "schedule { at_ms: 1 crash { node: 2 } }", clean + "fault_rates { bitrots: 1 }",
        with("max_us: 1500 }", " loss_ppm: 1"), with("max_us: 3000 }", " bitrot_on_read_ppm: 5")}) {
    EXPECT_NE(error_of(faulty).find("gets_must_succeed needs a scenario without faults"), std::string::npos) << faulty;
  }
}

TEST(ScenarioFile, ValuesThatWouldOverflowOrExhaustMemoryAreRefused) {
  std::string s = kMinimal;
  s.replace(s.find("calls_in_flight_max: 1"), 22, "calls_in_flight_max: 1 body_bytes: 4000000000");
  EXPECT_NE(error_of(s).find("body_bytes must be at most"), std::string::npos);
  s = kMinimal;
  s += "network { cross_zone { min_us: 1 max_us: 18446744073709551615 } }";
  EXPECT_NE(error_of(s).find("latencies must be at most"), std::string::npos);
  s = kMinimal;
  s.replace(s.find("safety_ms: 100"), 14, "safety_ms: 18446744073709551615");
  EXPECT_NE(error_of(s).find("must be at most"), std::string::npos);
}

TEST(ScenarioFile, MissingFileIsNamed) {
  auto r = load_scenario("/nonexistent/x.textproto");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("/nonexistent/x.textproto"), std::string::npos);
}

class ReplayFileErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = parse_scenario(kMinimal, "f");
    ASSERT_TRUE(s.is_ok());
    auto replay = record_run(s.value(), "f", 1, {}, nullptr);
    ASSERT_TRUE(replay.is_ok());
    path = (std::filesystem::temp_directory_path() / "tessera-bad.replay").string();
    ASSERT_TRUE(write_replay_file(path, replay.value()).is_ok());
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  void TearDown() override { std::filesystem::remove(path); }
  std::string rewrite_and_read_error(const std::string& contents) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    auto r = read_replay_file(path);
    EXPECT_FALSE(r.is_ok());
    return r.is_ok() ? "" : r.status().message();
  }
  std::string path, bytes;
};

TEST_F(ReplayFileErrors, TruncatedFileSaysTruncated) {
  EXPECT_NE(rewrite_and_read_error(bytes.substr(0, bytes.size() / 2)).find("truncated"),
            std::string::npos);
  EXPECT_NE(rewrite_and_read_error(bytes.substr(0, 10)).find("truncated"), std::string::npos);
}

TEST_F(ReplayFileErrors, FlippedByteSaysCorrupt) {
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_NE(rewrite_and_read_error(flipped).find("checksum mismatch"), std::string::npos);
}

TEST_F(ReplayFileErrors, OtherFileSaysNotAReplay) {
  EXPECT_NE(rewrite_and_read_error("name: \"x\"\n").find("not a Tessera replay file"),
            std::string::npos);
  EXPECT_NE(rewrite_and_read_error("").find("not a Tessera replay file"), std::string::npos);
}

}  // namespace
}  // namespace tessera::sim

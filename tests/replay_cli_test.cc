// tessera-replay as a user runs it, for the cases a ctest regex cannot set
// up: a replay recorded by another build, and shrinking a failing run.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

#include "sim/replay_file.h"
#include "sim/scenario_file.h"

namespace tessera::sim {
namespace {

struct Output {
  int exit_code;
  std::string text;
};

Output run_command(const std::string& cmd) {
  Output out{-1, ""};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  const int status = ::pclose(p);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(ReplayCli, ReplayFromAnotherBuildWarnsWithBothIds) {
  auto s = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/idle_heartbeat.textproto");
  ASSERT_TRUE(s.is_ok());
  auto replay = record_run(s.value(), "idle_heartbeat", 2, {}, nullptr);
  ASSERT_TRUE(replay.is_ok());
  replay.value().set_build_id("0123456789ab-other");
  const std::string path = (std::filesystem::temp_directory_path() / "tessera-other-build.replay").string();
  ASSERT_TRUE(write_replay_file(path, replay.value()).is_ok());
  const Output out = run_command(std::string(TESSERA_REPLAY_BIN) + " " + path);
  std::filesystem::remove(path);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("warning: recorded by build 0123456789ab-other, replaying on build "),
            std::string::npos) << out.text;
  EXPECT_NE(out.text.find("reproduced"), std::string::npos) << out.text;
}

// A run that fails (placement that ignores racks) shrinks to fewer
// clients and still fails the same checker; its replay prints the
// recorded violations and reproduces them.
TEST(ReplayCli, AFailingRunShrinksAndStillFailsTheSameChecker) {
  auto s = load_scenario(std::string(TESSERA_SOURCE_DIR) + "/scenarios/steady.textproto");
  ASSERT_TRUE(s.is_ok());
  proto::RunOptions broken;
  broken.set_broken_variant("placement_ignores_racks");
  auto replay = record_run(s.value(), "steady", 1, broken, nullptr);
  ASSERT_TRUE(replay.is_ok());
  ASSERT_GT(replay.value().violation_messages_size(), 0);
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path = (dir / "tessera-shrink-in.replay").string();
  const std::string shrunk = (dir / "tessera-shrink-out.replay").string();
  ASSERT_TRUE(write_replay_file(path, replay.value()).is_ok());
  const Output out = run_command(std::string(TESSERA_REPLAY_BIN) + " " + path + " --shrink " + shrunk);
  EXPECT_EQ(out.exit_code, 0) << out.text;
  EXPECT_NE(out.text.find("recorded violation: placement:"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("shrunk: kept placement failing"), std::string::npos) << out.text;
  auto small = read_replay_file(shrunk);
  ASSERT_TRUE(small.is_ok()) << small.status().to_string();
  EXPECT_LT(small.value().scenario().workload().objects().clients(), s.value().workload().objects().clients());
  ASSERT_GT(small.value().violation_messages_size(), 0);
  EXPECT_EQ(small.value().violation_messages(0).rfind("placement:", 0), 0u);
  const Output again = run_command(std::string(TESSERA_REPLAY_BIN) + " " + shrunk);
  EXPECT_EQ(again.exit_code, 0) << again.text;
  EXPECT_NE(again.text.find("(as recorded)"), std::string::npos) << again.text;
  std::filesystem::remove(path);
  std::filesystem::remove(shrunk);
}

TEST(ReplayCli, MissingFileIsOneLineAndExitTwo) {
  const Output out = run_command(std::string(TESSERA_REPLAY_BIN) + " /nonexistent.replay");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_EQ(std::count(out.text.begin(), out.text.end(), '\n'), 1) << out.text;
  EXPECT_NE(out.text.find("/nonexistent.replay"), std::string::npos) << out.text;
}

}  // namespace
}  // namespace tessera::sim

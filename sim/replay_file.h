// Replay files: recording a run (scenario, seed, options, build id, the hash
// chain after every event) and re-running it to check that it reproduces,
// naming the first event where it does not.
//
// On disk: "TSRPLAY1", payload length (u64 LE), the serialized
// proto::Replay, and a 64-bit hash of the payload, so a truncated or
// corrupted file is reported as such, never half-read.
#pragma once

#include <cstdint>
#include <string>

#include "io_abstraction/status.h"
#include "replay.pb.h"
#include "sim/runner.h"

namespace tessera::sim {

// Fills the checkpoint and trail fields of a Replay while a run goes.
class TrailRecorder {
 public:
  static constexpr uint64_t kCheckpointEvery = 65536;
  explicit TrailRecorder(proto::Replay& replay) : replay_(replay) {}
  void on_event(uint64_t index, uint64_t hash, Instant at);

 private:
  proto::Replay& replay_;
};

Status write_replay_file(const std::string& path, const proto::Replay& replay);
Result<proto::Replay> read_replay_file(const std::string& path);

// Runs scenario/seed and records it.
Result<proto::Replay> record_run(const proto::Scenario& scenario, const std::string& scenario_path,
                                 uint64_t seed, const proto::RunOptions& options,
                                 RunResult* result_out);

struct ReplayReport {
  bool reproduced = false;
  uint64_t diverged_at_event = 0;  // 0 when reproduced
  std::string message;             // one line for humans
  RunResult result;
};

// Re-runs a recording with `options` (normally replay.options()) and stops
// at the first event whose hash chain differs from the recording.
ReplayReport replay_run(const proto::Replay& replay, const proto::RunOptions& options);

}  // namespace tessera::sim

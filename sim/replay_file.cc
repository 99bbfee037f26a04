#include "sim/replay_file.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "sim/build_info.h"
#include "sim/hash.h"
#include "sim/scenario_file.h"

namespace tessera::sim {
namespace {

constexpr char kMagic[8] = {'T', 'S', 'R', 'P', 'L', 'A', 'Y', '1'};
constexpr size_t kHeaderBytes = 16;
constexpr size_t kFooterBytes = 8;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint32_t trail_at(const std::string& trail, uint64_t index) {  // index from 1
  uint32_t v = 0;
  std::memcpy(&v, trail.data() + (index - 1) * 4, 4);
  return v;
}

}  // namespace

void TrailRecorder::on_event(uint64_t index, uint64_t hash, Instant at) {
  const uint32_t low = static_cast<uint32_t>(hash);
  replay_.mutable_event_trail()->append(reinterpret_cast<const char*>(&low), 4);
  if (index % kCheckpointEvery == 0) {
    auto* cp = replay_.add_checkpoints();
    cp->set_event(index);
    cp->set_hash(hash);
    cp->set_virtual_us(static_cast<uint64_t>(at.us));
  }
}

Status write_replay_file(const std::string& path, const proto::Replay& replay) {
  std::string payload;
  if (!replay.SerializeToString(&payload)) return Status(Code::kInternal, "cannot serialize replay");
  std::string file(kMagic, sizeof kMagic);
  put_u64(file, payload.size());
  file += payload;
  put_u64(file, hash_bytes(payload));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status(Code::kIoError, path + ": cannot open for writing");
  out.write(file.data(), static_cast<std::streamsize>(file.size()));
  out.close();
  if (!out) return Status(Code::kIoError, path + ": write failed");
  return Status::ok();
}

Result<proto::Replay> read_replay_file(const std::string& path) {
  Result<std::string> bytes = read_whole_file(path);
  if (!bytes.is_ok()) return bytes.status();
  const std::string& file = bytes.value();
  if (file.size() < sizeof kMagic || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    return Status(Code::kInvalidArgument, path + ": not a Tessera replay file (bad magic)");
  }
  if (file.size() < kHeaderBytes) return Status(Code::kCorrupt, path + ": truncated replay header");
  const uint64_t length = get_u64(file.data() + sizeof kMagic);
  const uint64_t available = file.size() - kHeaderBytes;
  if (available < kFooterBytes || length > available - kFooterBytes) {
    return Status(Code::kCorrupt, path + ": truncated replay file: header says " +
                                      std::to_string(length) + " payload bytes, file has " +
                                      std::to_string(available < kFooterBytes ? 0 : available - kFooterBytes));
  }
  if (length != available - kFooterBytes) {
    return Status(Code::kCorrupt, path + ": replay file has trailing bytes after the payload");
  }
  const std::string_view payload(file.data() + kHeaderBytes, length);
  if (hash_bytes(payload) != get_u64(file.data() + kHeaderBytes + length)) {
    return Status(Code::kCorrupt, path + ": corrupt replay file: checksum mismatch");
  }
  proto::Replay replay;
  if (!replay.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status(Code::kCorrupt, path + ": corrupt replay file: payload does not parse");
  }
  if (replay.event_trail().size() != replay.events() * 4) {
    return Status(Code::kCorrupt, path + ": corrupt replay file: trail length does not match events");
  }
  const std::string problem = validate_scenario(replay.scenario());
  if (!problem.empty()) return Status(Code::kCorrupt, path + ": embedded scenario: " + problem);
  return replay;
}

Result<proto::Replay> record_run(const proto::Scenario& scenario, const std::string& scenario_path,
                                 uint64_t seed, const proto::RunOptions& options,
                                 RunResult* result_out) {
  proto::Replay replay;
  replay.set_build_id(build_id());
  *replay.mutable_scenario() = scenario;
  replay.set_scenario_path(scenario_path);
  replay.set_seed(seed);
  *replay.mutable_options() = options;
  TrailRecorder recorder(replay);
  RunControl control;
  control.observer = [&](uint64_t i, uint64_t h, Instant at) { recorder.on_event(i, h, at); };
  RunResult result = run_scenario(scenario, seed, options, control);
  replay.set_events(result.events);
  replay.set_final_hash(result.hash);
  replay.set_violations(result.violation_count);
  for (const std::string& v : result.violations) replay.add_violation_messages(v);
  if (result_out) *result_out = std::move(result);
  return replay;
}

ReplayReport replay_run(const proto::Replay& replay, const proto::RunOptions& options) {
  ReplayReport report;
  uint64_t diverged = 0;
  uint32_t recorded_low = 0, replayed_low = 0;
  int64_t diverged_us = 0;
  RunControl control;
  control.observer = [&](uint64_t index, uint64_t hash, Instant at) {
    if (diverged != 0 || index > replay.events()) return;
    const uint32_t low = static_cast<uint32_t>(hash);
    if (low != trail_at(replay.event_trail(), index)) {
      diverged = index;
      recorded_low = trail_at(replay.event_trail(), index);
      replayed_low = low;
      diverged_us = at.us;
    }
  };
  control.should_stop = [&] { return diverged != 0; };
  report.result = run_scenario(replay.scenario(), replay.seed(), options, control);

  if (diverged != 0) {
    report.diverged_at_event = diverged;
    report.message = "diverged at event " + std::to_string(diverged) + " (virtual time " +
                     std::to_string(diverged_us) + " us): recorded hash ..." +
                     hex64(recorded_low).substr(8) + ", replay hash ..." + hex64(replayed_low).substr(8);
  } else if (report.result.events != replay.events()) {
    report.diverged_at_event = std::min(report.result.events, replay.events()) + 1;
    report.message = "diverged at event " + std::to_string(report.diverged_at_event) +
                     ": recording has " + std::to_string(replay.events()) + " events, replay has " +
                     std::to_string(report.result.events);
  } else if (report.result.hash != replay.final_hash()) {
    report.diverged_at_event = replay.events();
    report.message = "diverged: final hash " + hex64(report.result.hash) + " != recorded " +
                     hex64(replay.final_hash());
  } else {
    report.reproduced = true;
    const bool same = std::equal(report.result.violations.begin(), report.result.violations.end(),
                                 replay.violation_messages().begin(), replay.violation_messages().end());
    report.message = "reproduced: " + std::to_string(replay.events()) + " events, hash " +
                     hex64(replay.final_hash()) + ", violations " +
                     std::to_string(report.result.violation_count) +
                     (same ? " (as recorded)" : " (the recorded ones differ: the checkers changed)");
  }
  return report;
}

}  // namespace tessera::sim

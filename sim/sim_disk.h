// SimDisk: a simulated physical disk. Latency per operation, capacity (full
// disk), whole-disk death, bit rot at rest and on read, and crash semantics:
// a buffered write not yet synced may survive, vanish, or be torn. An
// operation takes effect when its completion event runs; a crash before that
// loses it, like a write the device never acknowledged.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "io_abstraction/disk.h"
#include "io_abstraction/random.h"
#include "scenario.pb.h"
#include "sim/sim_runtime.h"

namespace tessera::sim {

class SimDisk final : public Disk {
 public:
  struct Stats {
    uint64_t writes = 0;
    uint64_t reads = 0;
    uint64_t rot_on_read = 0;
    uint64_t rot_at_rest = 0;
    uint64_t lost_on_crash = 0;
    uint64_t torn_on_crash = 0;
  };

  SimDisk(SimRuntime& rt, const proto::DiskModel& model, uint64_t capacity_bytes, uint64_t seed);

  Task<Status> write(std::string name, std::string data, Durability durability) override;
  Task<Result<std::string>> read(std::string name) override;
  Task<Status> remove(std::string name) override;
  Task<Result<std::vector<std::string>>> list(std::string prefix) override;
  Result<DiskSpace> space() const override;

  // Faults, called by the cluster and the fault injector.
  void crash();                 // unsynced writes survive, vanish or tear
  void kill();                  // the disk is gone with all its data
  void replace();               // a new empty disk in the same slot
  uint64_t generation() const override { return replacements_; }
  bool rot_at_rest();           // flips one bit in one stored blob; false if empty
  bool dead() const { return dead_; }
  // A gray disk: every operation takes this much longer (0: healthy again).
  void set_slowdown(Duration extra) { slowdown_ = extra; }
  // Checkers only: the stored bytes, without latency or rot on read.
  std::optional<std::string> peek(const std::string& name) const;
  std::vector<std::string> names() const;  // checkers only

  uint64_t used_bytes() const { return used_bytes_; }
  uint64_t peak_used_bytes() const { return peak_used_bytes_; }  // the most it held at once
  // The longest a write came after the disk died (checkers: placement
  // must stop choosing a dead disk once it could know).
  Duration longest_dead_write() const { return longest_dead_write_; }
  void restart_death_clock() {
    if (dead_) died_at_ = rt_.now();
  }
  uint64_t capacity_bytes() const { return capacity_bytes_; }
  size_t blob_count() const { return blobs_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Blob {
    std::string data;
    std::optional<std::string> durable;  // what survives a crash
  };
  Duration latency(const proto::LatencyRange& range);
  void flip_bit(std::string& bytes);

  SimRuntime& rt_;
  proto::DiskModel model_;
  uint64_t capacity_bytes_;
  Random random_;
  std::map<std::string, Blob> blobs_;
  uint64_t used_bytes_ = 0;
  uint64_t peak_used_bytes_ = 0;
  Instant died_at_;
  Duration longest_dead_write_{0};
  bool dead_ = false;
  uint64_t replacements_ = 0;
  Duration slowdown_{0};
  Stats stats_;
};

}  // namespace tessera::sim

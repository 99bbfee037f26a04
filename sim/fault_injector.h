// FaultInjector: turns a scenario's faults into world events. Explicit
// schedule entries fire at their time; fault_rates are placed by the
// injector's own PRNG stream (seed-derived), so a run with the same seed
// gets the same faults. heal_all() ends the safety phase: partitions heal,
// crashed nodes restart, lost disks are replaced with empty ones.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "io_abstraction/random.h"
#include "scenario.pb.h"
#include "sim/cluster.h"
#include "sim/sim_world.h"

namespace tessera::sim {

class FaultInjector {
 public:
  struct Stats {
    uint64_t crashes = 0;
    uint64_t restarts = 0;
    uint64_t partitions = 0;
    uint64_t disk_losses = 0;
    uint64_t bitrots = 0;
    uint64_t rack_losses = 0;
    uint64_t node_losses = 0;
    uint64_t zone_losses = 0;
    uint64_t replicas_replaced = 0;  // metadata replicas lost and replaced by a spare
    uint64_t slow_disks = 0;
    uint64_t disk_replacements = 0;
    uint64_t clock_skews = 0;
  };

  FaultInjector(SimWorld& world, SimCluster& cluster, const proto::Scenario& scenario,
                uint64_t seed);

  // Who leads the metadata group, for faults aimed at the leader.
  void set_metadata_group(std::vector<uint32_t> group, std::function<std::optional<uint32_t>()> leader) {
    metadata_group_ = std::move(group);
    metadata_leader_ = std::move(leader);
  }
  // For replace_metadata_replica: a voter that follows (and is up), and
  // the workload's admin call that replaces one that died.
  void set_metadata_replacement(std::function<std::optional<uint32_t>()> follower,
                                std::function<void(uint32_t gone, Duration catch_up)> replace) {
    metadata_follower_ = std::move(follower);
    replace_metadata_ = std::move(replace);
  }
  // Schedules every fault of the safety phase.
  void arm();
  void heal_all();
  const Stats& stats() const { return stats_; }
  std::string describe() const;

 private:
  void at(uint64_t ms, uint64_t detail, Callback cb);
  void apply(const proto::ScheduledFault& fault);
  void apply_crash(const proto::CrashFault& fault);
  void lose_node(uint32_t node);
  void crash(uint32_t node, uint64_t restart_after_ms);
  uint64_t partition(const proto::PartitionFault& fault);  // the partition's id, 0 if none
  void replace_metadata_replica(const proto::ReplaceMetadataReplicaFault& fault);

  SimWorld& world_;
  SimCluster& cluster_;
  const proto::Scenario& scenario_;
  Random random_;
  bool healed_ = false;
  Stats stats_;
  std::vector<uint32_t> metadata_group_;
  std::set<uint32_t> decommissioned_;  // replaced metadata replicas: not restarted at heal
  std::vector<uint64_t> scheduled_partitions_;  // the schedule's partitions in order (0: none made)
  std::function<std::optional<uint32_t>()> metadata_leader_;
  std::function<std::optional<uint32_t>()> metadata_follower_;
  std::function<void(uint32_t gone, Duration catch_up)> replace_metadata_;
};

}  // namespace tessera::sim

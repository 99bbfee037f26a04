#include "sim/fault_injector.h"

#include <memory>
#include <vector>

namespace tessera::sim {

FaultInjector::FaultInjector(SimWorld& world, SimCluster& cluster, const proto::Scenario& scenario,
                             uint64_t seed)
    : world_(world), cluster_(cluster), scenario_(scenario),
      random_(mix_seed(seed, 0x4641554C54ull)) {}

void FaultInjector::at(uint64_t ms, uint64_t detail, Callback cb) {
  const Duration delay = Instant{static_cast<int64_t>(ms) * 1000} - world_.now();
  world_.schedule(delay.us < 0 ? Duration{0} : delay, EventKind::kFault, kWorldOwner, 0, detail,
                  std::move(cb));
}

void FaultInjector::arm() {
  for (const auto& fault : scenario_.schedule()) {
    at(fault.at_ms(), static_cast<uint64_t>(fault.fault_case()), [this, &fault] { apply(fault); });
  }
  const auto& rates = scenario_.fault_rates();
  const uint64_t window = scenario_.safety_ms();
  for (uint32_t i = 0; i < rates.crashes(); ++i) {
    const uint64_t when = random_.below(window);
    const auto node = static_cast<uint32_t>(random_.below(cluster_.size()));
    at(when, 0x100 + node, [this, node, down = rates.crash_downtime_ms()] { crash(node, down); });
  }
  for (uint32_t i = 0; i < rates.bitrots(); ++i) {
    const uint64_t when = random_.below(window);
    const auto node = static_cast<uint32_t>(1 + random_.below(cluster_.size() - 1));
    const auto disk = static_cast<uint32_t>(random_.below(cluster_.disks_per_node()));
    at(when, 0x500 + node, [this, node, disk] {
      if (!healed_ && cluster_.disk(node, disk).rot_at_rest()) ++stats_.bitrots;
    });
  }
  for (uint32_t i = 0; i < rates.partitions(); ++i) {
    const uint64_t when = random_.below(window);
    const auto zone = static_cast<uint32_t>(random_.below(cluster_.zone_count()));
    // The heal event removes this partition only, not overlapping ones.
    auto id = std::make_shared<uint64_t>(0);
    at(when, 0x200 + zone, [this, zone, id] {
      proto::PartitionFault cut;
      cut.add_zones_a(zone);
      *id = partition(cut);
    });
    at(when + rates.partition_ms(), 0x300, [this, id] {
      if (!healed_ && *id != 0) cluster_.network().heal_partition(*id);
    });
  }
}

void FaultInjector::apply(const proto::ScheduledFault& fault) {
  if (healed_) return;
  switch (fault.fault_case()) {
    case proto::ScheduledFault::kPartition:
      scheduled_partitions_.push_back(partition(fault.partition()));
      break;
    case proto::ScheduledFault::kHealPartition:
      if (fault.heal_partition() < scheduled_partitions_.size() && scheduled_partitions_[fault.heal_partition()] != 0) {
        cluster_.network().heal_partition(scheduled_partitions_[fault.heal_partition()]);
      }
      break;
    case proto::ScheduledFault::kHealPartitions:
      cluster_.network().heal_partitions();
      break;
    case proto::ScheduledFault::kCrash:
      apply_crash(fault.crash());
      break;
    case proto::ScheduledFault::kDiskLoss:
      ++stats_.disk_losses;
      cluster_.disk(fault.disk_loss().node(), fault.disk_loss().disk()).kill();
      break;
    case proto::ScheduledFault::kSlowDisk:
      ++stats_.slow_disks;
      cluster_.disk(fault.slow_disk().node(), fault.slow_disk().disk())
          .set_slowdown(Duration::millis(static_cast<int64_t>(fault.slow_disk().extra_ms())));
      break;
    case proto::ScheduledFault::kDiskReplace:
      if (cluster_.disk(fault.disk_replace().node(), fault.disk_replace().disk()).dead()) {
        ++stats_.disk_replacements;
        cluster_.disk(fault.disk_replace().node(), fault.disk_replace().disk()).replace();
      }
      break;
    case proto::ScheduledFault::kBitrot:
      if (cluster_.disk(fault.bitrot().node(), fault.bitrot().disk()).rot_at_rest()) {
        ++stats_.bitrots;
      }
      break;
    case proto::ScheduledFault::kRackLoss: {
      const uint32_t rack = fault.rack_loss().zone() * scenario_.topology().racks_per_zone() + fault.rack_loss().rack();
      ++stats_.rack_losses;
      for (uint32_t n = 0; n < cluster_.size(); ++n) {
        if (cluster_.location(n).rack == rack) lose_node(n);
      }
      break;
    }
    case proto::ScheduledFault::kNodeLoss:
      if (!cluster_.up(fault.node_loss().node())) break;
      ++stats_.node_losses;
      lose_node(fault.node_loss().node());
      break;
    case proto::ScheduledFault::kZoneLoss:
      ++stats_.zone_losses;
      for (uint32_t n = 0; n < cluster_.size(); ++n) {
        if (cluster_.location(n).zone == fault.zone_loss().zone()) crash(n, 0);
      }
      break;
    case proto::ScheduledFault::kReplaceMetadataReplica:
      replace_metadata_replica(fault.replace_metadata_replica());
      break;
    case proto::ScheduledFault::kClockSkew:
      ++stats_.clock_skews;
      cluster_.runtime(fault.clock_skew().node()).set_clock_skew(fault.clock_skew().offset_ms());
      break;
    case proto::ScheduledFault::FAULT_NOT_SET:
      break;
  }
}

void FaultInjector::apply_crash(const proto::CrashFault& fault) {
  std::optional<uint32_t> node = fault.node();
  if (fault.metadata_leader()) node = metadata_leader_ ? metadata_leader_() : std::nullopt;
  if (!node) return;
  const bool lose_kv = fault.lose_kv() && cluster_.up(*node);
  crash(*node, fault.restart_after_ms());
  if (lose_kv) cluster_.lose_kv(*node);
}

// The node crashes and its disks die with their data.
void FaultInjector::lose_node(uint32_t node) {
  crash(node, 0);
  for (uint32_t d = 0; d < cluster_.disks_per_node(); ++d) {
    ++stats_.disk_losses;
    cluster_.disk(node, d).kill();
  }
}

void FaultInjector::crash(uint32_t node, uint64_t restart_after_ms) {
  if (healed_ || !cluster_.up(node)) return;
  ++stats_.crashes;
  cluster_.crash(node);
  if (restart_after_ms == 0) return;
  at(world_.now().us / 1000 + restart_after_ms, 0x400 + node, [this, node] {
    if (healed_ || cluster_.up(node)) return;
    ++stats_.restarts;
    cluster_.restart(node);
  });
}

uint64_t FaultInjector::partition(const proto::PartitionFault& fault) {
  if (healed_) return 0;
  std::vector<bool> side_a(cluster_.size(), false);
  for (uint32_t n = 0; n < cluster_.size(); ++n) {
    for (uint32_t z : fault.zones_a()) {
      if (cluster_.location(n).zone == z) side_a[n] = true;
    }
  }
  for (uint32_t n : fault.nodes_a()) side_a[n] = true;
  if (fault.metadata_leader_alone()) {
    const std::optional<uint32_t> leader = metadata_leader_ ? metadata_leader_() : std::nullopt;
    if (!leader) return 0;
    for (uint32_t n : metadata_group_) side_a[n] = n == *leader;
  }
  ++stats_.partitions;
  return cluster_.network().add_partition(std::move(side_a), fault.one_way());
}

void FaultInjector::replace_metadata_replica(const proto::ReplaceMetadataReplicaFault& fault) {
  if (!replace_metadata_) return;
  const std::optional<uint32_t> gone = metadata_follower_();
  if (!gone) return;  // no leader, or no follower up: nothing happens
  crash(*gone, 0);
  cluster_.lose_kv(*gone);
  // Replaced for good: it never comes back under its old name (a removed
  // replica restarted with the group's first configuration could form a
  // quorum of it with another removed one).
  decommissioned_.insert(*gone);
  ++stats_.replicas_replaced;
  const uint64_t catch_up_ms = fault.catch_up_ms() > 0 ? fault.catch_up_ms() : 5000;
  replace_metadata_(*gone, Duration::millis(static_cast<int64_t>(catch_up_ms)));
}

void FaultInjector::heal_all() {
  healed_ = true;
  cluster_.network().heal_partitions();
  cluster_.network().heal_loss();
  for (uint32_t n = 0; n < cluster_.size(); ++n) {
    for (uint32_t d = 0; d < cluster_.disks_per_node(); ++d) {
      if (cluster_.disk(n, d).dead()) cluster_.disk(n, d).replace();
      cluster_.disk(n, d).set_slowdown(Duration{0});
    }
    if (!cluster_.up(n) && !decommissioned_.count(n)) {
      ++stats_.restarts;
      cluster_.restart(n);
    }
  }
}

std::string FaultInjector::describe() const {
  return "crashes=" + std::to_string(stats_.crashes) + " restarts=" + std::to_string(stats_.restarts) +
         " partitions=" + std::to_string(stats_.partitions) +
         " disk_losses=" + std::to_string(stats_.disk_losses) +
         " rack_losses=" + std::to_string(stats_.rack_losses) +
         " node_losses=" + std::to_string(stats_.node_losses) +
         " zone_losses=" + std::to_string(stats_.zone_losses) +
         " bitrots=" + std::to_string(stats_.bitrots) +
         " replicas_replaced=" + std::to_string(stats_.replicas_replaced) +
         " slow_disks=" + std::to_string(stats_.slow_disks) +
         " disk_replacements=" + std::to_string(stats_.disk_replacements) +
         (stats_.clock_skews > 0 ? " clock_skews=" + std::to_string(stats_.clock_skews) : "");
}

}  // namespace tessera::sim

#include "sim/scenario_file.h"


#include "core/placement/placement.h"
#include "sim/cluster.h"

namespace tessera::sim {
namespace {

// Bounds that keep virtual time far from overflow and a run inside memory.
constexpr uint64_t kLatencyUsMax = 3600ull * 1000 * 1000;    // an hour
constexpr uint64_t kPhaseMsMax = 30ull * 24 * 3600 * 1000;   // 30 days
constexpr uint32_t kBodyBytesMax = 1u << 20;
constexpr uint32_t kCallsInFlightMax = 1000;
constexpr uint32_t kRateFaultsMax = 1000000;

std::string check_range(const proto::LatencyRange& r, const std::string& name) {
  if (r.min_us() > r.max_us()) return name + ": min_us > max_us";
  if (r.max_us() > kLatencyUsMax || r.slow_max_us() > kLatencyUsMax) {
    return name + ": latencies must be at most " + std::to_string(kLatencyUsMax) + " us";
  }
  if (r.slow_ppm() > 1000000) return name + ".slow_ppm must be at most 1000000";
  if (r.slow_ppm() > 0 && r.slow_max_us() <= r.max_us()) return name + ": slow_max_us must exceed max_us";
  return "";
}

std::string check_ppm(uint32_t ppm, const char* name) {
  if (ppm > 1000000) return std::string(name) + " must be at most 1000000";
  return "";
}

// What is wrong with one scheduled fault, or "".
std::string fault_problem(const proto::Scenario& s, const proto::ScheduledFault& f, uint32_t nodes) {
  const uint32_t disks = s.topology().disks_per_node();
  switch (f.fault_case()) {
    case proto::ScheduledFault::kPartition:
      for (uint32_t z : f.partition().zones_a()) {
        if (z >= s.topology().zones()) return "zone " + std::to_string(z) + " does not exist";
      }
      for (uint32_t n : f.partition().nodes_a()) {
        if (n >= nodes) return "node " + std::to_string(n) + " does not exist";
      }
      break;
    case proto::ScheduledFault::kCrash:
      if (f.crash().node() >= nodes) return "node does not exist";
      if (f.crash().restart_after_ms() > kPhaseMsMax) return "restart_after_ms is too large";
      break;
    case proto::ScheduledFault::kDiskLoss:
      if (f.disk_loss().node() >= nodes || f.disk_loss().disk() >= disks) {
        return "disk does not exist";
      }
      break;
    case proto::ScheduledFault::kBitrot:
      if (f.bitrot().node() >= nodes || f.bitrot().disk() >= disks) {
        return "disk does not exist";
      }
      break;
    case proto::ScheduledFault::kSlowDisk:
      if (f.slow_disk().node() >= nodes || f.slow_disk().disk() >= disks) return "disk does not exist";
      if (f.slow_disk().extra_ms() > kPhaseMsMax) return "extra_ms is too large";
      break;
    case proto::ScheduledFault::kDiskReplace:
      if (f.disk_replace().node() >= nodes || f.disk_replace().disk() >= disks) {
        return "disk does not exist";
      }
      break;
    case proto::ScheduledFault::kRackLoss:
      if (f.rack_loss().zone() >= s.topology().zones() || f.rack_loss().rack() >= s.topology().racks_per_zone()) {
        return "rack does not exist";
      }
      break;
    case proto::ScheduledFault::kZoneLoss:
      if (f.zone_loss().zone() >= s.topology().zones()) return "zone does not exist";
      break;
    case proto::ScheduledFault::kNodeLoss:
      if (f.node_loss().node() >= nodes) return "node does not exist";
      break;
    case proto::ScheduledFault::kClockSkew: {
      constexpr int64_t kSkewMsMax = int64_t{365} * 24 * 3600 * 1000;  // a year either way
      if (f.clock_skew().node() >= nodes) return "node does not exist";
      if (f.clock_skew().offset_ms() > kSkewMsMax || f.clock_skew().offset_ms() < -kSkewMsMax) {
        return "offset_ms is more than a year";
      }
      break;
    }
    case proto::ScheduledFault::kReplaceMetadataReplica: {
      const auto& w = s.workload().objects();
      if (w.metadata_replicas() == 0 || w.metadata_spares() == 0) {
        return "replace_metadata_replica needs metadata_replicas and metadata_spares";
      }
      if (f.replace_metadata_replica().catch_up_ms() > kPhaseMsMax) return "catch_up_ms is too large";
      break;
    }
    case proto::ScheduledFault::kHealPartitions:
      break;
    case proto::ScheduledFault::kHealPartition: {
      int partitions_before = 0;
      for (const auto& g : s.schedule()) partitions_before += g.has_partition() && g.at_ms() < f.at_ms() ? 1 : 0;
      if (static_cast<int>(f.heal_partition()) >= partitions_before) {
        return "heal_partition " + std::to_string(f.heal_partition()) +
               " names no partition made before it";
      }
      break;
    }
    case proto::ScheduledFault::FAULT_NOT_SET:
      return "no fault given";
  }
  return "";
}

std::string validate_schedule(const proto::Scenario& s, uint32_t nodes) {
  for (int i = 0; i < s.schedule_size(); ++i) {
    const auto& f = s.schedule(i);
    const std::string where = "schedule[" + std::to_string(i) + "]: ";
    if (f.at_ms() > s.safety_ms()) return where + "at_ms is after the safety phase";
    if (std::string problem = fault_problem(s, f, nodes); !problem.empty()) return where + problem;
  }
  return "";
}

}  // namespace

Result<proto::Scenario> parse_scenario(const std::string& text, const std::string& origin) {
  proto::Scenario scenario;
  if (Status s = parse_text_proto(text, origin, &scenario); !s.is_ok()) return s;
  const std::string problem = validate_scenario(scenario);
  if (!problem.empty()) return Status(Code::kInvalidArgument, origin + ": " + problem);
  return scenario;
}

Result<proto::Scenario> load_scenario(const std::string& path) {
  Result<std::string> text = read_whole_file(path);
  if (!text.is_ok()) return text.status();
  return parse_scenario(text.value(), path);
}

namespace {

// The workload's settings, for the topology's node count.
std::string validate_workload(const proto::Scenario& s, uint64_t nodes) {
  switch (s.workload().kind_case()) {
    case proto::Workload::kRpcEcho: {
      const auto& w = s.workload().rpc_echo();
      if (w.client_nodes() == 0 || w.client_nodes() > nodes) {
        return "workload.rpc_echo.client_nodes must be 1.." + std::to_string(nodes);
      }
      if (nodes < 2) return "workload.rpc_echo needs at least 2 nodes";
      if (w.interval_us() == 0 || w.interval_us() > kLatencyUsMax) {
        return "workload.rpc_echo.interval_us must be 1.." + std::to_string(kLatencyUsMax);
      }
      if (w.body_bytes() > kBodyBytesMax) {
        return "workload.rpc_echo.body_bytes must be at most " + std::to_string(kBodyBytesMax);
      }
      if (w.deadline_ms() == 0 || w.deadline_ms() > kPhaseMsMax) {
        return "workload.rpc_echo.deadline_ms must be 1.." + std::to_string(kPhaseMsMax);
      }
      if (w.calls_in_flight_max() == 0 || w.calls_in_flight_max() > kCallsInFlightMax) {
        return "workload.rpc_echo.calls_in_flight_max must be 1.." + std::to_string(kCallsInFlightMax);
      }
      if (s.liveness_ms() <= w.deadline_ms()) return "liveness_ms must exceed the rpc deadline";
      return "";
    }
    case proto::Workload::kHeartbeat: {
      const auto& w = s.workload().heartbeat();
      if (w.interval_ms() == 0 || w.interval_ms() > kPhaseMsMax) {
        return "workload.heartbeat.interval_ms must be 1.." + std::to_string(kPhaseMsMax);
      }
      if (w.peers() == 0 || w.peers() >= nodes) {
        return "workload.heartbeat.peers must be 1.." + std::to_string(nodes - 1);
      }
      if (w.suspect_after_missed() == 0 || w.suspect_after_missed() > 1000) {
        return "workload.heartbeat.suspect_after_missed must be 1..1000";
      }
      return "";
    }
    case proto::Workload::kObjects: {
      const auto& w = s.workload().objects();
      const std::string at = "workload.objects.";
      if (nodes < 2 || s.topology().disks_per_node() == 0) return at + "needs 2+ nodes with disks";
      if (w.clients() == 0 || w.clients() > kCallsInFlightMax) return at + "clients must be 1.." + std::to_string(kCallsInFlightMax);
      if (w.keys() == 0 || w.keys() > 100000) return at + "keys must be 1..100000";
      if (w.interval_us() == 0 || w.interval_us() > kLatencyUsMax) return at + "interval_us must be positive";
      if (w.object_bytes_max() > (64u << 20)) return at + "object_bytes_max must be at most 64 MiB";
      if (w.part_bytes() == 0 || w.part_bytes() > (64u << 20)) return at + "part_bytes must be 1..64 MiB";
      if (w.k() == 0 || w.m() == 0 || w.k() + w.m() > 32) return at + "needs k >= 1, m >= 1, k + m <= 32";
      if (!parse_failure_domain(w.failure_domain())) return at + "failure_domain must be disk, node, rack or zone";
      if (w.put_percent() + w.get_percent() > 100) return at + "put_percent + get_percent must be at most 100";
      if (w.fragment_deadline_ms() == 0 || w.fragment_deadline_ms() > kPhaseMsMax) return at + "fragment_deadline_ms must be positive";
      if (s.liveness_ms() <= 4 * w.fragment_deadline_ms()) return "liveness_ms must exceed 4 fragment deadlines";
      return "";
    }
    case proto::Workload::KIND_NOT_SET:
      return "workload is required";
  }
  return "";
}

bool has_faults(const proto::Scenario& s) {
  const auto& r = s.fault_rates();
  return r.crashes() > 0 || r.partitions() > 0 || r.bitrots() > 0 || s.schedule_size() > 0 ||
         s.network().loss_ppm() > 0 || s.network().link_loss_size() > 0 || s.disk().bitrot_on_read_ppm() > 0;
}

}  // namespace

std::string validate_scenario(const proto::Scenario& s) {
  if (s.name().empty()) return "name is required";
  if (!s.has_topology()) return "topology is required";
  std::string p = validate_topology(s.topology());
  if (!p.empty()) return p;
  const uint64_t nodes = layout(s.topology()).size();
  for (auto [r, n] : {std::pair{&s.network().same_rack(), "network.same_rack"},
                      std::pair{&s.network().same_zone(), "network.same_zone"},
                      std::pair{&s.network().cross_zone(), "network.cross_zone"},
                      std::pair{&s.disk().read(), "disk.read"},
                      std::pair{&s.disk().write(), "disk.write"}}) {
    if (!(p = check_range(*r, n)).empty()) return p;
  }
  if (!(p = check_ppm(s.network().loss_ppm(), "network.loss_ppm")).empty()) return p;
  if (!(p = check_ppm(s.network().duplicate_ppm(), "network.duplicate_ppm")).empty()) return p;
  if (!(p = check_ppm(s.network().reorder_ppm(), "network.reorder_ppm")).empty()) return p;
  if (!(p = check_ppm(s.disk().bitrot_on_read_ppm(), "disk.bitrot_on_read_ppm")).empty()) return p;
  if (s.safety_ms() == 0) return "safety_ms must be positive";
  if (s.safety_ms() > kPhaseMsMax || s.liveness_ms() > kPhaseMsMax) {
    return "safety_ms and liveness_ms must be at most " + std::to_string(kPhaseMsMax);
  }
  for (const proto::LinkLoss& l : s.network().link_loss()) {
    if (l.a() >= nodes || l.b() >= nodes || l.a() == l.b()) return "network.link_loss: a and b must be two nodes";
    if (const std::string p = check_ppm(l.loss_ppm(), "network.link_loss.loss_ppm"); !p.empty()) return p;
  }
  if (s.network().reorder_delay_max_us() > kLatencyUsMax) {
    return "network.reorder_delay_max_us must be at most " + std::to_string(kLatencyUsMax);
  }
  if (!(p = validate_workload(s, nodes)).empty()) return p;
  const auto& r = s.fault_rates();
  if (r.crashes() > kRateFaultsMax || r.partitions() > kRateFaultsMax || r.bitrots() > kRateFaultsMax) {
    return "fault_rates: at most " + std::to_string(kRateFaultsMax) + " faults of a kind";
  }
  if (r.crash_downtime_ms() > kPhaseMsMax || r.partition_ms() > kPhaseMsMax) {
    return "fault_rates: durations must be at most " + std::to_string(kPhaseMsMax) + " ms";
  }
  if (r.partitions() > 0 && s.topology().zones() < 2) return "fault_rates.partitions needs 2+ zones";
  if (r.partitions() > 0 && r.partition_ms() == 0) return "fault_rates.partition_ms must be positive";
  if (r.bitrots() > 0 && nodes < 2) return "fault_rates.bitrots needs a node besides node 0";
  if (s.workload().objects().gets_must_succeed() && has_faults(s)) {
    return "workload.objects.gets_must_succeed needs a scenario without faults, loss or bit rot "
           "(nothing else excuses a failed GET)";
  }
  return validate_schedule(s, static_cast<uint32_t>(nodes));
}

}  // namespace tessera::sim

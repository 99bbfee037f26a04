#include "sim/runner.h"

#include <cstdio>
#include <memory>

#include "sim/cluster.h"
#include "sim/fault_injector.h"
#include "sim/scenario_file.h"
#include "sim/workload.h"

namespace tessera::sim {

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string network_stats(const SimNetwork::Stats& s) {
  return "sent=" + std::to_string(s.sent) + " delivered=" + std::to_string(s.delivered) +
         " lost=" + std::to_string(s.lost) + " partitioned=" + std::to_string(s.partitioned) +
         " duplicated=" + std::to_string(s.duplicated) + " reordered=" + std::to_string(s.reordered) +
         " to_down_node=" + std::to_string(s.to_down_node) + " links_broken=" + std::to_string(s.links_broken);
}

}  // namespace

RunResult run_scenario(const proto::Scenario& scenario, uint64_t seed,
                       const proto::RunOptions& options, const RunControl& control) {
  ASSERT(validate_scenario(scenario).empty());
  const uint32_t nodes = static_cast<uint32_t>(layout(scenario.topology()).size());
  SimWorld world(nodes);
  if (options.nondeterminism_at_event() != 0) {
    world.perturb_at_event(options.nondeterminism_at_event());
  }
  if (control.observer || control.should_stop) {
    world.set_observer([&](uint64_t index, uint64_t hash, Instant at) {
      if (control.observer) control.observer(index, hash, at);
      if (control.should_stop && control.should_stop()) world.request_stop();
    });
  }

  SimCluster cluster(world, scenario, seed);
  std::unique_ptr<Workload> workload = make_workload(scenario, nodes, options);
  cluster.on_crash([&](uint32_t node) { workload->on_crash(node, world.now()); });
  workload->attach(cluster);
  FaultInjector faults(world, cluster, scenario, seed);
  faults.set_metadata_group(workload->metadata_group(), [&] { return workload->metadata_leader(cluster); });
  faults.set_metadata_replacement([&] { return workload->metadata_follower(cluster); },
                                  [&](uint32_t gone, Duration catch_up) {
                                    workload->replace_metadata_replica(cluster, gone, catch_up);
                                  });
  cluster.boot_all(workload->factory());
  faults.arm();

  const Instant safety_end{static_cast<int64_t>(scenario.safety_ms()) * 1000};
  const Instant liveness_end = safety_end + Duration::millis(static_cast<int64_t>(scenario.liveness_ms()));
  world.run_until(safety_end);
  if (!world.stop_requested()) {
    faults.heal_all();
    workload->begin_liveness(world.now());
    world.run_until(liveness_end);
  }
  if (!world.stop_requested()) {
    workload->stop_issuing();
    world.run_until(liveness_end + workload->drain_time());
  }
  if (!world.stop_requested() && workload->verification_time().us > 0) {
    workload->start_verification(cluster);
    world.run_until(world.now() + workload->verification_time());
  }

  RunResult result;
  result.scenario = scenario.name();
  result.seed = seed;
  result.stopped_early = world.stop_requested();
  Violations violations;
  if (!result.stopped_early) workload->check(cluster, violations);
  result.events = world.events();
  result.virtual_ms = world.now().us / 1000;
  result.hash = world.hash();
  result.violation_count = violations.count();
  result.violations = violations.kept();
  result.stats = "workload: " + workload->stats() + "\nnetwork: " +
                 network_stats(cluster.network().stats()) + "\nfaults: " + faults.describe();
  cluster.shutdown();
  return result;
}

std::string summary_json(const RunResult& r) {
  return "{\"scenario\":\"" + json_escape(r.scenario) + "\",\"seed\":" + std::to_string(r.seed) +
         ",\"events\":" + std::to_string(r.events) + ",\"virtual_ms\":" +
         std::to_string(r.virtual_ms) + ",\"hash\":\"" + hex64(r.hash) +
         "\",\"violations\":" + std::to_string(r.violation_count) + "}";
}

}  // namespace tessera::sim

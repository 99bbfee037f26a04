// Benchmark of the simulator kernel (prints figures; asserts nothing).
//   1. raw event queue: timer events scheduled and run per wall second;
//   2. 300-node RPC workload (scenarios/rpc_partition.textproto): events
//      and simulated seconds per wall second;
//   3. 300-node idle cluster with heartbeats (idle_heartbeat, stretched to
//      10 virtual minutes): how much faster than real time it runs;
//   4. the 300-node write-heavy data path (rack_loss): events and
//      acknowledged PUTs per wall second (real encode, SHA-256 and MD5).
// Each figure is the median of 3 runs, on one core (the sim is one thread).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "sim/runner.h"
#include "sim/scenario_file.h"
#include "sim/sim_world.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <typename Fn>
double median_of_3(Fn fn) {
  std::vector<double> v{fn(), fn(), fn()};
  std::sort(v.begin(), v.end());
  return v[1];
}

struct Figures {
  uint64_t events = 0;
  double virtual_s = 0;
  double wall_s = 0;
};

Figures run(const proto::Scenario& s) {
  const auto start = Clock::now();
  const sim::RunResult r = sim::run_scenario(s, 1, {});
  Figures f;
  f.wall_s = seconds_since(start);
  f.events = r.events;
  f.virtual_s = static_cast<double>(r.virtual_ms) / 1000.0;
  if (r.violation_count != 0) std::fprintf(stderr, "warning: %llu violations\n",
                                           static_cast<unsigned long long>(r.violation_count));
  return f;
}

void report_scenario(const char* label, const proto::Scenario& s) {
  std::vector<Figures> runs{run(s), run(s), run(s)};
  std::sort(runs.begin(), runs.end(), [](const Figures& a, const Figures& b) { return a.wall_s < b.wall_s; });
  const Figures& m = runs[1];
  std::printf("%-34s events=%llu virtual=%.1fs wall=%.3fs  events/s=%.2fM  sim-s/wall-s=%.0fx\n", label,
              static_cast<unsigned long long>(m.events), m.virtual_s, m.wall_s,
              static_cast<double>(m.events) / m.wall_s / 1e6, m.virtual_s / m.wall_s);
}

double acked_writes(const std::string& stats) {
  const auto at = stats.find("writes_acked=");
  return at == std::string::npos ? 0 : std::stod(stats.substr(at + 13));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : TESSERA_SOURCE_DIR "/scenarios";

  const uint64_t raw_events = 5000000;
  uint64_t raw_executed = 0;
  const double raw_s = median_of_3([&] {
    sim::SimWorld world(1);
    uint64_t remaining = raw_events;
    std::function<void()> tick;
    tick = [&] {
      if (remaining == 0) return;
      if (--remaining > 0) {
        world.schedule(Duration::micros(static_cast<int64_t>(remaining % 97)), sim::EventKind::kTimer,
                       sim::kWorldOwner, 0, remaining, tick);
      }
    };
    // 1000 concurrent timers keep the heap realistic.
    for (int i = 0; i < 1000; ++i) world.schedule(Duration::micros(i), sim::EventKind::kTimer, sim::kWorldOwner, 0, 0, tick);
    const auto start = Clock::now();
    while (world.step()) {
    }
    raw_executed = world.events();
    return seconds_since(start);
  });
  std::printf("%-34s events=%llu wall=%.3fs  events/s=%.2fM\n", "raw event queue (1000 timers)",
              static_cast<unsigned long long>(raw_executed), raw_s,
              static_cast<double>(raw_executed) / raw_s / 1e6);

  auto rpc = sim::load_scenario(dir + "/rpc_partition.textproto");
  auto idle = sim::load_scenario(dir + "/idle_heartbeat.textproto");
  if (!rpc.is_ok() || !idle.is_ok()) {
    std::fprintf(stderr, "cannot load scenarios from %s\n", dir.c_str());
    return 2;
  }
  report_scenario("300-node RPC (rpc_partition)", rpc.value());

  auto objects = sim::load_scenario(dir + "/rack_loss.textproto");
  if (objects.is_ok()) {
    report_scenario("300-node write-heavy objects", objects.value());
    const auto start = Clock::now();
    const sim::RunResult r = sim::run_scenario(objects.value(), 1, {});
    const double wall = seconds_since(start);
    std::printf("  objects run: %s\n  -> %.0f acknowledged writes per wall second\n",
                r.stats.substr(0, r.stats.find('\n')).c_str(), acked_writes(r.stats) / wall);
  }

  proto::Scenario long_idle = idle.value();
  long_idle.set_safety_ms(600000);
  long_idle.set_liveness_ms(10000);
  report_scenario("300-node idle heartbeats (610 s)", long_idle);
  return 0;
}

#include "sim/shrink.h"

#include <functional>
#include <vector>

#include "sim/runner.h"
#include "sim/scenario_file.h"

namespace tessera::sim {
namespace {

// One way to make a scenario smaller; false when it has nothing to take.
using Step = std::function<bool(proto::Scenario&)>;

// Halves a count (to zero from one); false when it is zero already.
bool halve(uint32_t value, const std::function<void(uint32_t)>& set) {
  if (value == 0) return false;
  set(value / 2);
  return true;
}

std::vector<Step> rate_steps() {
  return {
      [](proto::Scenario& s) {
        return halve(s.fault_rates().crashes(), [&](uint32_t v) { s.mutable_fault_rates()->set_crashes(v); });
      },
      [](proto::Scenario& s) {
        return halve(s.fault_rates().partitions(), [&](uint32_t v) { s.mutable_fault_rates()->set_partitions(v); });
      },
      [](proto::Scenario& s) {
        return halve(s.fault_rates().bitrots(), [&](uint32_t v) { s.mutable_fault_rates()->set_bitrots(v); });
      },
      [](proto::Scenario& s) {
        if (!s.workload().has_objects() || s.workload().objects().clients() <= 1) return false;
        auto* w = s.mutable_workload()->mutable_objects();
        w->set_clients(w->clients() / 2);
        return true;
      },
  };
}

}  // namespace

std::string checker_of(const std::string& violation) {
  const size_t colon = violation.find(':');
  return colon == std::string::npos ? violation : violation.substr(0, colon);
}

ShrinkResult shrink_run(const proto::Scenario& scenario, uint64_t seed, const proto::RunOptions& options,
                        uint64_t runs_max) {
  ShrinkResult out;
  out.scenario = scenario;
  const RunResult first = run_scenario(scenario, seed, options);
  out.runs = 1;
  if (first.violations.empty()) return out;
  out.failed_at_all = true;
  out.checker = checker_of(first.violations.front());
  // A smaller scenario is kept when it is still valid and the same checker fails.
  auto still_fails = [&](const proto::Scenario& s) {
    if (out.runs >= runs_max || !validate_scenario(s).empty()) return false;
    ++out.runs;
    for (const std::string& v : run_scenario(s, seed, options).violations) {
      if (checker_of(v) == out.checker) return true;
    }
    return false;
  };
  // Scheduled faults, last first, one at a time.
  for (int i = out.scenario.schedule_size() - 1; i >= 0; --i) {
    proto::Scenario fewer = out.scenario;
    fewer.mutable_schedule()->DeleteSubrange(i, 1);
    if (still_fails(fewer)) out.scenario = std::move(fewer);
  }
  // Rates and clients, halved while it still fails.
  for (const Step& step : rate_steps()) {
    for (;;) {
      proto::Scenario smaller = out.scenario;
      if (!step(smaller) || !still_fails(smaller)) break;
      out.scenario = std::move(smaller);
    }
  }
  const auto& w0 = scenario.workload().objects();
  const auto& w1 = out.scenario.workload().objects();
  out.summary = "kept " + out.checker + " failing with " + std::to_string(out.scenario.schedule_size()) + " of " +
                std::to_string(scenario.schedule_size()) + " scheduled faults, crashes " +
                std::to_string(out.scenario.fault_rates().crashes()) + "/" +
                std::to_string(scenario.fault_rates().crashes()) + ", partitions " +
                std::to_string(out.scenario.fault_rates().partitions()) + "/" +
                std::to_string(scenario.fault_rates().partitions()) + ", bitrots " +
                std::to_string(out.scenario.fault_rates().bitrots()) + "/" +
                std::to_string(scenario.fault_rates().bitrots()) + ", clients " + std::to_string(w1.clients()) +
                "/" + std::to_string(w0.clients()) + " (" + std::to_string(out.runs) + " runs)";
  return out;
}

}  // namespace tessera::sim

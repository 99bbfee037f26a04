// tessera-replay: re-runs a replay file and checks the hash chain event by
// event. Prints "reproduced" (exit 0) or names the first diverging event
// (exit 1); bad input exits 2 with one line naming the problem. With
// --rerun it runs the file's scenario and seed on this build and exits 0
// when the run has no violations (a regression stays fixed), whatever the
// event order: what CI does with scenarios/regressions/. Either way it
// prints the violations recorded and those of this run. With --shrink OUT
// it searches for a smaller run (fewer faults, lower rates, fewer clients)
// that still fails the same checker on the same seed, and records it.
#include <boost/program_options.hpp>

#include <iostream>
#include <string>

#include "sim/build_info.h"
#include "sim/replay_file.h"
#include "sim/runner.h"
#include "sim/shrink.h"

namespace po = boost::program_options;
using namespace tessera;

namespace {

// Exit 0 with the shrunk run recorded to out; 1 when the run does not fail.
int shrink(const proto::Replay& replay, const proto::RunOptions& options, const std::string& out) {
  const sim::ShrinkResult r = sim::shrink_run(replay.scenario(), replay.seed(), options, 60);
  if (!r.failed_at_all) {
    std::cout << "nothing to shrink: the run has no violation on this build\n";
    return 1;
  }
  sim::RunResult result;
  auto shrunk = sim::record_run(r.scenario, replay.scenario_path(), replay.seed(), options, &result);
  if (!shrunk.is_ok()) {
    std::cerr << "tessera-replay: " << shrunk.status().message() << "\n";
    return 2;
  }
  if (Status s = sim::write_replay_file(out, shrunk.value()); !s.is_ok()) {
    std::cerr << "tessera-replay: " << s.message() << "\n";
    return 2;
  }
  std::cout << "shrunk: " << r.summary << "; recorded to " << out << "\n";
  for (const auto& v : result.violations) std::cout << "violation: " << v << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts(
      "tessera-replay: reproduce a recorded simulator run\n\n"
      "Usage: tessera-replay REPLAY_FILE\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("file", po::value<std::string>(), "the replay file (tessera-sim --record)")
      ("rerun", "run the file's scenario and seed on this build; exit 1 on any violation")
      ("shrink", po::value<std::string>(),
       "record to this file the smallest run found that still fails the same checker (at most 60 runs)")
      ("inject-nondeterminism-at", po::value<uint64_t>(),
       "test only: perturb the replay at this event to show divergence is caught");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tessera-replay: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (!vm.count("file")) {
    std::cerr << "tessera-replay: a replay file is required (see --help)\n";
    return 2;
  }
  Result<proto::Replay> replay = sim::read_replay_file(vm["file"].as<std::string>());
  if (!replay.is_ok()) {
    std::cerr << "tessera-replay: " << replay.status().message() << "\n";
    return 2;
  }
  if (replay.value().build_id() != build_id()) {
    std::cerr << "tessera-replay: warning: recorded by build " << replay.value().build_id()
              << ", replaying on build " << build_id() << "; divergence may come from the code change\n";
  }
  proto::RunOptions options = replay.value().options();
  for (const auto& v : replay.value().violation_messages()) std::cout << "recorded violation: " << v << "\n";
  if (vm.count("shrink")) return shrink(replay.value(), options, vm["shrink"].as<std::string>());
  if (vm.count("rerun")) {
    const sim::RunResult r = sim::run_scenario(replay.value().scenario(), replay.value().seed(), options);
    for (const auto& v : r.violations) std::cout << "violation: " << v << "\n";
    std::cout << sim::summary_json(r) << std::endl;
    return r.violation_count == 0 ? 0 : 1;
  }
  if (vm.count("inject-nondeterminism-at")) {
    options.set_nondeterminism_at_event(vm["inject-nondeterminism-at"].as<uint64_t>());
  }
  sim::ReplayReport report = sim::replay_run(replay.value(), options);
  std::cout << report.message << std::endl;
  for (const auto& v : report.result.violations) std::cout << "violation: " << v << "\n";
  return report.reproduced ? 0 : 1;
}

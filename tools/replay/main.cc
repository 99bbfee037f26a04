// tessera-replay: re-runs a replay file and checks the hash chain event by
// event. Prints "reproduced" (exit 0) or names the first diverging event
// (exit 1); bad input exits 2 with one line naming the problem. With
// --rerun it runs the file's scenario and seed on this build and exits 0
// when the run has no violations (a regression stays fixed), whatever the
// event order: what CI does with scenarios/regressions/.
#include <boost/program_options.hpp>

#include <iostream>
#include <string>

#include "sim/build_info.h"
#include "sim/replay_file.h"
#include "sim/runner.h"

namespace po = boost::program_options;
using namespace tessera;

int main(int argc, char** argv) {
  po::options_description opts(
      "tessera-replay: reproduce a recorded simulator run\n\n"
      "Usage: tessera-replay REPLAY_FILE\n\nOptions");
  opts.add_options()
      ("help,h", "show this help")
      ("file", po::value<std::string>(), "the replay file (tessera-sim --record)")
      ("rerun", "run the file's scenario and seed on this build; exit 1 on any violation")
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
  return report.reproduced ? 0 : 1;
}

// tessera-sim: runs one scenario with one seed and prints a one-line JSON
// summary. Exit 0: no violations; 1: a checker reported violations;
// 2: bad input (the error line names the problem).
#include <algorithm>
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "sim/replay_file.h"
#include "sim/runner.h"
#include "sim/scenario_file.h"
#include "sim/workload.h"

namespace po = boost::program_options;
using namespace tessera;

int main(int argc, char** argv) {
  po::options_description opts(
      "tessera-sim: run a simulator scenario deterministically\n\n"
      "Usage: tessera-sim --scenario FILE [--seed N] [--record REPLAY]\n\nOptions");
  opts.add_options()("help,h", "show this help")("scenario", po::value<std::string>(),
                                                 "scenario file (Protobuf text format, see scenarios/)")(
      "seed", po::value<uint64_t>()->default_value(1), "seed; same build + scenario + seed = same run")(
      "record", po::value<std::string>(), "write a replay file for tessera-replay")(
      "verbose,v", "print workload, network and fault counters to stderr")(
      "broken-variant", po::value<std::string>(),
      "run a deliberately broken protocol variant (commit_before_fragments, placement_ignores_racks, "
      "read_skips_checksum, repair_rebuilds_wrong_bytes, get_ignores_conditions, "
      "range_past_its_end, placement_ignores_disk_state, scrub_skips_verification, reads_from_any_replica, "
      "commit_without_quorum, votes_not_persisted, count_old_terms, echo_wrong_token) to see the checkers "
      "catch it");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "tessera-sim: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (!vm.count("scenario")) {
    std::cerr << "tessera-sim: --scenario FILE is required (see --help)\n";
    return 2;
  }
  const std::string path = vm["scenario"].as<std::string>();
  const uint64_t seed = vm["seed"].as<uint64_t>();
  Result<proto::Scenario> scenario = sim::load_scenario(path);
  if (!scenario.is_ok()) {
    std::cerr << "tessera-sim: " << scenario.status().message() << "\n";
    return 2;
  }

  sim::RunResult result;
  proto::RunOptions options;
  if (vm.count("broken-variant")) {
    const std::string variant = vm["broken-variant"].as<std::string>();
    const std::vector<std::string> known = sim::broken_variants(scenario.value());
    if (std::find(known.begin(), known.end(), variant) == known.end()) {
      std::string names;
      for (const std::string& k : known) names += (names.empty() ? "" : ", ") + k;
      std::cerr << "tessera-sim: unknown broken variant '" << variant
                << "' for this scenario's workload (known: " << (names.empty() ? "none" : names) << ")\n";
      return 2;
    }
    options.set_broken_variant(variant);
  }
  if (vm.count("record")) {
    Result<proto::Replay> replay = sim::record_run(scenario.value(), path, seed, options, &result);
    ASSERT(replay.is_ok());
    Status written = sim::write_replay_file(vm["record"].as<std::string>(), replay.value());
    if (!written.is_ok()) {
      std::cerr << "tessera-sim: " << written.message() << "\n";
      return 2;
    }
  } else {
    result = sim::run_scenario(scenario.value(), seed, options);
  }
  if (vm.count("verbose")) std::cerr << result.stats << "\n";
  for (const std::string& v : result.violations) std::cerr << "violation: " << v << "\n";
  if (result.violation_count > 0) {
    std::cerr << "reproduce with: tessera-sim --scenario " << path << " --seed " << seed << "\n";
  }
  std::cout << sim::summary_json(result) << std::endl;
  return result.violation_count == 0 ? 0 : 1;
}

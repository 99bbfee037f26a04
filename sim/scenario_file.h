// Loading and validating scenario files (Protobuf text format of
// proto::Scenario). Every problem comes back as one message naming it:
// the file, the line and column of a parse error, or the field that makes
// the scenario impossible.
#pragma once

#include <string>

#include "io_abstraction/status.h"
#include "proto/text_file.h"
#include "scenario.pb.h"

namespace tessera::sim {

Result<proto::Scenario> parse_scenario(const std::string& text, const std::string& origin);
Result<proto::Scenario> load_scenario(const std::string& path);
// "" when the scenario can run, else what is wrong with it.
std::string validate_scenario(const proto::Scenario& scenario);

using tessera::read_whole_file;

}  // namespace tessera::sim

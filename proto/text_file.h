// Reading Protobuf text-format files (scenarios, cluster files) with one
// error line naming the file, line and column.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "io_abstraction/status.h"

namespace tessera {

Result<std::string> read_whole_file(const std::string& path);
// Parses text into out; unknown fields are errors. origin names the source.
Status parse_text_proto(const std::string& text, const std::string& origin, google::protobuf::Message* out);

}  // namespace tessera

#include "io_abstraction/status.h"

namespace tessera {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kNotFound: return "not_found";
    case Code::kIoError: return "io_error";
    case Code::kCorrupt: return "corrupt";
    case Code::kNoSpace: return "no_space";
    case Code::kDiskGone: return "disk_gone";
    case Code::kTimeout: return "timeout";
    case Code::kUnavailable: return "unavailable";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kAborted: return "aborted";
    case Code::kInternal: return "internal";
    case Code::kFailedPrecondition: return "failed_precondition";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string s(code_name(code_));
  if (!message_.empty()) s += ": " + message_;
  return s;
}

}  // namespace tessera

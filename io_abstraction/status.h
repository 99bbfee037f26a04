// Errors are values. Status carries a code and a message; Result<T> is a
// value or a Status. Neither throws across an async boundary.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "io_abstraction/assert.h"

namespace tessera {

enum class Code : int {
  kOk = 0,
  kNotFound = 1,
  kIoError = 2,
  kCorrupt = 3,
  kNoSpace = 4,
  kDiskGone = 5,
  kTimeout = 6,
  kUnavailable = 7,
  kInvalidArgument = 8,
  kAlreadyExists = 9,
  kAborted = 10,
  kInternal = 11,
  kFailedPrecondition = 12,  // a condition of the request does not hold
};
inline constexpr Code kCodeLast = Code::kFailedPrecondition;

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  // reason: a finer, machine-readable name for the failure where a client
  // must tell cases apart that share a code (S3's "NoSuchUpload",
  // "InvalidPart", ...). Empty for most errors.
  Status(Code code, std::string message, std::string reason)
      : code_(code), message_(std::move(message)), reason_(std::move(reason)) {}
  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& reason() const { return reason_; }
  std::string to_string() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string reason_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) { ASSERT(!std::get<Status>(v_).is_ok()); }

  bool is_ok() const { return v_.index() == 0; }
  T& value() & { ASSERT(is_ok()); return std::get<0>(v_); }
  const T& value() const& { ASSERT(is_ok()); return std::get<0>(v_); }
  // By value, so `for (x : f().value())` cannot dangle.
  T value() && { ASSERT(is_ok()); return std::get<0>(std::move(v_)); }
  const Status& status() const { ASSERT(!is_ok()); return std::get<1>(v_); }
  Code code() const { return is_ok() ? Code::kOk : status().code(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tessera

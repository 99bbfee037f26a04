// Byte streams: a body flowing in (an HTTP request body in prod, a string in
// the simulator) or out, one bounded chunk at a time, so a 5 GiB object
// never has to sit in memory.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io_abstraction/status.h"
#include "io_abstraction/task.h"

namespace tessera {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to max (> 0) bytes; "" at the end. An error (a client gone, a
  // digest that does not match at the end) ends the stream.
  virtual Task<Result<std::string>> read(size_t max) = 0;
  // Fills *out (cleared first) until it holds max bytes or the body ends.
  // Sources that can read straight into out's memory override it.
  virtual Task<Status> read_full(std::string* out, size_t max) {
    out->clear();
    while (out->size() < max) {
      auto chunk = co_await read(max - out->size());
      if (!chunk.is_ok()) co_return chunk.status();
      if (chunk.value().empty()) break;
      out->append(chunk.value());
    }
    co_return Status::ok();
  }
  // Name/value pairs the source learned only at its end and vouches for
  // (an HTTP body's verified checksum trailer, say), which the object
  // stores with its headers. Valid once the source is read to its end.
  virtual std::vector<std::pair<std::string, std::string>> trailers() const { return {}; }
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Task<Status> write(std::string bytes) = 0;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view bytes) : bytes_(bytes) {}
  Task<Result<std::string>> read(size_t max) override {
    const std::string_view chunk = bytes_.substr(0, max);
    bytes_.remove_prefix(chunk.size());
    co_return std::string(chunk);
  }

 private:
  std::string_view bytes_;
};

class StringSink final : public ByteSink {
 public:
  Task<Status> write(std::string bytes) override {
    out_ += bytes;
    co_return Status::ok();
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

}  // namespace tessera

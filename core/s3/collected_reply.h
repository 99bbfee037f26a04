// CollectedReply: an S3Reply kept in memory, for callers of S3Api that are
// not HTTP (the simulator's clients, tests): the status, the headers in the
// order set, and the body, whole or streamed.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/s3/s3_api.h"
#include "core/s3/s3_util.h"

namespace tessera::s3 {

class CollectedReply final : public S3Reply {
 public:
  void set_header(const std::string& name, const std::string& value) override { headers_.emplace_back(name, value); }
  size_t header_count() const override { return headers_.size(); }
  void drop_headers_after(size_t n) override { headers_.resize(std::min(n, headers_.size())); }
  Task<bool> send(unsigned status, std::string body, const std::string&) override {
    ASSERT(!sent_);
    status_ = status;
    body_ = std::move(body);
    sent_ = true;
    co_return true;
  }
  Task<bool> begin_stream(unsigned status, uint64_t length) override {
    ASSERT(!sent_);
    status_ = status;
    announced_ = length;
    sent_ = true;
    co_return true;
  }
  Task<Status> write_chunk(std::string bytes) override {
    ASSERT(sent_ && body_.size() + bytes.size() <= announced_);
    body_ += bytes;
    co_return Status::ok();
  }
  Task<bool> end_stream() override {
    ASSERT(body_.size() == announced_);
    ended_ = true;
    co_return true;
  }
  bool sent() const override { return sent_; }

  unsigned status() const { return status_; }
  const std::string& body() const { return body_; }
  // A streamed body that did not reach its announced length (HTTP would
  // cut the connection): the client sees an error, never these bytes.
  bool cut_short() const { return announced_ > 0 && !ended_; }
  // The last value set for name (case-insensitive), "" when none.
  std::string header(const std::string& name) const {
    std::string found;
    for (const auto& [n, v] : headers_) {
      if (equal_ignoring_case(n, name)) found = v;
    }
    return found;
  }

 private:
  std::vector<std::pair<std::string, std::string>> headers_;
  unsigned status_ = 0;
  std::string body_;
  uint64_t announced_ = 0;
  bool sent_ = false;
  bool ended_ = false;
};

}  // namespace tessera::s3

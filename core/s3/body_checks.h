// What a request body must match at its end: Content-MD5, the signed
// x-amz-content-sha256, x-amz-checksum-* values. Updated as the body
// streams; verify() names the first mismatch with its S3 error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/codec/sha256.h"
#include "io_abstraction/byte_stream.h"
#include "core/s3/checksums.h"

namespace tessera::s3 {

class BodyChecks {
 public:
  void expect_md5(std::string raw) { md5_.emplace(StreamDigest(StreamDigest::Kind::kMd5), std::move(raw)); }
  void expect_sha256(std::string raw) {
    sha256_.emplace(StreamDigest(StreamDigest::Kind::kSha256), std::move(raw));
  }
  void expect_checksum(std::unique_ptr<BodyChecksum> checksum, std::string raw) {
    checksums_.emplace_back(std::move(checksum), std::move(raw));
  }
  // Computes checksum over the body with nothing to match: its value is
  // among results().
  void compute(std::unique_ptr<BodyChecksum> checksum) { checksums_.emplace_back(std::move(checksum), std::nullopt); }
  bool has_checksum(const std::string& header) const;
  void update(std::string_view bytes);
  Status verify();
  // After a verify() that passed: every x-amz-checksum-* checked or
  // computed, as (header, base64 value).
  const std::vector<std::pair<std::string, std::string>>& results() const { return results_; }

 private:
  std::optional<std::pair<StreamDigest, std::string>> md5_, sha256_;
  std::vector<std::pair<std::unique_ptr<BodyChecksum>, std::optional<std::string>>> checksums_;
  std::vector<std::pair<std::string, std::string>> results_;
};

// A request body with its end-of-body checks. Its trailers() are the
// checksums those checks verified or computed.
class CheckedSource : public ByteSource {
 public:
  BodyChecks& checks() { return checks_; }
  std::vector<std::pair<std::string, std::string>> trailers() const override { return checks_.results(); }

 protected:
  BodyChecks checks_;
};

}  // namespace tessera::s3

#include "core/s3/body_checks.h"

#include "core/s3/s3_error.h"

namespace tessera::s3 {

void BodyChecks::update(std::string_view bytes) {
  if (md5_) md5_->first.update(bytes);
  if (sha256_) sha256_->first.update(bytes);
  for (auto& [checksum, expected] : checksums_) checksum->update(bytes);
}

Status BodyChecks::verify() {
  if (md5_ && md5_->first.finish() != md5_->second) {
    return s3_status("BadDigest", "the Content-MD5 you specified did not match what we received");
  }
  if (sha256_ && sha256_->first.finish() != sha256_->second) {
    return s3_status("XAmzContentSHA256Mismatch", "the provided x-amz-content-sha256 does not match what was computed");
  }
  std::vector<std::pair<std::string, std::string>> results;
  for (auto& [checksum, expected] : checksums_) {
    const std::string raw = checksum->finish();
    if (expected && raw != *expected) {
      return s3_status("BadDigest",
                       std::string("the ") + checksum->name() + " you specified did not match the calculated checksum");
    }
    results.emplace_back(checksum->header(), base64_encode(raw));
  }
  results_ = std::move(results);
  return Status::ok();
}

bool BodyChecks::has_checksum(const std::string& header) const {
  for (const auto& [checksum, expected] : checksums_) {
    if (checksum->header() == header) return true;
  }
  return false;
}

}  // namespace tessera::s3

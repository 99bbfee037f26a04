// S3's additional checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme,
// -sha1, -sha256) computed over a streamed body. Values travel as base64
// of the big-endian digest.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::prod::s3 {

class BodyChecksum {
 public:
  // header: "x-amz-checksum-<algorithm>"; nullopt for an unknown algorithm.
  static std::unique_ptr<BodyChecksum> for_header(const std::string& header);
  virtual ~BodyChecksum() = default;
  virtual void update(std::string_view bytes) = 0;
  virtual std::string finish() = 0;  // raw digest bytes
  // "CRC32", "SHA256", ...: how S3 names it in error messages.
  virtual const char* name() const = 0;
};

std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tessera::prod::s3

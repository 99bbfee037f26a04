// S3's additional checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme,
// -sha1, -sha256) computed over a streamed body. Values travel as base64
// of the big-endian digest.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::s3 {

class BodyChecksum {
 public:
  // header: "x-amz-checksum-<algorithm>"; nullopt for an unknown algorithm.
  static std::unique_ptr<BodyChecksum> for_header(const std::string& header);
  virtual ~BodyChecksum() = default;
  virtual void update(std::string_view bytes) = 0;
  virtual std::string finish() = 0;  // raw digest bytes
  // "CRC32", "SHA256", ...: how S3 names it in error messages.
  virtual const char* name() const = 0;
  // "x-amz-checksum-crc32", ...
  std::string header() const;
};

// Every algorithm as (header, XML element): ("x-amz-checksum-crc32",
// "ChecksumCRC32"), ...
const std::vector<std::pair<std::string, std::string>>& checksum_names();

// "ChecksumCRC32" for "x-amz-checksum-crc32", ...; nullptr for a header
// that names no algorithm (x-amz-checksum-type, say).
const char* checksum_element(const std::string& header);

// "x-amz-checksum-crc32" for "CRC32" (any case); "" for an unknown one.
std::string checksum_header_for(std::string_view algorithm);

// The algorithms whose value for a whole can be computed from the values of
// its pieces: the CRCs. true for "x-amz-checksum-crc32", -crc32c, -crc64nvme.
bool checksum_combines(const std::string& header);

// The CRC of A then B from crc(A), crc(B) and B's length (raw big-endian
// digests, as finish() gives them); header names the CRC.
std::string combine_crc(const std::string& header, const std::string& crc_a, const std::string& crc_b,
                        uint64_t length_b);

// S3's composite checksum of a multipart object: the algorithm over the
// concatenated raw part digests, base64, then "-<part count>".
std::string composite_checksum(const std::string& header, const std::vector<std::string>& raw_parts);

std::string base64_encode(std::string_view raw);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tessera::s3

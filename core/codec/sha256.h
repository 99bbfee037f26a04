// SHA-256 of fragments (OpenSSL): the checksum stored in every fragment
// header and verified on every read; and MD5 for S3 ETags.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera {

using Sha256 = std::array<uint8_t, 32>;

Sha256 sha256(std::string_view bytes);
std::string to_hex(const Sha256& digest);
// MD5 as 32 hex digits: S3's ETag of a single-part object.
std::string md5_hex(std::string_view bytes);

}  // namespace tessera

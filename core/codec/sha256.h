// SHA-256 of fragments (OpenSSL): the checksum stored in every fragment
// header and verified on every read; and MD5 for S3 ETags.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace tessera {

using Sha256 = std::array<uint8_t, 32>;

Sha256 sha256(std::string_view bytes);
std::string to_hex(const Sha256& digest);
std::string hex_of(std::string_view raw);
// MD5 as 32 hex digits: S3's ETag of a single-part object.
std::string md5_hex(std::string_view bytes);
// Hex to bytes; nullopt unless hex is an even number of hex digits.
std::optional<std::string> from_hex(std::string_view hex);

// An incremental digest over a stream (OpenSSL EVP): the ETag of a
// streamed body, the SHA-256 a SigV4 client signed, x-amz-checksum-sha1.
class StreamDigest {
 public:
  enum class Kind { kMd5, kSha1, kSha256 };
  explicit StreamDigest(Kind kind);
  ~StreamDigest();
  StreamDigest(StreamDigest&& other) noexcept;
  StreamDigest& operator=(StreamDigest&&) = delete;
  void update(std::string_view bytes);
  // The raw digest; the object must not be updated afterwards.
  std::string finish();

 private:
  ::evp_md_ctx_st* ctx_;
};

}  // namespace tessera

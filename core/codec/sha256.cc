#include "core/codec/sha256.h"

#include <openssl/evp.h>

#include <utility>

#include "io_abstraction/assert.h"

namespace tessera {

Sha256 sha256(std::string_view bytes) {
  Sha256 out;
  unsigned int len = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  ASSERT(ok == 1 && len == out.size());
  return out;
}

namespace {
std::string hex(const uint8_t* bytes, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 15]);
  }
  return s;
}
}  // namespace

std::string to_hex(const Sha256& digest) { return hex(digest.data(), digest.size()); }

std::string md5_hex(std::string_view bytes) {
  uint8_t out[16];
  unsigned int len = 0;
  const int ok = EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_md5(), nullptr);
  ASSERT(ok == 1 && len == sizeof out);
  return hex(out, sizeof out);
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

StreamDigest::StreamDigest(Kind kind) : ctx_(EVP_MD_CTX_new()) {
  ASSERT(ctx_ != nullptr);
  const EVP_MD* md = kind == Kind::kMd5 ? EVP_md5() : kind == Kind::kSha1 ? EVP_sha1() : EVP_sha256();
  ASSERT(EVP_DigestInit_ex(ctx_, md, nullptr) == 1);
}

StreamDigest::~StreamDigest() {
  if (ctx_) EVP_MD_CTX_free(ctx_);
}

StreamDigest::StreamDigest(StreamDigest&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

void StreamDigest::update(std::string_view bytes) {
  ASSERT(ctx_ != nullptr);
  ASSERT(EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) == 1);
}

std::string StreamDigest::finish() {
  ASSERT(ctx_ != nullptr);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ASSERT(EVP_DigestFinal_ex(ctx_, out, &len) == 1);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string hex_of(std::string_view raw) {
  return hex(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
}

}  // namespace tessera

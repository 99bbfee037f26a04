#include "core/codec/sha256.h"

#include <openssl/evp.h>

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

}  // namespace tessera

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

std::string to_hex(const Sha256& digest) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (uint8_t b : digest) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

}  // namespace tessera

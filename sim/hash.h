// Fast, portable 64-bit hashing for the event hash chain. Not
// cryptographic: it detects divergence between two runs, nothing more.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tessera::sim {

constexpr uint64_t mix64(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

inline uint64_t hash_bytes(std::string_view bytes, uint64_t h = 0x84222325CBF29CE4ull) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = mix64(h, w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  return mix64(h, tail ^ (static_cast<uint64_t>(bytes.size()) << 56));
}

}  // namespace tessera::sim

// The only source of randomness in core/: a seeded xoshiro256** generator
// with our own range and chance functions. Standard-library distributions
// are implementation-defined and would make a seed mean different runs on
// different toolchains, so they are never used for decisions.
#pragma once

#include <cstdint>

#include "io_abstraction/assert.h"

namespace tessera {

// splitmix64: expands one 64-bit seed into well-mixed words.
constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Mixes two words into one: used to derive independent streams
// (seed, node id, purpose) so adding a node does not reshuffle the others.
constexpr uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0xD6E8FEB86659FD93ull);
  splitmix64(s);
  return splitmix64(s);
}

class Random {
 public:
  explicit Random(uint64_t seed) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : state_) w = splitmix64(s);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound), bound > 0. Lemire's multiply-shift with rejection:
  // exact, and the same sequence on every platform.
  uint64_t below(uint64_t bound) {
    ASSERT(bound > 0);
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
      if (static_cast<uint64_t>(m) >= threshold) return static_cast<uint64_t>(m >> 64);
    }
  }

  // Uniform in [lo, hi], lo <= hi.
  uint64_t between(uint64_t lo, uint64_t hi) {
    ASSERT(lo <= hi);
    if (hi - lo == UINT64_MAX) return next();
    return lo + below(hi - lo + 1);
  }

  // True with probability ppm / 1,000,000.
  bool chance_ppm(uint32_t ppm) {
    if (ppm == 0) return false;
    return below(1000000) < ppm;
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace tessera

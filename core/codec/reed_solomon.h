// ReedSolomon: systematic Reed-Solomon erasure coding with k data and m
// parity fragments over GF(2^8), polynomial 0x11D. The coding matrix is
// Jerasure's (reed_sol_vandermonde, w=8); ISA-L executes it, and produces
// the same bytes Jerasure would (tests/codec_test.cc checks this). Any k of
// the k+m fragments rebuild the rest.
//
// An object of n bytes becomes k fragments of fragment_bytes(n, k) bytes
// (the last ones zero-padded) plus m parity fragments of the same size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io_abstraction/status.h"

namespace tessera {

// The fragments of one encoded part. Data fragments are views into the
// caller's object where they lie wholly inside it (no copy), or into
// padded_tail; parity fragments are views into parity. Reusing an
// EncodedPart for the next part reuses its buffers.
struct EncodedPart {
  size_t fragment_bytes = 0;
  std::vector<std::string_view> fragments;  // k + m
  std::vector<char> padded_tail;
  std::vector<char> parity;
};

class ReedSolomon {
 public:
  static constexpr uint32_t kFragmentsMax = 32;
  static constexpr size_t kFragmentAlignment = 64;

  // k >= 1, m >= 1, k + m <= kFragmentsMax; else kInvalidArgument.
  static Result<ReedSolomon> create(uint32_t k, uint32_t m);

  uint32_t k() const { return k_; }
  uint32_t m() const { return m_; }
  // ceil(object_bytes / k) rounded up to kFragmentAlignment.
  static size_t fragment_bytes(size_t object_bytes, uint32_t k);

  // Encodes object into out (k + m fragments). object must outlive the views.
  void encode(std::string_view object, EncodedPart& out) const;

  // Rebuilds the fragments listed in wanted from any k present ones.
  // fragments: k + m entries, nullptr for missing; each present one and each
  // out buffer holds fragment_bytes. kUnavailable when fewer than k are
  // present.
  Status reconstruct(size_t fragment_bytes, const std::vector<const uint8_t*>& fragments,
                     const std::vector<uint32_t>& wanted, const std::vector<uint8_t*>& out) const;

  // The object's bytes from its fragments (k + m entries, nullopt for
  // missing or known-corrupt). Decodes only when a data fragment is missing.
  Result<std::string> decode(const std::vector<std::optional<std::string_view>>& fragments,
                             size_t object_bytes) const;

  // The (k + m) x k encoding matrix, row-major; the first k rows are I.
  const std::vector<uint8_t>& matrix() const { return matrix_; }

 private:
  ReedSolomon(uint32_t k, uint32_t m, std::vector<uint8_t> matrix);

  uint32_t k_;
  uint32_t m_;
  std::vector<uint8_t> matrix_;
  std::vector<uint8_t> encode_tables_;  // ISA-L tables for the m parity rows
};

}  // namespace tessera

#include "core/codec/reed_solomon.h"

#include <isa-l/erasure_code.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/codec/jerasure_c.h"
#include "core/codec/simd.h"

namespace tessera {

Result<ReedSolomon> ReedSolomon::create(uint32_t k, uint32_t m) {
  if (k == 0 || m == 0 || k + m > kFragmentsMax) {
    return Status(Code::kInvalidArgument, "erasure profile k=" + std::to_string(k) + " m=" +
                                              std::to_string(m) + ": need k >= 1, m >= 1, k + m <= " +
                                              std::to_string(kFragmentsMax));
  }
  int* coding = reed_sol_vandermonde_coding_matrix(static_cast<int>(k), static_cast<int>(m), 8);
  if (coding == nullptr) return Status(Code::kInternal, "jerasure could not build the coding matrix");
  std::vector<uint8_t> matrix((k + m) * k, 0);
  for (uint32_t i = 0; i < k; ++i) matrix[i * k + i] = 1;
  for (uint32_t i = 0; i < m * k; ++i) {
    ASSERT(coding[i] >= 0 && coding[i] < 256);
    matrix[k * k + i] = static_cast<uint8_t>(coding[i]);
  }
  std::free(coding);
  return ReedSolomon(k, m, std::move(matrix));
}

ReedSolomon::ReedSolomon(uint32_t k, uint32_t m, std::vector<uint8_t> matrix)
    : k_(k), m_(m), matrix_(std::move(matrix)), encode_tables_(32 * k * m) {
  ec_init_tables(static_cast<int>(k_), static_cast<int>(m_), &matrix_[k_ * k_], encode_tables_.data());
}

size_t ReedSolomon::fragment_bytes(size_t object_bytes, uint32_t k) {
  ASSERT(k > 0);
  const size_t per = (object_bytes + k - 1) / k;
  return (per + kFragmentAlignment - 1) / kFragmentAlignment * kFragmentAlignment;
}

void ReedSolomon::encode(std::string_view object, EncodedPart& out) const {
  const size_t fs = fragment_bytes(object.size(), k_);
  out.fragment_bytes = fs;
  out.fragments.assign(k_ + m_, std::string_view());
  // Fragments that lie wholly inside the object are used in place; the
  // rest are copied, zero-padded, into padded_tail.
  const size_t whole = fs == 0 ? k_ : std::min<size_t>(k_, object.size() / fs);
  out.padded_tail.assign((k_ - whole) * fs, 0);
  for (uint32_t i = 0; i < k_; ++i) {
    if (i < whole) {
      out.fragments[i] = object.substr(i * fs, fs);
      continue;
    }
    char* dst = out.padded_tail.data() + (i - whole) * fs;
    const size_t begin = std::min(object.size(), i * fs);
    const size_t n = std::min(object.size() - begin, fs);
    if (n > 0) std::memcpy(dst, object.data() + begin, n);
    out.fragments[i] = std::string_view(dst, fs);
  }
  out.parity.resize(m_ * fs);
  for (uint32_t j = 0; j < m_; ++j) out.fragments[k_ + j] = std::string_view(out.parity.data() + j * fs, fs);
  if (fs == 0) return;

  const uint8_t* data[kFragmentsMax];
  uint8_t* parity[kFragmentsMax];
  for (uint32_t i = 0; i < k_; ++i) data[i] = reinterpret_cast<const uint8_t*>(out.fragments[i].data());
  for (uint32_t j = 0; j < m_; ++j) parity[j] = reinterpret_cast<uint8_t*>(out.parity.data() + j * fs);
  ec_encode_data(static_cast<int>(fs), static_cast<int>(k_), static_cast<int>(m_),
                 const_cast<uint8_t*>(encode_tables_.data()), const_cast<uint8_t**>(data), parity);
  simd_zero_upper();
}

Status ReedSolomon::reconstruct(size_t fs, const std::vector<const uint8_t*>& fragments,
                                const std::vector<uint32_t>& wanted,
                                const std::vector<uint8_t*>& out) const {
  ASSERT(fragments.size() == k_ + m_);
  ASSERT(wanted.size() == out.size());
  if (wanted.empty()) return Status::ok();
  // Survivors: the first k present fragments, data before parity.
  std::vector<uint32_t> survivors;
  for (uint32_t i = 0; i < k_ + m_ && survivors.size() < k_; ++i) {
    if (fragments[i] != nullptr) survivors.push_back(i);
  }
  if (survivors.size() < k_) {
    return Status(Code::kUnavailable, "need " + std::to_string(k_) + " of " + std::to_string(k_ + m_) +
                                          " fragments, have " + std::to_string(survivors.size()));
  }
  // survivors = B * data, so data = B^-1 * survivors, and any fragment
  // w = matrix[w] * data = (matrix[w] * B^-1) * survivors.
  std::vector<uint8_t> b(k_ * k_), inverse(k_ * k_);
  for (uint32_t r = 0; r < k_; ++r) std::memcpy(&b[r * k_], &matrix_[survivors[r] * k_], k_);
  if (gf_invert_matrix(b.data(), inverse.data(), static_cast<int>(k_)) != 0) {
    return Status(Code::kInternal, "coding matrix not invertible for these survivors");
  }
  const uint32_t rows = static_cast<uint32_t>(wanted.size());
  std::vector<uint8_t> decode_rows(rows * k_, 0);
  for (uint32_t w = 0; w < rows; ++w) {
    ASSERT(wanted[w] < k_ + m_);
    const uint8_t* row = &matrix_[wanted[w] * k_];
    for (uint32_t c = 0; c < k_; ++c) {
      uint8_t acc = 0;
      for (uint32_t j = 0; j < k_; ++j) acc ^= gf_mul(row[j], inverse[j * k_ + c]);
      decode_rows[w * k_ + c] = acc;
    }
  }
  if (fs == 0) return Status::ok();
  std::vector<uint8_t> tables(32 * k_ * rows);
  ec_init_tables(static_cast<int>(k_), static_cast<int>(rows), decode_rows.data(), tables.data());
  const uint8_t* sources[kFragmentsMax];
  for (uint32_t r = 0; r < k_; ++r) sources[r] = fragments[survivors[r]];
  ec_encode_data(static_cast<int>(fs), static_cast<int>(k_), static_cast<int>(rows), tables.data(),
                 const_cast<uint8_t**>(sources), const_cast<uint8_t**>(out.data()));
  simd_zero_upper();
  return Status::ok();
}

Result<std::string> ReedSolomon::decode(const std::vector<std::optional<std::string_view>>& fragments,
                                        size_t object_bytes) const {
  ASSERT(fragments.size() == k_ + m_);
  const size_t fs = fragment_bytes(object_bytes, k_);
  std::vector<const uint8_t*> present(k_ + m_, nullptr);
  for (uint32_t i = 0; i < k_ + m_; ++i) {
    if (!fragments[i]) continue;
    if (fragments[i]->size() != fs) {
      return Status(Code::kInvalidArgument, "fragment " + std::to_string(i) + " has " +
                                                std::to_string(fragments[i]->size()) + " bytes, expected " +
                                                std::to_string(fs));
    }
    present[i] = reinterpret_cast<const uint8_t*>(fragments[i]->data());
  }
  std::vector<uint32_t> missing;
  for (uint32_t i = 0; i < k_; ++i) {
    if (present[i] == nullptr) missing.push_back(i);
  }
  std::vector<std::string> rebuilt(missing.size(), std::string(fs, '\0'));
  std::vector<uint8_t*> out;
  for (auto& r : rebuilt) out.push_back(reinterpret_cast<uint8_t*>(r.data()));
  Status s = reconstruct(fs, present, missing, out);
  if (!s.is_ok()) return s;
  for (size_t i = 0; i < missing.size(); ++i) present[missing[i]] = out[i];

  std::string object(object_bytes, '\0');
  for (uint32_t i = 0; i < k_ && i * fs < object_bytes; ++i) {
    std::memcpy(object.data() + i * fs, present[i], std::min(fs, object_bytes - i * fs));
  }
  return object;
}

}  // namespace tessera

// Codec benchmark (prints figures; asserts nothing): encode and
// reconstruct of an 8 MiB part at k=10, m=4 on one core, next to raw ISA-L
// ec_encode_data calls with the same matrix in the same run.
//   encode:      ReedSolomon::encode (data fragments in place, padded tail
//                copied) vs ec_encode_data over preallocated buffers;
//   reconstruct: 4 data fragments lost, ReedSolomon::reconstruct (inverts
//                the survivor matrix each call) vs ec_encode_data with
//                decode tables computed once outside the timing;
//   decode:      ReedSolomon::decode into a fresh string (allocation and
//                assembly included), for reference.
// GB/s counts object bytes (8 MiB) per call; medians of 5 rounds.
#include <isa-l/erasure_code.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "core/codec/reed_solomon.h"
#include "core/codec/sha256.h"
#include "io_abstraction/random.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kPartBytes = 8u << 20;
constexpr uint32_t kK = 10, kM = 4;
constexpr int kCallsPerRound = 40;
constexpr int kRounds = 5;

double gbps(const std::function<void()>& call) {
  call();  // warm up: page in buffers
  std::vector<double> rates;
  for (int r = 0; r < kRounds; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < kCallsPerRound; ++i) call();
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    rates.push_back(static_cast<double>(kPartBytes) * kCallsPerRound / s / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  return rates[kRounds / 2];
}

}  // namespace

int main() {
  auto rs = ReedSolomon::create(kK, kM).value();
  std::string object(kPartBytes, '\0');
  Random random(1);
  for (auto& c : object) c = static_cast<char>(random.next());
  const size_t fs = ReedSolomon::fragment_bytes(kPartBytes, kK);

  // Raw ISA-L: separate fragment buffers, tables from the same matrix.
  std::vector<std::vector<uint8_t>> frags(kK + kM, std::vector<uint8_t>(fs, 0));
  for (uint32_t i = 0; i < kK; ++i) {
    const size_t begin = std::min(kPartBytes, i * fs);
    std::memcpy(frags[i].data(), object.data() + begin, std::min(fs, kPartBytes - begin));
  }
  std::vector<uint8_t*> ptrs;
  for (auto& f : frags) ptrs.push_back(f.data());
  std::vector<uint8_t> matrix = rs.matrix();
  std::vector<uint8_t> enc_tables(32 * kK * kM);
  ec_init_tables(kK, kM, &matrix[kK * kK], enc_tables.data());
  const double raw_encode = gbps([&] {
    ec_encode_data(static_cast<int>(fs), kK, kM, enc_tables.data(), ptrs.data(), ptrs.data() + kK);
  });

  EncodedPart part;
  const double our_encode = gbps([&] { rs.encode(object, part); });
  for (uint32_t j = 0; j < kM; ++j) {
    if (std::memcmp(part.fragments[kK + j].data(), frags[kK + j].data(), fs) != 0) {
      std::fprintf(stderr, "parity %u differs from raw ISA-L\n", j);
      return 1;
    }
  }

  // Lose data fragments 0..3; survivors are data 4..9 and parity 10..13.
  const std::vector<uint32_t> lost{0, 1, 2, 3};
  std::vector<const uint8_t*> present;
  for (auto f : part.fragments) present.push_back(reinterpret_cast<const uint8_t*>(f.data()));
  for (uint32_t i : lost) present[i] = nullptr;
  std::vector<std::vector<uint8_t>> rebuilt(lost.size(), std::vector<uint8_t>(fs));
  std::vector<uint8_t*> rebuilt_ptrs;
  for (auto& r : rebuilt) rebuilt_ptrs.push_back(r.data());
  const double our_reconstruct = gbps([&] {
    Status s = rs.reconstruct(fs, present, lost, rebuilt_ptrs);
    if (!s.is_ok()) std::abort();
  });

  // Raw decode: the same algebra, tables built once.
  std::vector<uint8_t> b(kK * kK), inv(kK * kK), rows(lost.size() * kK);
  std::vector<uint32_t> survivors{4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  for (uint32_t r = 0; r < kK; ++r) std::memcpy(&b[r * kK], &matrix[survivors[r] * kK], kK);
  gf_invert_matrix(b.data(), inv.data(), kK);
  for (size_t w = 0; w < lost.size(); ++w) std::memcpy(&rows[w * kK], &inv[lost[w] * kK], kK);
  std::vector<uint8_t> dec_tables(32 * kK * lost.size());
  ec_init_tables(kK, static_cast<int>(lost.size()), rows.data(), dec_tables.data());
  std::vector<uint8_t*> sources;
  for (uint32_t s : survivors) sources.push_back(const_cast<uint8_t*>(present[s]));
  std::vector<std::vector<uint8_t>> raw_out(lost.size(), std::vector<uint8_t>(fs));
  std::vector<uint8_t*> raw_out_ptrs;
  for (auto& r : raw_out) raw_out_ptrs.push_back(r.data());
  const double raw_decode = gbps([&] {
    ec_encode_data(static_cast<int>(fs), kK, static_cast<int>(lost.size()), dec_tables.data(),
                   sources.data(), raw_out_ptrs.data());
  });

  std::vector<std::optional<std::string_view>> fragments(part.fragments.begin(), part.fragments.end());
  for (uint32_t i : lost) fragments[i].reset();
  const double our_decode = gbps([&] {
    auto r = rs.decode(fragments, kPartBytes);
    if (!r.is_ok() || r.value().size() != kPartBytes) std::abort();
  });
  if (rs.decode(fragments, kPartBytes).value() != object) {
    std::fprintf(stderr, "decode differs from the object\n");
    return 1;
  }
  const double sha = gbps([&] { volatile auto d = sha256(object); (void)d; });

  std::printf("8 MiB part, k=%u m=%u, fragment %zu bytes, one core, GB/s of object bytes (median of %d)\n",
              kK, kM, fs, kRounds);
  std::printf("encode       raw ISA-L %6.2f   codec %6.2f   ratio %.2f\n", raw_encode, our_encode,
              our_encode / raw_encode);
  std::printf("reconstruct  raw ISA-L %6.2f   codec %6.2f   ratio %.2f   (4 data fragments lost)\n",
              raw_decode, our_reconstruct, our_reconstruct / raw_decode);
  std::printf("decode to a new buffer (alloc + assemble)  %6.2f\n", our_decode);
  std::printf("sha256 (OpenSSL)                           %6.2f\n", sha);
  return 0;
}

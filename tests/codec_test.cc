// Reed-Solomon codec: ISA-L executes Jerasure's matrix byte-identically,
// any k of k+m fragments rebuild the object, more than m losses fail
// cleanly, and corruption caught by SHA-256 costs no data.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>

#include "core/codec/jerasure_c.h"
#include "core/codec/reed_solomon.h"
#include "core/codec/sha256.h"
#include "io_abstraction/random.h"

namespace tessera {
namespace {

std::string random_bytes(size_t n, uint64_t seed) {
  Random r(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(r.next());
  return s;
}

std::vector<std::optional<std::string_view>> all_of(const EncodedPart& part) {
  return {part.fragments.begin(), part.fragments.end()};
}

TEST(ReedSolomon, IsaLParityIsByteIdenticalToJerasure) {
  for (auto [k, m] : {std::pair{10u, 4u}, {4u, 2u}, {1u, 1u}, {16u, 16u}, {28u, 4u}}) {
    auto rs = ReedSolomon::create(k, m);
    ASSERT_TRUE(rs.is_ok());
    const std::string object = random_bytes(k * 4096 + 77, k * 100 + m);
    EncodedPart part;
    rs.value().encode(object, part);

    int* matrix = reed_sol_vandermonde_coding_matrix(static_cast<int>(k), static_cast<int>(m), 8);
    ASSERT_NE(matrix, nullptr);
    std::vector<std::string> data, coding(m, std::string(part.fragment_bytes, '\0'));
    std::vector<char*> data_ptrs, coding_ptrs;
    for (uint32_t i = 0; i < k; ++i) data.emplace_back(part.fragments[i]);
    for (auto& d : data) data_ptrs.push_back(d.data());
    for (auto& c : coding) coding_ptrs.push_back(c.data());
    jerasure_matrix_encode(static_cast<int>(k), static_cast<int>(m), 8, matrix, data_ptrs.data(),
                           coding_ptrs.data(), static_cast<int>(part.fragment_bytes));
    std::free(matrix);
    for (uint32_t j = 0; j < m; ++j) {
      EXPECT_EQ(part.fragments[k + j], coding[j]) << "k=" << k << " m=" << m << " parity " << j;
    }
  }
}

TEST(ReedSolomon, DataFragmentsAreTheObjectInPlace) {
  auto rs = ReedSolomon::create(10, 4).value();
  const std::string object = random_bytes(1 << 20, 1);
  EncodedPart part;
  rs.encode(object, part);
  EXPECT_EQ(part.fragment_bytes, ReedSolomon::fragment_bytes(object.size(), 10));
  EXPECT_EQ(part.fragment_bytes % ReedSolomon::kFragmentAlignment, 0u);
  // Whole fragments point into the object: no copy on the write path.
  EXPECT_EQ(part.fragments[0].data(), object.data());
  std::string joined;
  for (uint32_t i = 0; i < 10; ++i) joined += part.fragments[i];
  EXPECT_EQ(joined.substr(0, object.size()), object);
  EXPECT_EQ(joined.find_first_not_of('\0', object.size()), std::string::npos);  // zero padding
}

TEST(ReedSolomon, LosingMoreThanMFailsCleanly) {
  auto rs = ReedSolomon::create(10, 4).value();
  const std::string object = random_bytes(100000, 2);
  EncodedPart part;
  rs.encode(object, part);
  auto fragments = all_of(part);
  for (int i = 0; i < 5; ++i) fragments[i * 2].reset();
  auto r = rs.decode(fragments, object.size());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("need 10 of 14 fragments, have 9"), std::string::npos);
}

TEST(ReedSolomon, BadProfilesAreRefused) {
  EXPECT_EQ(ReedSolomon::create(0, 4).code(), Code::kInvalidArgument);
  EXPECT_EQ(ReedSolomon::create(10, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(ReedSolomon::create(30, 3).code(), Code::kInvalidArgument);
  EXPECT_TRUE(ReedSolomon::create(31, 1).is_ok());
}

TEST(ReedSolomon, ReconstructRebuildsParityToo) {
  auto rs = ReedSolomon::create(6, 3).value();
  const std::string object = random_bytes(60000, 3);
  EncodedPart part;
  rs.encode(object, part);
  std::vector<const uint8_t*> present;
  for (auto f : part.fragments) present.push_back(reinterpret_cast<const uint8_t*>(f.data()));
  present[0] = present[7] = present[8] = nullptr;
  std::vector<std::string> out(3, std::string(part.fragment_bytes, '\0'));
  std::vector<uint8_t*> out_ptrs;
  for (auto& o : out) out_ptrs.push_back(reinterpret_cast<uint8_t*>(o.data()));
  ASSERT_TRUE(rs.reconstruct(part.fragment_bytes, present, {0, 7, 8}, out_ptrs).is_ok());
  EXPECT_EQ(out[0], part.fragments[0]);
  EXPECT_EQ(out[1], part.fragments[7]);
  EXPECT_EQ(out[2], part.fragments[8]);
}

TEST(Sha256, KnownVector) {
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// For random sizes (0 to a few hundred KiB, unaligned), random k and m, and
// any set of up to m fragments lost or corrupted (corruption is caught by
// the fragment's SHA-256 and the fragment dropped), decode returns the
// original bytes.
RC_GTEST_PROP(ReedSolomonProps, AnyKFragmentsRebuildTheObject, ()) {
  const uint32_t k = *rc::gen::inRange<uint32_t>(1, 29);
  const uint32_t m = *rc::gen::inRange<uint32_t>(1, std::min<uint32_t>(8, 32 - k) + 1);
  const size_t size = *rc::gen::inRange<size_t>(0, 300000);
  const std::string object = random_bytes(size, *rc::gen::arbitrary<uint64_t>());
  auto rs = ReedSolomon::create(k, m).value();
  EncodedPart part;
  rs.encode(object, part);
  std::vector<Sha256> digests;
  for (auto f : part.fragments) digests.push_back(sha256(f));

  // Choose up to m victims; each is either lost or has a byte flipped.
  std::vector<std::string> copies(part.fragments.begin(), part.fragments.end());
  const auto victims = *rc::gen::unique<std::vector<uint32_t>>(rc::gen::inRange<uint32_t>(0, k + m));
  std::vector<std::optional<std::string_view>> fragments(copies.begin(), copies.end());
  uint32_t damaged = 0;
  for (uint32_t v : victims) {
    if (damaged == m) break;
    ++damaged;
    if (*rc::gen::arbitrary<bool>() || copies[v].empty()) {
      fragments[v].reset();
    } else {
      copies[v][*rc::gen::inRange<size_t>(0, copies[v].size())] ^= 0x5A;
    }
  }
  // The read path: verify each fragment, drop the ones that fail.
  for (uint32_t i = 0; i < k + m; ++i) {
    if (fragments[i] && sha256(*fragments[i]) != digests[i]) fragments[i].reset();
  }
  auto decoded = rs.decode(fragments, object.size());
  RC_ASSERT(decoded.is_ok());
  RC_ASSERT(decoded.value() == object);
}

RC_GTEST_PROP(ReedSolomonProps, MoreThanMLossesNeverReturnBytes, ()) {
  const uint32_t k = *rc::gen::inRange<uint32_t>(1, 20);
  const uint32_t m = *rc::gen::inRange<uint32_t>(1, 8);
  const std::string object = random_bytes(*rc::gen::inRange<size_t>(1, 50000), 7);
  auto rs = ReedSolomon::create(k, m).value();
  EncodedPart part;
  rs.encode(object, part);
  std::vector<std::optional<std::string_view>> fragments = all_of(part);
  const uint32_t lost = *rc::gen::inRange<uint32_t>(m + 1, k + m + 1);
  for (uint32_t i = 0; i < lost; ++i) fragments[(i * 7) % (k + m)].reset();
  uint32_t missing = 0;
  for (auto& f : fragments) missing += f ? 0 : 1;
  RC_PRE(missing > m);
  RC_ASSERT(rs.decode(fragments, object.size()).code() == Code::kUnavailable);
}

}  // namespace
}  // namespace tessera

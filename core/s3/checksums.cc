#include "core/s3/checksums.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <optional>

#include "core/codec/sha256.h"
#include "io_abstraction/assert.h"

namespace tessera::s3 {
namespace {

std::string big_endian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
}

// The reflected polynomial of each CRC S3 uses, and its width in bits.
struct CrcShape {
  uint64_t poly;
  int bits;
};

std::optional<CrcShape> crc_shape(const std::string& header) {
  if (header == "x-amz-checksum-crc32") return CrcShape{0xEDB88320ull, 32};
  if (header == "x-amz-checksum-crc32c") return CrcShape{0x82F63B78ull, 32};
  if (header == "x-amz-checksum-crc64nvme") return CrcShape{0x9A6C9329AC4BC9B5ull, 64};
  return std::nullopt;
}

// a * b modulo the polynomial, both in the reflected bit order (the top bit
// is x^0), as zlib's crc32_combine does it.
uint64_t multiply_mod(const CrcShape& c, uint64_t a, uint64_t b) {
  const uint64_t top = 1ull << (c.bits - 1);
  uint64_t product = 0;
  for (uint64_t m = top; m != 0 && a != 0; m >>= 1) {
    if (a & m) {
      product ^= b;
      a ^= m;
    }
    b = (b & 1) ? (b >> 1) ^ c.poly : b >> 1;
  }
  return product;
}

// x^(8 * bytes) modulo the polynomial: repeated squaring of x^8.
uint64_t shift_for(const CrcShape& c, uint64_t bytes) {
  uint64_t result = 1ull << (c.bits - 1);  // x^0
  uint64_t square = 1ull << (c.bits - 2);  // x^1
  for (int i = 0; i < 3; ++i) square = multiply_mod(c, square, square);  // x^8
  for (; bytes != 0; bytes >>= 1) {
    if (bytes & 1) result = multiply_mod(c, result, square);
    square = multiply_mod(c, square, square);
  }
  return result;
}

uint64_t from_big_endian(const std::string& raw) {
  uint64_t v = 0;
  for (unsigned char ch : raw) v = (v << 8) | ch;
  return v;
}

class Crc32 final : public BodyChecksum {
 public:
  void update(std::string_view b) override {
    crc_ = crc32_gzip_refl(crc_, reinterpret_cast<const unsigned char*>(b.data()), b.size());
  }
  std::string finish() override { return big_endian(crc_, 4); }
  const char* name() const override { return "CRC32"; }

 private:
  uint32_t crc_ = 0;
};

class Crc32c final : public BodyChecksum {
 public:
  // ISA-L's crc32_iscsi neither inverts on entry nor on exit.
  void update(std::string_view b) override {
    crc_ = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(b.data())), static_cast<int>(b.size()),
                       crc_);
  }
  std::string finish() override { return big_endian(crc_ ^ 0xFFFFFFFFu, 4); }
  const char* name() const override { return "CRC32C"; }

 private:
  uint32_t crc_ = 0xFFFFFFFFu;
};

// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5): ISA-L 2.30 has no
// kernel for it, so a table-driven one.
class Crc64Nvme final : public BodyChecksum {
 public:
  void update(std::string_view b) override {
    static const std::array<uint64_t, 256> table = [] {
      std::array<uint64_t, 256> t{};
      for (uint64_t i = 0; i < 256; ++i) {
        uint64_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x9A6C9329AC4BC9B5ull : c >> 1;
        t[i] = c;
      }
      return t;
    }();
    for (unsigned char c : b) crc_ = table[(crc_ ^ c) & 0xFF] ^ (crc_ >> 8);
  }
  std::string finish() override { return big_endian(crc_ ^ ~0ull, 8); }
  const char* name() const override { return "CRC64NVME"; }

 private:
  uint64_t crc_ = ~0ull;
};

class Digest final : public BodyChecksum {
 public:
  Digest(StreamDigest::Kind kind, const char* name) : digest_(kind), name_(name) {}
  void update(std::string_view b) override { digest_.update(b); }
  std::string finish() override { return digest_.finish(); }
  const char* name() const override { return name_; }

 private:
  StreamDigest digest_;
  const char* name_;
};

}  // namespace

std::unique_ptr<BodyChecksum> BodyChecksum::for_header(const std::string& header) {
  if (header == "x-amz-checksum-crc32") return std::make_unique<Crc32>();
  if (header == "x-amz-checksum-crc32c") return std::make_unique<Crc32c>();
  if (header == "x-amz-checksum-crc64nvme") return std::make_unique<Crc64Nvme>();
  if (header == "x-amz-checksum-sha1") return std::make_unique<Digest>(StreamDigest::Kind::kSha1, "SHA1");
  if (header == "x-amz-checksum-sha256") return std::make_unique<Digest>(StreamDigest::Kind::kSha256, "SHA256");
  return nullptr;
}

std::string BodyChecksum::header() const {
  std::string lower = name();
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "x-amz-checksum-" + lower;
}

const std::vector<std::pair<std::string, std::string>>& checksum_names() {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"x-amz-checksum-crc32", "ChecksumCRC32"},         {"x-amz-checksum-crc32c", "ChecksumCRC32C"},
      {"x-amz-checksum-crc64nvme", "ChecksumCRC64NVME"}, {"x-amz-checksum-sha1", "ChecksumSHA1"},
      {"x-amz-checksum-sha256", "ChecksumSHA256"}};
  return names;
}

const char* checksum_element(const std::string& header) {
  for (const auto& [name, element] : checksum_names()) {
    if (name == header) return element.c_str();
  }
  return nullptr;
}

std::string checksum_header_for(std::string_view algorithm) {
  std::string header = "x-amz-checksum-";
  for (char ch : algorithm) header += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return checksum_element(header) ? header : "";
}

bool checksum_combines(const std::string& header) { return crc_shape(header).has_value(); }

std::string combine_crc(const std::string& header, const std::string& crc_a, const std::string& crc_b,
                        uint64_t length_b) {
  const auto shape = crc_shape(header);
  ASSERT(shape && crc_a.size() * 8 == static_cast<size_t>(shape->bits) && crc_b.size() == crc_a.size());
  const uint64_t a = from_big_endian(crc_a), b = from_big_endian(crc_b);
  return big_endian(multiply_mod(*shape, shift_for(*shape, length_b), a) ^ b, shape->bits / 8);
}

std::string composite_checksum(const std::string& header, const std::vector<std::string>& raw_parts) {
  auto checksum = BodyChecksum::for_header(header);
  ASSERT(checksum);
  for (const std::string& raw : raw_parts) checksum->update(raw);
  return base64_encode(checksum->finish()) + "-" + std::to_string(raw_parts.size());
}

std::string base64_encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace tessera::s3

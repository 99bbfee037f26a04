#include "prod/s3/checksums.h"

#include <isa-l/crc.h>
#include <openssl/evp.h>

#include <array>

#include "core/codec/sha256.h"

namespace tessera::prod::s3 {
namespace {

std::string big_endian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
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

}  // namespace tessera::prod::s3

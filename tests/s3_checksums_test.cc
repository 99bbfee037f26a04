// S3's checksums: known values of each algorithm, CRCs of a whole combined
// from its pieces, and the multipart rules (creation, parts, completion).
#include <gtest/gtest.h>

#include "core/codec/sha256.h"
#include "core/s3/checksums.h"
#include "core/s3/multipart_checksums.h"

namespace tessera::s3 {
namespace {

const char* const kAlgorithms[] = {"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme",
                                   "x-amz-checksum-sha1", "x-amz-checksum-sha256"};

std::string raw_of(const std::string& header, std::string_view bytes) {
  auto c = BodyChecksum::for_header(header);
  c->update(bytes);
  return c->finish();
}

std::string text(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31 + (i >> 7));
  return s;
}

TEST(Checksums, StandardCheckValuesAndChunking) {
  // The catalogue check values: each algorithm over "123456789".
  const std::vector<std::pair<std::string, std::string>> cases{
      {"x-amz-checksum-crc32", "cbf43926"},
      {"x-amz-checksum-crc32c", "e3069283"},
      {"x-amz-checksum-crc64nvme", "ae8b14860a799888"},
      {"x-amz-checksum-sha1", "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
  };
  for (const auto& [header, hex] : cases) {
    auto whole = BodyChecksum::for_header(header);
    ASSERT_TRUE(whole) << header;
    whole->update("123456789");
    EXPECT_EQ(hex_of(whole->finish()), hex) << header;
    auto pieces = BodyChecksum::for_header(header);
    pieces->update("1234");
    pieces->update("");
    pieces->update("56789");
    EXPECT_EQ(hex_of(pieces->finish()), hex) << header << " in pieces";
  }
  EXPECT_EQ(BodyChecksum::for_header("x-amz-checksum-md4"), nullptr);
  EXPECT_EQ(base64_encode("\xcb\xf4\x39\x26"), "y/Q5Jg==");
  EXPECT_EQ(base64_decode("y/Q5Jg==").value(), "\xcb\xf4\x39\x26");
  EXPECT_FALSE(base64_decode("y/Q5Jg=").has_value());
  EXPECT_EQ(base64_encode(raw_of("x-amz-checksum-crc32", "")), "AAAAAA==");
}

TEST(Checksums, HeadersAndAlgorithmNames) {
  EXPECT_EQ(checksum_header_for("CRC64NVME"), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(checksum_header_for("sha256"), "x-amz-checksum-sha256");
  EXPECT_EQ(checksum_header_for("MD5"), "");
  for (const char* h : kAlgorithms) EXPECT_EQ(BodyChecksum::for_header(h)->header(), h);
}

TEST(Checksums, CrcOfAWholeCombinesFromItsPieces) {
  const std::string all = text(300000, 'a');
  for (const char* h : {"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme"}) {
    ASSERT_TRUE(checksum_combines(h));
    for (size_t cut : {size_t{0}, size_t{1}, size_t{4095}, size_t{131072}, all.size() - 1, all.size()}) {
      const std::string a = all.substr(0, cut), b = all.substr(cut);
      EXPECT_EQ(combine_crc(h, raw_of(h, a), raw_of(h, b), b.size()), raw_of(h, all)) << h << " cut " << cut;
    }
  }
  EXPECT_FALSE(checksum_combines("x-amz-checksum-sha256"));
}

TEST(MultipartChecksums, RuleAtCreation) {
  EXPECT_EQ(checksum_rule("", "").value().algorithm, "");
  EXPECT_EQ(checksum_rule("crc32", "").value().type, "COMPOSITE");
  EXPECT_EQ(checksum_rule("CRC64NVME", "").value().type, "FULL_OBJECT");
  EXPECT_EQ(checksum_rule("CRC32C", "full_object").value().type, "FULL_OBJECT");
  EXPECT_EQ(checksum_rule("SHA256", "FULL_OBJECT").status().reason(), "InvalidRequest");
  EXPECT_EQ(checksum_rule("CRC64NVME", "COMPOSITE").status().reason(), "InvalidRequest");
  EXPECT_EQ(checksum_rule("MD5", "").status().reason(), "InvalidRequest");
  EXPECT_EQ(checksum_rule("", "COMPOSITE").status().reason(), "InvalidRequest");
  EXPECT_EQ(checksum_rule("CRC32", "BOTH").status().reason(), "InvalidRequest");
}

TEST(MultipartChecksums, PartsSendTheUploadsAlgorithm) {
  const ChecksumRule crc32{"CRC32", "COMPOSITE"};
  EXPECT_EQ(part_checksum_header(crc32, {}).value(), "x-amz-checksum-crc32");
  EXPECT_EQ(part_checksum_header(crc32, {"x-amz-checksum-crc32"}).value(), "x-amz-checksum-crc32");
  auto mismatch = part_checksum_header(crc32, {"x-amz-checksum-crc32c"});
  EXPECT_EQ(mismatch.status().reason(), "InvalidRequest");
  EXPECT_NE(mismatch.status().message().find("expected checksum Type: crc32, actual checksum Type: crc32c"),
            std::string::npos);
  // An upload with no algorithm takes any part checksum (verified, kept).
  EXPECT_EQ(part_checksum_header(ChecksumRule{}, {"x-amz-checksum-sha1"}).value(), "");
}

struct Upload {
  std::map<uint32_t, proto::UploadPartRecord> parts;
  std::vector<CompletingPart> wanted;
  std::string all;
};

Upload upload_of(const std::string& header, std::vector<size_t> sizes) {
  Upload u;
  uint32_t number = 0;
  for (size_t size : sizes) {
    const std::string bytes = text(size, static_cast<char>('0' + number));
    u.all += bytes;
    proto::UploadPartRecord& p = u.parts[++number];
    p.set_number(number);
    p.set_size(size);
    p.set_etag("etag" + std::to_string(number));
    auto* c = p.add_checksums();
    c->set_name(header);
    c->set_value(base64_encode(raw_of(header, bytes)));
    u.wanted.push_back(CompletingPart{CompletedPart{number, p.etag()}, {{header, c->value()}}});
  }
  return u;
}

TEST(MultipartChecksums, FullObjectCrcIsTheCrcOfAllTheBytes) {
  const std::string h = "x-amz-checksum-crc64nvme";
  Upload u = upload_of(h, {5u << 20, 5u << 20, 12345});
  auto headers = completion_checksums(ChecksumRule{"CRC64NVME", "FULL_OBJECT"}, u.wanted, u.parts, "");
  ASSERT_TRUE(headers.is_ok()) << headers.status().to_string();
  ASSERT_EQ(headers.value().size(), 2u);
  EXPECT_EQ(headers.value()[0].name(), h);
  EXPECT_EQ(headers.value()[0].value(), base64_encode(raw_of(h, u.all)));
  EXPECT_EQ(headers.value()[1].value(), "FULL_OBJECT");
  // The client's own value for the whole is checked.
  EXPECT_TRUE(
      completion_checksums(ChecksumRule{"CRC64NVME", "FULL_OBJECT"}, u.wanted, u.parts, base64_encode(raw_of(h, u.all)))
          .is_ok());
  EXPECT_EQ(completion_checksums(ChecksumRule{"CRC64NVME", "FULL_OBJECT"}, u.wanted, u.parts, "AAAAAAAAAAA=")
                .status()
                .reason(),
            "BadDigest");
}

TEST(MultipartChecksums, CompositeIsTheChecksumOfThePartChecksums) {
  const std::string h = "x-amz-checksum-sha256";
  Upload u = upload_of(h, {100, 200});
  auto headers = completion_checksums(ChecksumRule{"SHA256", "COMPOSITE"}, u.wanted, u.parts, "");
  ASSERT_TRUE(headers.is_ok());
  const std::string raws = raw_of(h, u.all.substr(0, 100)) + raw_of(h, u.all.substr(100));
  EXPECT_EQ(headers.value()[0].value(), base64_encode(raw_of(h, raws)) + "-2");
  EXPECT_EQ(headers.value()[1].value(), "COMPOSITE");
}

TEST(MultipartChecksums, APartChecksumThatDiffersIsInvalidPart) {
  Upload u = upload_of("x-amz-checksum-crc32", {10, 20});
  u.wanted[1].checksums["x-amz-checksum-crc32"] = "AAAAAA==";
  EXPECT_EQ(completion_checksums(ChecksumRule{"CRC32", "COMPOSITE"}, u.wanted, u.parts, "").status().reason(),
            "InvalidPart");
  // One of another algorithm than the part was uploaded with, too.
  u = upload_of("x-amz-checksum-crc32", {10});
  u.wanted[0].checksums = {{"x-amz-checksum-crc32c", "AAAAAA=="}};
  EXPECT_EQ(completion_checksums(ChecksumRule{}, u.wanted, u.parts, "").status().reason(), "InvalidPart");
}

TEST(MultipartChecksums, NoAlgorithmMeansNoObjectChecksum) {
  Upload u = upload_of("x-amz-checksum-crc32", {10, 20});
  auto headers = completion_checksums(ChecksumRule{}, u.wanted, u.parts, "");
  ASSERT_TRUE(headers.is_ok());
  EXPECT_TRUE(headers.value().empty());
}

}  // namespace
}  // namespace tessera::s3

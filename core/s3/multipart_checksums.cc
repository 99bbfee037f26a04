#include "core/s3/multipart_checksums.h"

#include <cctype>

#include "core/s3/checksums.h"
#include "core/s3/s3_error.h"

namespace tessera::s3 {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "crc32" for "x-amz-checksum-crc32", as S3 names types in its messages.
std::string short_name(const std::string& header) { return header.substr(header.rfind('-') + 1); }

const std::string* checksum_of(const proto::UploadPartRecord& part, const std::string& header) {
  for (const auto& c : part.checksums()) {
    if (c.name() == header) return &c.value();
  }
  return nullptr;
}

proto::MetadataEntry entry(std::string name, std::string value) {
  proto::MetadataEntry e;
  e.set_name(std::move(name));
  e.set_value(std::move(value));
  return e;
}

// The whole object's value from its parts' raw digests: the CRC of all the
// bytes, or the composite.
std::string whole_checksum(const ChecksumRule& rule, const std::string& header, const std::vector<std::string>& raws,
                           const std::vector<uint64_t>& sizes) {
  if (rule.type == "COMPOSITE") return composite_checksum(header, raws);
  std::string crc = raws.front();
  for (size_t i = 1; i < raws.size(); ++i) crc = combine_crc(header, crc, raws[i], sizes[i]);
  return base64_encode(crc);
}

}  // namespace

Result<ChecksumRule> checksum_rule(const std::string& algorithm, const std::string& type) {
  ChecksumRule rule{upper(algorithm), upper(type)};
  if (rule.algorithm.empty()) {
    if (!rule.type.empty()) return s3_status("InvalidRequest", "x-amz-checksum-type needs x-amz-checksum-algorithm");
    return rule;
  }
  const std::string header = checksum_header_for(rule.algorithm);
  if (header.empty()) {
    return s3_status("InvalidRequest",
                     "Checksum algorithm provided is unsupported. Please try again with any of the "
                     "valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]");
  }
  const bool crc = checksum_combines(header);
  if (rule.type.empty()) rule.type = rule.algorithm == "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE";
  if (rule.type != "COMPOSITE" && rule.type != "FULL_OBJECT") {
    return s3_status("InvalidRequest", "Value for x-amz-checksum-type header is invalid.");
  }
  if ((rule.type == "FULL_OBJECT" && !crc) || (rule.type == "COMPOSITE" && rule.algorithm == "CRC64NVME")) {
    return s3_status("InvalidRequest", "The " + rule.type + " checksum type cannot be used with the " + rule.algorithm +
                                           " checksum algorithm.");
  }
  return rule;
}

Result<std::string> part_checksum_header(const ChecksumRule& rule, const std::vector<std::string>& sent) {
  const std::string wanted = checksum_header_for(rule.algorithm);
  for (const std::string& header : sent) {
    if (!wanted.empty() && header != wanted) {
      return s3_status("InvalidRequest", "Checksum Type mismatch occurred, expected checksum Type: " +
                                             short_name(wanted) + ", actual checksum Type: " + short_name(header));
    }
  }
  return wanted;
}

Result<std::vector<proto::MetadataEntry>> completion_checksums(
    const ChecksumRule& rule, const std::vector<CompletingPart>& wanted,
    const std::map<uint32_t, proto::UploadPartRecord>& uploaded, const std::string& expected) {
  const std::string header = checksum_header_for(rule.algorithm);
  std::vector<std::string> raws;
  std::vector<uint64_t> sizes;
  bool all_have = !header.empty();
  for (const CompletingPart& w : wanted) {
    auto found = uploaded.find(w.part.number);
    // An absent part or a different ETag is the metadata store's to report.
    if (found == uploaded.end() || found->second.etag() != w.part.etag) return std::vector<proto::MetadataEntry>{};
    for (const auto& [name, value] : w.checksums) {
      const std::string* stored = checksum_of(found->second, name);
      if (stored == nullptr || *stored != value) {
        return s3_status("InvalidPart", "One or more of the specified parts could not be found: part " +
                                            std::to_string(w.part.number) + "'s " + short_name(name) +
                                            " checksum differs from the uploaded part's");
      }
    }
    const std::string* own = header.empty() ? nullptr : checksum_of(found->second, header);
    auto raw = own ? base64_decode(*own) : std::nullopt;
    all_have = all_have && raw.has_value();
    if (raw) raws.push_back(std::move(*raw));
    sizes.push_back(found->second.size());
  }
  // Parts uploaded before the record kept checksums: the object has none.
  if (!all_have || raws.empty()) return std::vector<proto::MetadataEntry>{};
  const std::string value = whole_checksum(rule, header, raws, sizes);
  // A composite value may be given with or without its "-N".
  const std::string bare = value.substr(0, value.find('-'));
  if (!expected.empty() && expected != value && expected != bare) {
    return s3_status("BadDigest", "the " + rule.algorithm + " you specified for the object did not match " +
                                      "the checksum calculated from its parts");
  }
  return std::vector<proto::MetadataEntry>{entry(header, value), entry("x-amz-checksum-type", rule.type)};
}

}  // namespace tessera::s3

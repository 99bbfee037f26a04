// GetObjectAttributes: what x-amz-object-attributes names of a version
// (ETag, Checksum, ObjectParts, StorageClass, ObjectSize), from its record
// alone; no fragment is read.
#include <map>
#include <set>

#include "prod/s3/s3_error.h"
#include "prod/s3/s3_service.h"
#include "prod/s3/s3_util.h"

namespace tessera::prod::s3 {
namespace {

const std::map<std::string, const char*>& checksum_elements() {
  static const std::map<std::string, const char*> m = {
      {"x-amz-checksum-crc32", "ChecksumCRC32"},     {"x-amz-checksum-crc32c", "ChecksumCRC32C"},
      {"x-amz-checksum-crc64nvme", "ChecksumCRC64NVME"}, {"x-amz-checksum-sha1", "ChecksumSHA1"},
      {"x-amz-checksum-sha256", "ChecksumSHA256"}};
  return m;
}

// The attribute names asked for; InvalidArgument for one S3 does not know.
Result<std::set<std::string>> requested_attributes(const std::string& header) {
  static const std::set<std::string> kKnown = {"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"};
  std::set<std::string> out;
  for (const std::string& name : comma_list(header)) {
    if (kKnown.count(name) == 0) return s3_status("InvalidArgument", "invalid attribute name specified: " + name);
    out.insert(name);
  }
  if (out.empty()) return s3_status("InvalidArgument", "x-amz-object-attributes names no attribute");
  return out;
}

Result<uint32_t> number_header(const S3Request& r, const char* name, uint32_t fallback) {
  const std::string v = r.header(name);
  if (v.empty()) return fallback;
  if (v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
    return s3_status("InvalidArgument", std::string(name) + " must be a non-negative integer");
  }
  return static_cast<uint32_t>(std::stoul(v));
}

// Parts of a multipart version with their sizes, by part number.
std::map<uint32_t, uint64_t> part_sizes(const proto::ObjectVersion& v) {
  std::map<uint32_t, uint64_t> sizes;
  for (const auto& stripe : v.parts()) sizes[stripe.upload_part()] += stripe.size();
  return sizes;
}

void add_checksum(pugi::xml_node root, const proto::ObjectVersion& v) {
  pugi::xml_node node;
  bool composite = false;
  for (const auto& h : v.headers()) {
    auto element = checksum_elements().find(h.name());
    if (element == checksum_elements().end()) continue;
    if (!node) node = root.append_child("Checksum");
    add_text(node, element->second, h.value());
    composite = composite || h.value().find('-') != std::string::npos;
  }
  if (node) add_text(node, "ChecksumType", composite ? "COMPOSITE" : "FULL_OBJECT");
}

void add_parts(pugi::xml_node root, const proto::ObjectVersion& v, uint32_t max_parts, uint32_t marker) {
  if (v.upload_parts() == 0) return;  // S3 lists parts of multipart objects only
  auto node = root.append_child("ObjectParts");
  add_text(node, "PartsCount", std::to_string(v.upload_parts()));
  add_text(node, "PartNumberMarker", std::to_string(marker));
  add_text(node, "MaxParts", std::to_string(max_parts));
  uint32_t listed = 0, last = marker;
  bool truncated = false;
  for (const auto& [number, size] : part_sizes(v)) {
    if (number <= marker) continue;
    if (listed == max_parts) {
      truncated = true;
      break;
    }
    auto part = node.append_child("Part");
    add_text(part, "PartNumber", std::to_string(number));
    add_text(part, "Size", std::to_string(size));
    last = number;
    ++listed;
  }
  add_text(node, "IsTruncated", truncated ? "true" : "false");
  if (truncated) add_text(node, "NextPartNumberMarker", std::to_string(last));
}

}  // namespace

Task<Status> S3Service::get_object_attributes(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto wanted = requested_attributes(r.header("x-amz-object-attributes"));
  if (!wanted.is_ok()) co_return wanted.status();
  auto max_parts = number_header(r, "x-amz-max-parts", 1000);
  if (!max_parts.is_ok()) co_return max_parts.status();
  auto marker = number_header(r, "x-amz-part-number-marker", 0);
  if (!marker.is_ok()) co_return marker.status();
  auto found = co_await gateway_.head_object(r.bucket, r.key, r.param("versionId"));
  if (!found.is_ok()) co_return found.status();
  const proto::ObjectVersion& v = found.value();
  r.x.set_header("Last-Modified", http_date(static_cast<int64_t>(v.modified_ms())));
  set_version_header(r, v);
  const auto& w = wanted.value();
  XmlDoc doc("GetObjectAttributesResponse");
  if (w.count("ETag")) add_text(doc.root(), "ETag", v.etag());
  if (w.count("Checksum")) add_checksum(doc.root(), v);
  if (w.count("ObjectParts")) add_parts(doc.root(), v, std::min<uint32_t>(max_parts.value(), 1000), marker.value());
  if (w.count("StorageClass")) {
    add_text(doc.root(), "StorageClass", v.storage_class().empty() ? "STANDARD" : v.storage_class());
  }
  if (w.count("ObjectSize")) add_text(doc.root(), "ObjectSize", std::to_string(v.size()));
  co_await r.x.send(200, doc.str());
  co_return Status::ok();
}

}  // namespace tessera::prod::s3

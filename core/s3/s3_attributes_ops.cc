// GetObjectAttributes: what x-amz-object-attributes names of a version
// (ETag, Checksum, ObjectParts, StorageClass, ObjectSize), from its record
// alone; no fragment is read.
#include <map>
#include <set>

#include "core/s3/checksums.h"
#include "core/s3/s3_error.h"
#include "core/s3/s3_api.h"
#include "core/s3/s3_util.h"

namespace tessera::s3 {
namespace {

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

void add_parts(pugi::xml_node root, const proto::ObjectVersion& v, uint32_t max_parts, uint32_t marker) {
  if (v.upload_parts() == 0) return;  // S3 lists parts of multipart objects only
  auto node = root.append_child("ObjectParts");
  add_text(node, "PartsCount", std::to_string(v.upload_parts()));
  add_text(node, "PartNumberMarker", std::to_string(marker));
  add_text(node, "MaxParts", std::to_string(max_parts));
  uint32_t listed = 0, last = marker;
  bool truncated = false;
  for (const proto::UploadedPart& p : uploaded_parts(v)) {
    if (p.number() <= marker) continue;
    if (listed == max_parts) {
      truncated = true;
      break;
    }
    auto part = node.append_child("Part");
    add_text(part, "PartNumber", std::to_string(p.number()));
    add_text(part, "Size", std::to_string(p.size()));
    add_checksum_elements(part, p.checksums(), false);
    last = p.number();
    ++listed;
  }
  add_text(node, "IsTruncated", truncated ? "true" : "false");
  if (truncated) add_text(node, "NextPartNumberMarker", std::to_string(last));
}

}  // namespace

std::vector<proto::UploadedPart> uploaded_parts(const proto::ObjectVersion& v) {
  if (v.uploaded_parts_size() > 0) return {v.uploaded_parts().begin(), v.uploaded_parts().end()};
  // Completed before part records were kept: sizes from the stripes.
  std::map<uint32_t, uint64_t> sizes;
  for (const auto& stripe : v.stripes()) sizes[stripe.upload_part()] += stripe.size();
  std::vector<proto::UploadedPart> out;
  for (const auto& [number, size] : sizes) {
    out.emplace_back().set_number(number);
    out.back().set_size(size);
  }
  return out;
}

std::string checksum_type_of(const google::protobuf::RepeatedPtrField<proto::MetadataEntry>& headers) {
  for (const auto& h : headers) {
    if (h.name() == "x-amz-checksum-type") return h.value();
  }
  return "FULL_OBJECT";  // a single PUT's checksum is of the full object
}

bool add_checksum_elements(pugi::xml_node node, const google::protobuf::RepeatedPtrField<proto::MetadataEntry>& headers,
                           bool with_type) {
  bool any = false;
  for (const auto& h : headers) {
    const char* element = checksum_element(h.name());
    if (element == nullptr) continue;
    add_text(node, element, h.value());
    any = true;
  }
  if (with_type && any) add_text(node, "ChecksumType", checksum_type_of(headers));
  return any;
}

Task<Status> S3Api::get_object_attributes(S3Request& r) {
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
  r.reply->set_header("Last-Modified", http_date(static_cast<int64_t>(v.modified_ms())));
  set_version_header(r, v);
  const auto& w = wanted.value();
  XmlDoc doc("GetObjectAttributesResponse");
  if (w.count("ETag")) add_text(doc.root(), "ETag", v.etag());
  if (w.count("Checksum")) {
    auto checksum = doc.root().append_child("Checksum");
    if (!add_checksum_elements(checksum, v.headers(), true)) doc.root().remove_child(checksum);
  }
  if (w.count("ObjectParts")) add_parts(doc.root(), v, std::min<uint32_t>(max_parts.value(), 1000), marker.value());
  if (w.count("StorageClass")) {
    add_text(doc.root(), "StorageClass", v.storage_class().empty() ? "STANDARD" : v.storage_class());
  }
  if (w.count("ObjectSize")) add_text(doc.root(), "ObjectSize", std::to_string(v.size()));
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

}  // namespace tessera::s3

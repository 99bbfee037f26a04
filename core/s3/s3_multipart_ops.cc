// S3 multipart uploads: create, upload part (and part copy), complete,
// abort, list parts, list uploads.
#include <algorithm>

#include <pugixml.hpp>

#include "core/s3/checksums.h"
#include "core/s3/multipart_checksums.h"
#include "core/s3/object_source.h"
#include "core/s3/s3_error.h"
#include "core/s3/s3_api.h"
#include "core/s3/s3_util.h"

namespace tessera::s3 {
namespace {

Result<uint32_t> uint_param(const S3Request& r, const char* name, uint32_t fallback) {
  const std::string v = r.param(name);
  if (v.empty()) return fallback;
  if (v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9) {
    return s3_status("InvalidArgument", std::string(name) + " must be a non-negative integer");
  }
  return static_cast<uint32_t>(std::stoul(v));
}

ChecksumRule rule_of(const proto::UploadRecord& u) { return ChecksumRule{u.checksum_algorithm(), u.checksum_type()}; }

// The x-amz-checksum-* a part upload sends, as headers or an announced trailer.
std::vector<std::string> sent_checksums(const S3Request& r) {
  std::vector<std::string> sent;
  for (const auto& [header, element] : checksum_names()) {
    if (!r.header(header).empty()) sent.push_back(header);
  }
  if (!r.header("x-amz-trailer").empty()) sent.push_back(r.header("x-amz-trailer"));
  return sent;
}

// The <Part> list of a CompleteMultipartUpload document, with the checksums
// each part gives.
Result<std::vector<CompletingPart>> completing_parts(pugi::xml_node root) {
  std::vector<CompletingPart> parts;
  for (auto p : root.children("Part")) {
    const std::string n = p.child_value("PartNumber");
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 5) {
      return s3_status("MalformedXML", "PartNumber must be 1..10000");
    }
    CompletingPart part{CompletedPart{static_cast<uint32_t>(std::stoul(n)), unquoted(p.child_value("ETag"))}, {}};
    for (const auto& [header, element] : checksum_names()) {
      if (p.child(element.c_str())) part.checksums[header] = p.child_value(element.c_str());
    }
    parts.push_back(std::move(part));
  }
  if (parts.empty()) return s3_status("MalformedXML", "the part list is empty");
  return parts;
}

}  // namespace

Task<Status> S3Api::create_upload(S3Request& r) {
  proto::BucketRecord bucket;
  if (Status s = co_await authorize_bucket(r, false, &bucket); !s.is_ok()) co_return s;
  auto attrs = attributes_from(r);
  if (!attrs.is_ok()) co_return attrs.status();
  auto rule = checksum_rule(r.header("x-amz-checksum-algorithm"), r.header("x-amz-checksum-type"));
  if (!rule.is_ok()) co_return rule.status();
  drop_checksum_headers(attrs.value());  // they describe the request's empty body
  auto id = co_await gateway_.create_upload(bucket, r.key, std::move(attrs).value(), rule.value().algorithm,
                                            rule.value().type);
  if (!id.is_ok()) co_return id.status();
  if (!rule.value().algorithm.empty()) {
    r.reply->set_header("x-amz-checksum-algorithm", rule.value().algorithm);
    r.reply->set_header("x-amz-checksum-type", rule.value().type);
  }
  XmlDoc doc("InitiateMultipartUploadResult");
  add_text(doc.root(), "Bucket", r.bucket);
  add_text(doc.root(), "Key", r.key);
  add_text(doc.root(), "UploadId", id.value());
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::upload_part(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto number = uint_param(r, "partNumber", 0);
  if (!number.is_ok()) co_return number.status();
  const std::string upload_id = r.param("uploadId");
  auto upload = co_await gateway_.metadata().get_upload(r.bucket, r.key, upload_id);
  if (!upload.is_ok()) co_return upload.status();
  if (!r.header("x-amz-copy-source").empty()) co_return co_await upload_part_copy(r, upload.value(), number.value());
  if (!r.body_framed) co_return s3_status("MissingContentLength", "UploadPart needs a Content-Length");
  if (declared_length(r) > config_.put_bytes_max) {
    co_return s3_status("EntityTooLarge", "a part is at most 5 GiB");
  }
  auto wanted = part_checksum_header(rule_of(upload.value()), sent_checksums(r));
  if (!wanted.is_ok()) co_return wanted.status();
  if (Status s = prepare_body(r); !s.is_ok()) co_return s;
  // The upload's algorithm is computed when the client sends none of it.
  if (!wanted.value().empty() && !r.body->checks().has_checksum(wanted.value()) &&
      r.header("x-amz-trailer") != wanted.value()) {
    r.body->checks().compute(BodyChecksum::for_header(wanted.value()));
  }
  auto part = co_await gateway_.upload_part(upload.value(), number.value(), *r.body);
  if (!part.is_ok()) co_return part.status();
  r.reply->set_header("ETag", quoted(part.value().etag()));
  for (const auto& c : part.value().checksums()) r.reply->set_header(c.name(), c.value());
  co_await r.reply->send(200, "");
  co_return Status::ok();
}

Task<Status> S3Api::upload_part_copy(S3Request& r, const proto::UploadRecord& upload, uint32_t number) {
  std::optional<ByteRange> range;
  auto src = co_await copy_source(r, &range);
  if (!src.is_ok()) co_return src.status();
  const proto::ObjectVersion& from = src.value();
  const ByteRange span = range.value_or(ByteRange{0, from.size() == 0 ? 0 : from.size() - 1});
  ObjectSource source(gateway_, from, span);
  ChecksummedSource body(source);
  const std::string wanted = checksum_header_for(upload.checksum_algorithm());
  if (!wanted.empty()) body.checks().compute(BodyChecksum::for_header(wanted));
  auto part = co_await gateway_.upload_part(upload, number, body);
  if (!part.is_ok()) co_return part.status();
  co_await send_copy_result(r, "CopyPartResult", part.value().modified_ms(), part.value().etag(),
                            part.value().checksums());
  co_return Status::ok();
}

Task<Status> S3Api::complete_upload(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto body = co_await read_all(r, config_.xml_body_bytes_max);
  if (!body.is_ok()) co_return body.status();
  pugi::xml_document doc;
  if (!doc.load_buffer(body.value().data(), body.value().size())) {
    co_return s3_status("MalformedXML", "the CompleteMultipartUpload document is not well-formed XML");
  }
  auto root = doc.child("CompleteMultipartUpload");
  if (!root) co_return s3_status("MalformedXML", "expected a <CompleteMultipartUpload> document");
  auto wanted = completing_parts(root);
  if (!wanted.is_ok()) co_return wanted.status();
  const std::string upload_id = r.param("uploadId");
  auto v = co_await complete_with_checksums(r, upload_id, wanted.value());
  if (!v.is_ok() && v.status().reason() == "NoSuchUpload") {
    // A retry of a completion that succeeded (its answer lost) gets the
    // same answer, as from S3, while that version is still the newest.
    auto head = co_await gateway_.head_object(r.bucket, r.key);
    if (head.is_ok() && !upload_id.empty() && head.value().completed_upload_id() == upload_id) v = std::move(head);
  }
  if (!v.is_ok()) co_return v.status();
  set_version_header(r, v.value());
  XmlDoc out("CompleteMultipartUploadResult");
  add_text(out.root(), "Location", "/" + r.bucket + "/" + r.key);
  add_text(out.root(), "Bucket", r.bucket);
  add_text(out.root(), "Key", r.key);
  add_text(out.root(), "ETag", quoted(v.value().etag()));
  add_checksum_elements(out.root(), v.value().headers(), true);
  co_await r.reply->send(200, out.str());
  co_return Status::ok();
}

// Checks the parts' checksums against the uploaded ones, then completes
// with the object's checksum. The parts are listed before the commit; the
// commit checks each ETag (the part's MD5) again under its locks, so the
// checksums computed here are of the bytes it commits.
Task<Result<proto::ObjectVersion>> S3Api::complete_with_checksums(S3Request& r, const std::string& upload_id,
                                                                      const std::vector<CompletingPart>& wanted) {
  auto upload = co_await gateway_.metadata().get_upload(r.bucket, r.key, upload_id);
  if (!upload.is_ok()) co_return upload.status();
  const ChecksumRule rule = rule_of(upload.value());
  if (!r.header("x-amz-checksum-type").empty() && r.header("x-amz-checksum-type") != rule.type) {
    co_return s3_status("InvalidRequest", "The upload was created using the " +
                                              (rule.type.empty() ? std::string("null") : rule.type) +
                                              " checksum mode. The complete request must use the same checksum mode.");
  }
  // Nothing to check or compute: the parts need not be listed.
  const bool checked = std::any_of(wanted.begin(), wanted.end(), [](const auto& w) { return !w.checksums.empty(); });
  std::map<uint32_t, proto::UploadPartRecord> uploaded;
  for (uint32_t marker = 0; checked || !rule.algorithm.empty();) {
    auto page = co_await gateway_.metadata().list_upload_parts(r.bucket, r.key, upload_id, marker, 1000);
    if (!page.is_ok()) co_return page.status();
    for (auto& p : page.value().parts) uploaded[p.number()] = std::move(p);
    if (!page.value().truncated || page.value().parts.empty()) break;
    marker = uploaded.rbegin()->first;
  }
  const std::string header = checksum_header_for(rule.algorithm);
  auto headers = completion_checksums(rule, wanted, uploaded, header.empty() ? "" : r.header(header));
  if (!headers.is_ok()) co_return headers.status();
  std::vector<CompletedPart> parts;
  for (const CompletingPart& w : wanted) parts.push_back(w.part);
  co_return co_await gateway_.complete_upload(r.bucket, r.key, upload_id, std::move(parts), conditions_from(r),
                                              std::move(headers).value());
}

Task<Status> S3Api::abort_upload(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto parts = co_await gateway_.metadata().abort_upload(r.bucket, r.key, r.param("uploadId"));
  if (!parts.is_ok()) co_return parts.status();
  co_await r.reply->send(204, "");
  co_return Status::ok();
}

Task<Status> S3Api::list_parts(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto marker = uint_param(r, "part-number-marker", 0);
  auto max = uint_param(r, "max-parts", 1000);
  if (!marker.is_ok()) co_return marker.status();
  if (!max.is_ok()) co_return max.status();
  const std::string id = r.param("uploadId");
  auto upload = co_await gateway_.metadata().get_upload(r.bucket, r.key, id);
  if (!upload.is_ok()) co_return upload.status();
  auto l = co_await gateway_.metadata().list_upload_parts(r.bucket, r.key, id, marker.value(), max.value());
  if (!l.is_ok()) co_return l.status();
  XmlDoc doc("ListPartsResult");
  auto root = doc.root();
  add_text(root, "Bucket", r.bucket);
  add_text(root, "Key", r.key);
  add_text(root, "UploadId", id);
  add_text(root, "StorageClass", upload.value().storage_class());
  if (!upload.value().checksum_algorithm().empty()) {
    add_text(root, "ChecksumAlgorithm", upload.value().checksum_algorithm());
    add_text(root, "ChecksumType", upload.value().checksum_type());
  }
  add_text(root, "PartNumberMarker", std::to_string(marker.value()));
  if (!l.value().parts.empty()) {
    add_text(root, "NextPartNumberMarker", std::to_string(l.value().parts.back().number()));
  }
  add_text(root, "MaxParts", std::to_string(max.value()));
  add_text(root, "IsTruncated", l.value().truncated ? "true" : "false");
  for (const auto& p : l.value().parts) {
    auto node = root.append_child("Part");
    add_text(node, "PartNumber", std::to_string(p.number()));
    add_text(node, "LastModified", iso_date(static_cast<int64_t>(p.modified_ms())));
    add_text(node, "ETag", quoted(p.etag()));
    add_text(node, "Size", std::to_string(p.size()));
    add_checksum_elements(node, p.checksums(), false);
  }
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::list_uploads(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto max = uint_param(r, "max-uploads", 1000);
  if (!max.is_ok()) co_return max.status();
  ListUploadsRequest req;
  req.prefix = r.param("prefix");
  req.key_marker = r.param("key-marker");
  req.upload_id_marker = r.param("upload-id-marker");
  req.max_uploads = max.value();
  auto l = co_await gateway_.metadata().list_uploads(r.bucket, req);
  if (!l.is_ok()) co_return l.status();
  XmlDoc doc("ListMultipartUploadsResult");
  auto root = doc.root();
  add_text(root, "Bucket", r.bucket);
  add_text(root, "KeyMarker", req.key_marker);
  add_text(root, "UploadIdMarker", req.upload_id_marker);
  add_text(root, "Prefix", req.prefix);
  add_text(root, "MaxUploads", std::to_string(req.max_uploads));
  add_text(root, "IsTruncated", l.value().truncated ? "true" : "false");
  if (l.value().truncated && !l.value().uploads.empty()) {
    add_text(root, "NextKeyMarker", l.value().uploads.back().key());
    add_text(root, "NextUploadIdMarker", l.value().uploads.back().upload_id());
  }
  for (const auto& u : l.value().uploads) {
    auto node = root.append_child("Upload");
    add_text(node, "Key", u.key());
    add_text(node, "UploadId", u.upload_id());
    add_text(node, "StorageClass", u.storage_class());
    add_text(node, "Initiated", iso_date(static_cast<int64_t>(u.initiated_ms())));
  }
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

}  // namespace tessera::s3

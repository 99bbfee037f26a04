// S3 object writes: PutObject, CopyObject, DeleteObject (reads are in
// s3_get_ops.cc).
#include "core/s3/checksums.h"
#include "core/s3/object_source.h"
#include "core/s3/s3_error.h"
#include "core/s3/s3_api.h"
#include "core/s3/s3_util.h"
#include "core/s3/url_encoding.h"
#include "core/s3/tagging.h"

namespace tessera::s3 {
namespace {

// Headers stored with an object and returned by GET/HEAD.
constexpr const char* kStoredHeaders[] = {"cache-control", "content-disposition", "content-encoding",
                                          "content-language", "expires", "x-amz-checksum-crc32",
                                          "x-amz-checksum-crc32c", "x-amz-checksum-sha1",
                                          "x-amz-checksum-sha256", "x-amz-checksum-crc64nvme"};


// x-amz-copy-source-range: exactly bytes=first-last, inside the source
// (unlike a GET's Range, which is clipped to the object).
Result<ByteRange> parse_copy_range(const std::string& h, uint64_t size) {
  const size_t dash = h.find('-');
  if (h.rfind("bytes=", 0) != 0 || dash == std::string::npos) {
    return s3_status("InvalidArgument", "x-amz-copy-source-range must be bytes=first-last");
  }
  auto first = decimal(h.substr(6, dash - 6)), last = decimal(h.substr(dash + 1));
  if (!first || !last) return s3_status("InvalidArgument", "x-amz-copy-source-range must be bytes=first-last");
  if (*first > *last || *last >= size) {
    return s3_status("InvalidRange", "the copy range " + h.substr(6) + " is not inside the source's " +
                                         std::to_string(size) + " bytes");
  }
  return ByteRange{*first, *last};
}

// A Content-Encoding list without its aws-chunked token(s).
std::string without_aws_chunked(const std::string& encodings) {
  std::string out;
  for (const std::string& token : comma_list(encodings)) {
    if (token != "aws-chunked") out += (out.empty() ? "" : ",") + token;
  }
  return out;
}

}  // namespace

Status S3Api::prepare_body(S3Request& r) {
  for (const char* h : kStoredHeaders) {
    const std::string value = r.header(h);
    auto checksum = BodyChecksum::for_header(h);
    if (value.empty() || !checksum) continue;
    auto raw = base64_decode(value);
    if (!raw || raw->size() != checksum->finish().size()) {
      return s3_status("InvalidRequest", std::string("value for ") + h + " header is invalid");
    }
    r.body->checks().expect_checksum(BodyChecksum::for_header(h), *raw);
  }
  const std::string md5 = r.header("content-md5");
  if (md5.empty() && r.has_header("content-md5")) {
    return s3_status("InvalidDigest", "the Content-MD5 you specified is empty");
  }
  if (!md5.empty()) {
    auto raw = base64_decode(md5);
    if (!raw || raw->size() != 16) return s3_status("InvalidDigest", "the Content-MD5 you specified is not valid");
    r.body->checks().expect_md5(*raw);
  }
  return Status::ok();
}

Task<Result<std::string>> S3Api::read_xml_body(S3Request& r) {
  if (Status s = prepare_body(r); !s.is_ok()) co_return s;
  co_return co_await read_all(r, config_.xml_body_bytes_max);
}

Result<ObjectAttributes> attributes_from(const S3Request& r) {
  ObjectAttributes a;
  a.set_content_type(r.header("content-type").empty() ? "binary/octet-stream" : r.header("content-type"));
  for (const auto& [name, value] : r.headers) {
    if (name.rfind("x-amz-meta-", 0) == 0) {
      auto* e = a.add_user_metadata();
      e->set_name(name.substr(11));
      e->set_value(value);
    }
  }
  for (const char* h : kStoredHeaders) {
    std::string v = r.header(h);
    // aws-chunked is how the body travelled, not how it is stored.
    if (std::string_view(h) == "content-encoding") v = without_aws_chunked(v);
    if (v.empty()) continue;
    auto* e = a.add_headers();
    e->set_name(h);
    e->set_value(v);
  }
  auto public_read = canned_acl_public(r.header("x-amz-acl"));
  if (!public_read.is_ok()) return public_read.status();
  a.set_public_read(public_read.value());
  a.set_storage_class(r.header("x-amz-storage-class"));
  auto tags = tags_from_header(r.header("x-amz-tagging"));
  if (!tags.is_ok()) return tags.status();
  *a.mutable_tags() = std::move(tags).value();
  return a;
}

// The body's length as the client declared it (decoded, for aws-chunked).
uint64_t declared_length(const S3Request& r) {
  std::string v = r.header("x-amz-decoded-content-length");
  if (v.empty()) v = r.header("content-length");
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(v);
}

CommitConditions conditions_from(const S3Request& r) {
  CommitConditions c;
  c.if_none_match_any = r.header("if-none-match") == "*";
  if (!r.header("if-match").empty()) c.if_match = unquoted(r.header("if-match"));
  return c;
}

void set_version_header(S3Request& r, const proto::ObjectVersion& v) {
  if (!v.version_id().empty() && v.version_id() != kNullVersionId) r.reply->set_header("x-amz-version-id", v.version_id());
}

Task<Status> S3Api::put_object(S3Request& r) {
  proto::BucketRecord bucket;
  if (Status s = co_await authorize_bucket(r, false, &bucket); !s.is_ok()) co_return s;
  if (!r.body_framed) co_return s3_status("MissingContentLength", "PUT needs a Content-Length");
  if (declared_length(r) > config_.put_bytes_max) {
    co_return s3_status("EntityTooLarge", "a single PUT is at most 5 GiB; use a multipart upload");
  }
  if (Status s = prepare_body(r); !s.is_ok()) co_return s;
  auto attrs = attributes_from(r);
  if (!attrs.is_ok()) co_return attrs.status();
  auto v = co_await gateway_.put_object(bucket, r.key, *r.body, conditions_from(r), std::move(attrs).value());
  if (!v.is_ok()) co_return v.status();
  r.reply->set_header("ETag", quoted(v.value().etag()));
  set_version_header(r, v.value());
  for (const auto& h : v.value().headers()) {
    if (h.name().rfind("x-amz-checksum-", 0) == 0) r.reply->set_header(h.name(), h.value());
  }
  co_await r.reply->send(200, "");
  co_return Status::ok();
}

Task<Result<proto::ObjectVersion>> S3Api::copy_source(S3Request& r, std::optional<ByteRange>* range) {
  std::string src = r.header("x-amz-copy-source");
  std::string version_id;
  if (const size_t q = src.find("?versionId="); q != std::string::npos) {
    version_id = src.substr(q + 11);
    src = src.substr(0, q);
  }
  auto decoded = uri_decode(src);
  if (!decoded) co_return s3_status("InvalidArgument", "x-amz-copy-source is not valid percent-encoding");
  std::string path = *decoded;
  if (!path.empty() && path[0] == '/') path = path.substr(1);
  const size_t slash = path.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) {
    co_return s3_status("InvalidArgument", "x-amz-copy-source must be bucket/key");
  }
  S3Request source;
  source.op = S3Op::kGetObject;
  source.bucket = path.substr(0, slash);
  source.key = path.substr(slash + 1);
  source.access_key = r.access_key;
  if (Status s = co_await authorize_bucket(source, false, nullptr); !s.is_ok()) co_return s;
  auto v = co_await gateway_.head_object(source.bucket, source.key, version_id);
  if (!v.is_ok()) co_return v.status();
  const std::string match = r.header("x-amz-copy-source-if-match");
  if (!match.empty() && unquoted(match) != v.value().etag()) {
    co_return s3_status("PreconditionFailed", "x-amz-copy-source-if-match does not hold");
  }
  const std::string none = r.header("x-amz-copy-source-if-none-match");
  if (!none.empty() && unquoted(none) == v.value().etag()) {
    co_return s3_status("PreconditionFailed", "x-amz-copy-source-if-none-match does not hold");
  }
  if (range) {
    const std::string h = r.header("x-amz-copy-source-range");
    if (!h.empty()) {
      auto parsed = parse_copy_range(h, v.value().size());
      if (!parsed.is_ok()) co_return parsed.status();
      *range = parsed.value();
    }
  }
  co_return v;
}

// What CopyObject stores besides the bytes: the source's content type,
// metadata and stored headers, or the request's with
// x-amz-metadata-directive REPLACE; the source's tags, or x-amz-tagging's
// with x-amz-tagging-directive REPLACE.
static Result<ObjectAttributes> copy_attributes(const S3Request& r, const proto::ObjectVersion& from) {
  const std::string metadata = r.header("x-amz-metadata-directive"), tagging = r.header("x-amz-tagging-directive");
  if (!metadata.empty() && metadata != "COPY" && metadata != "REPLACE") {
    return s3_status("InvalidArgument", "x-amz-metadata-directive must be COPY or REPLACE");
  }
  if (!tagging.empty() && tagging != "COPY" && tagging != "REPLACE") {
    return s3_status("InvalidArgument", "x-amz-tagging-directive must be COPY or REPLACE");
  }
  auto attrs = attributes_from(r);
  if (!attrs.is_ok()) return attrs.status();
  ObjectAttributes a = std::move(attrs).value();
  if (metadata != "REPLACE") {
    a.set_content_type(from.content_type());
    *a.mutable_user_metadata() = from.user_metadata();
    *a.mutable_headers() = from.headers();
  }
  if (tagging != "REPLACE") *a.mutable_tags() = from.tags();
  // Checksums describe the bytes, which a copy keeps: the source's
  // full-object ones carry over (a composite one names parts the copy does
  // not have); the request's own describe its empty body.
  drop_checksum_headers(a);
  if (r.header("x-amz-checksum-algorithm").empty()) {
    for (const auto& h : from.headers()) {
      if (checksum_element(h.name()) != nullptr && h.value().find('-') == std::string::npos) {
        *a.add_headers() = h;
      }
    }
  }
  return a;
}

void drop_checksum_headers(ObjectAttributes& a) {
  auto* headers = a.mutable_headers();
  headers->erase(std::remove_if(headers->begin(), headers->end(),
                                [](const auto& h) { return h.name().rfind("x-amz-checksum-", 0) == 0; }),
                 headers->end());
}

Task<void> send_copy_result(S3Request& r, const char* root, uint64_t modified_ms, const std::string& etag,
                            const google::protobuf::RepeatedPtrField<proto::MetadataEntry>& checksums) {
  XmlDoc doc(root);
  add_text(doc.root(), "LastModified", iso_date(static_cast<int64_t>(modified_ms)));
  add_text(doc.root(), "ETag", quoted(etag));
  add_checksum_elements(doc.root(), checksums, false);
  co_await r.reply->send(200, doc.str());
}

Task<Status> S3Api::copy_object(S3Request& r) {
  proto::BucketRecord bucket;
  if (Status s = co_await authorize_bucket(r, false, &bucket); !s.is_ok()) co_return s;
  auto src = co_await copy_source(r, nullptr);
  if (!src.is_ok()) co_return src.status();
  const proto::ObjectVersion& from = src.value();
  const bool onto_itself = from.bucket() == r.bucket && from.key() == r.key &&
                           r.header("x-amz-copy-source").find("versionId=") == std::string::npos;
  if (onto_itself && r.header("x-amz-metadata-directive") != "REPLACE" &&
      r.header("x-amz-tagging-directive") != "REPLACE" && r.header("x-amz-storage-class").empty()) {
    co_return s3_status("InvalidRequest",
                        "This copy request is illegal because it is trying to copy an object to itself without "
                        "changing the object's metadata, storage class, website redirect location or encryption "
                        "attributes.");
  }
  auto attrs = copy_attributes(r, from);
  if (!attrs.is_ok()) co_return attrs.status();
  // x-amz-checksum-algorithm: the copy gets that checksum, computed.
  const std::string algorithm = r.header("x-amz-checksum-algorithm");
  const std::string wanted = checksum_header_for(algorithm);
  if (!algorithm.empty() && wanted.empty()) {
    co_return s3_status("InvalidRequest", "Value for x-amz-checksum-algorithm header is invalid.");
  }
  ObjectSource source(gateway_, from, ByteRange{0, from.size() == 0 ? 0 : from.size() - 1});
  ChecksummedSource body(source);
  if (!wanted.empty()) body.checks().compute(BodyChecksum::for_header(wanted));
  auto v = co_await gateway_.put_object(bucket, r.key, body, conditions_from(r), std::move(attrs).value());
  if (!v.is_ok()) co_return v.status();
  set_version_header(r, v.value());
  co_await send_copy_result(r, "CopyObjectResult", v.value().modified_ms(), v.value().etag(), v.value().headers());
  co_return Status::ok();
}

Task<Status> S3Api::delete_object(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto d = co_await gateway_.delete_object(r.bucket, r.key, r.param("versionId"));
  if (!d.is_ok()) co_return d.status();
  if (d.value().delete_marker) r.reply->set_header("x-amz-delete-marker", "true");
  if (!d.value().version_id.empty() && d.value().version_id != kNullVersionId) {
    r.reply->set_header("x-amz-version-id", d.value().version_id);
  }
  co_await r.reply->send(204, "");
  co_return Status::ok();
}

}  // namespace tessera::s3

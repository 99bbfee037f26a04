#include "core/s3/s3_api.h"

#include <algorithm>

#include "core/s3/s3_error.h"
#include "core/s3/s3_util.h"

namespace tessera::s3 {

bool S3Request::has(const std::string& q) const {
  return std::any_of(query.begin(), query.end(), [&](const auto& kv) { return kv.first == q; });
}
std::string S3Request::param(const std::string& q) const {
  for (const auto& [k, v] : query) {
    if (k == q) return v;
  }
  return "";
}
bool S3Request::has_header(const std::string& name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& kv) { return kv.first == name; });
}
std::string S3Request::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  // Presigners may hoist x-amz-* headers into the (signed) query string.
  if (name.rfind("x-amz-", 0) != 0) return "";
  for (const auto& [k, v] : query) {
    if (equal_ignoring_case(k, name)) return v;
  }
  return "";
}

namespace {

constexpr size_t kKeyBytesMax = 1024;

bool valid_bucket_name(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(b.front()) && alnum(b.back()) && b.find("..") == std::string::npos;
}

// Anonymous requests may only read: an object its ACL makes public, or
// the listing of a public-read bucket (checked by the operation).
bool anonymous_may_try(S3Op op) {
  return op == S3Op::kGetObject || op == S3Op::kHeadObject || op == S3Op::kListObjects;
}

}  // namespace

S3Api::S3Api(Runtime& rt, ObjectGateway& gateway, S3ApiConfig config)
    : rt_(rt), gateway_(gateway), config_(std::move(config)) {}

Task<Status> S3Api::handle(S3Request& r) {
  ASSERT(r.reply != nullptr && r.body != nullptr);
  // Routing decided the operation and read no state: a request that names
  // none reaches nothing.
  if (r.op == S3Op::kNone) co_return s3_status("NotImplemented", "the request names no S3 operation");
  if (Status s = check_names(r); !s.is_ok()) co_return s;
  if (r.access_key.empty() && !anonymous_may_try(r.op)) {
    co_return s3_status("AccessDenied", "anonymous access is not allowed here; sign the request with SigV4");
  }
  co_return co_await dispatch(r);
}

Status S3Api::check_names(const S3Request& r) const {
  if (!r.bucket.empty() && !valid_bucket_name(r.bucket)) {
    const std::string method = op_method(r.op);
    if (method != "GET" && method != "HEAD") {
      return s3_status("InvalidBucketName", "bucket names are 3-63 characters of a-z, 0-9, '.' and '-'");
    }
    return s3_status("NoSuchBucket", "no bucket " + r.bucket);
  }
  if (r.key.size() > kKeyBytesMax) return s3_status("KeyTooLongError", "keys are at most 1024 bytes");
  return Status::ok();
}

Task<Status> S3Api::authorize_bucket(S3Request& r, bool anonymous_read_ok, proto::BucketRecord* out) {
  auto b = co_await gateway_.metadata().get_bucket(r.bucket);
  if (!b.is_ok()) co_return b.status();
  if (r.access_key.empty()) {
    if (!(anonymous_read_ok && b.value().public_read())) {
      co_return s3_status("AccessDenied", "anonymous access is not allowed here");
    }
  } else if (b.value().owner() != r.access_key) {
    co_return s3_status("AccessDenied", "bucket " + r.bucket + " belongs to another user");
  }
  if (out) *out = std::move(b).value();
  co_return Status::ok();
}

Task<Status> S3Api::dispatch(S3Request& r) {
  switch (r.op) {
    case S3Op::kListBuckets:
      co_return co_await list_buckets(r);
    case S3Op::kCreateBucket:
      co_return co_await create_bucket(r);
    case S3Op::kDeleteBucket:
      co_return co_await delete_bucket(r);
    case S3Op::kHeadBucket:
      co_return co_await head_bucket(r);
    case S3Op::kGetBucketLocation:
      co_return co_await get_location(r);
    case S3Op::kGetBucketVersioning:
      co_return co_await get_versioning(r);
    case S3Op::kPutBucketVersioning:
      co_return co_await put_versioning(r);
    case S3Op::kGetBucketAcl:
    case S3Op::kGetObjectAcl:
      co_return co_await get_acl(r);
    case S3Op::kPutBucketAcl:
    case S3Op::kPutObjectAcl:
      co_return co_await put_acl(r);
    case S3Op::kListObjects:
      co_return co_await list_objects(r);
    case S3Op::kListObjectVersions:
      co_return co_await list_versions(r);
    case S3Op::kListMultipartUploads:
      co_return co_await list_uploads(r);
    case S3Op::kDeleteObjects:
      co_return co_await delete_objects(r);
    case S3Op::kPutObject:
      co_return co_await put_object(r);
    case S3Op::kCopyObject:
      co_return co_await copy_object(r);
    case S3Op::kGetObject:
      co_return co_await get_object(r, false);
    case S3Op::kHeadObject:
      co_return co_await get_object(r, true);
    case S3Op::kDeleteObject:
      co_return co_await delete_object(r);
    case S3Op::kCreateMultipartUpload:
      co_return co_await create_upload(r);
    case S3Op::kUploadPart:
    case S3Op::kUploadPartCopy:
      co_return co_await upload_part(r);
    case S3Op::kCompleteMultipartUpload:
      co_return co_await complete_upload(r);
    case S3Op::kAbortMultipartUpload:
      co_return co_await abort_upload(r);
    case S3Op::kListParts:
      co_return co_await list_parts(r);
    case S3Op::kGetBucketTagging:
    case S3Op::kGetObjectTagging:
      co_return co_await get_tagging(r);
    case S3Op::kPutBucketTagging:
    case S3Op::kPutObjectTagging:
      co_return co_await put_tagging(r);
    case S3Op::kDeleteBucketTagging:
    case S3Op::kDeleteObjectTagging:
      co_return co_await delete_tagging(r);
    case S3Op::kGetObjectAttributes:
      co_return co_await get_object_attributes(r);
    case S3Op::kNone:
      break;
  }
  ASSERT(false && "a routed operation without a handler");
  co_return s3_status("InternalError", "no handler for the operation");
}

Task<Result<std::string>> S3Api::read_all(S3Request& r, size_t max) {
  constexpr size_t kReadChunkBytes = 64u << 10;
  std::string all;
  for (;;) {
    auto chunk = co_await r.body->read(kReadChunkBytes);
    if (!chunk.is_ok()) co_return chunk.status();
    if (chunk.value().empty()) co_return all;
    all += chunk.value();
    if (all.size() > max) {
      co_return s3_status("MaxMessageLengthExceeded", "the request body is over " + std::to_string(max) + " bytes");
    }
  }
}

}  // namespace tessera::s3

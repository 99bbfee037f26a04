#include "prod/s3/s3_service.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <cstdio>

#include "prod/s3/aws_chunked.h"
#include "prod/s3/s3_error.h"
#include "prod/s3/s3_routes.h"
#include "prod/s3/sigv2.h"
#include "prod/s3/sigv4.h"

namespace tessera::prod::s3 {

bool S3Request::has(const std::string& q) const {
  for (const auto& [k, v] : query) {
    if (k == q) return true;
  }
  return false;
}
std::string S3Request::param(const std::string& q) const {
  for (const auto& [k, v] : query) {
    if (k == q) return v;
  }
  return "";
}
std::string S3Request::header(const std::string& name) const {
  auto found = x.request().find(name);
  if (found != x.request().end()) return std::string(found->value());
  // Presigners may hoist x-amz-* headers into the (signed) query string.
  if (name.rfind("x-amz-", 0) != 0) return "";
  for (const auto& [k, v] : query) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return v;
    }
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

// Splits the target into path and decoded query pairs.
Status parse_target(std::string_view target, std::string* raw_path,
                    std::vector<std::pair<std::string, std::string>>* query) {
  const size_t q = target.find('?');
  *raw_path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return Status::ok();
  auto pairs = parse_form(target.substr(q + 1));
  if (!pairs) return s3_status("InvalidArgument", "malformed query string");
  *query = std::move(*pairs);
  return Status::ok();
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

S3Service::S3Service(Runtime& rt, ObjectGateway& gateway, S3Config config)
    : rt_(rt), gateway_(gateway), config_(std::move(config)) {}

Task<void> S3Service::serve(HttpExchange& x, std::string request_id) {
  const int64_t start = rt_.now().us;
  x.set_header("x-amz-request-id", request_id);
  const auto& req = x.request();
  S3Request r{x, std::string(req.method_string()), "", "", {}, "", request_id, &x.body()};
  std::unique_ptr<AwsChunkedSource> chunked;
  std::string op = "unknown";
  std::string raw_path;
  Status s = parse_target(std::string_view(req.target().data(), req.target().size()), &raw_path, &r.query);
  std::optional<std::string> path = uri_decode(raw_path);
  if (s.is_ok() && !path) s = s3_status("InvalidURI", "the path is not valid percent-encoding");
  if (s.is_ok()) {
    const std::string virtual_bucket = address(r, *path);
    s = authenticate(r, raw_path, virtual_bucket, &chunked);
  }
  if (s.is_ok()) s = check_names(r);
  if (s.is_ok()) s = co_await dispatch(r, op);
  if (!s.is_ok() && !x.sent()) {
    const S3Error e = to_s3_error(s);
    const std::string body = r.method == "HEAD" || e.http_status == 304 ? "" : error_xml(e, raw_path, request_id);
    co_await x.send(e.http_status, body);
  }
  record(r, op, s, rt_.now().us - start);
}

std::string S3Service::address(S3Request& r, const std::string& path) const {
  // Virtual-hosted style: the bucket is the Host's first label.
  std::string host = r.header("host");
  host = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size() : host.rfind(':'));
  const std::string suffix = "." + config_.domain;
  const std::string rest = path.empty() ? "/" : path;
  if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
    r.bucket = host.substr(0, host.size() - suffix.size());
    r.key = rest.substr(1);
    return r.bucket;
  }
  const size_t slash = rest.find('/', 1);
  r.bucket = rest.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  r.key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return "";
}

Status S3Service::authenticate(S3Request& r, const std::string& raw_path, const std::string& virtual_bucket,
                               std::unique_ptr<AwsChunkedSource>* chunked) {
  SignedRequest signed_request{r.method, raw_path, r.query, {}};
  for (const auto& f : r.x.request()) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    signed_request.headers[name] = std::string(f.value());
  }
  if (!has_sigv2(signed_request) && !has_signature(signed_request)) return Status::ok();  // anonymous
  const SecretLookup secret_for = [this](const std::string& key) -> std::optional<std::string> {
    auto found = config_.users.find(key);
    if (found == config_.users.end()) return std::nullopt;
    return found->second;
  };
  const int64_t now_s = rt_.unix_ms() / 1000;
  auto auth = has_sigv2(signed_request) ? verify_sigv2(signed_request, virtual_bucket, secret_for, now_s)
                                        : verify_sigv4(signed_request, secret_for, now_s);
  if (!auth.is_ok()) return auth.status();
  r.access_key = auth.value().access_key;
  const std::string& hash = auth.value().payload_hash;
  if (hash.rfind("STREAMING-", 0) == 0) return decode_chunked(r, auth.value(), chunked);
  if (hash == "UNSIGNED-PAYLOAD") return Status::ok();
  auto raw = from_hex(hash);
  if (!raw || raw->size() != 32) {
    return s3_status("InvalidArgument", "x-amz-content-sha256 must be a hex SHA-256 or UNSIGNED-PAYLOAD");
  }
  r.x.body().checks().expect_sha256(*raw);
  return Status::ok();
}

// An aws-chunked body (STREAMING-* payload): the body is read through its
// decoder, which checks chunk signatures and the trailer.
Status S3Service::decode_chunked(S3Request& r, const AuthResult& auth, std::unique_ptr<AwsChunkedSource>* chunked) {
  const std::string& hash = auth.payload_hash;
  const bool signed_chunks =
      hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" || hash == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
  const std::string decoded = r.header("x-amz-decoded-content-length");
  if (!signed_chunks && hash != "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    return s3_status("NotImplemented", hash + " is not supported");
  }
  if (!r.header("x-amz-trailer").empty() && !BodyChecksum::for_header(r.header("x-amz-trailer"))) {
    return s3_status("InvalidRequest", "x-amz-trailer names an unsupported checksum: " + r.header("x-amz-trailer"));
  }
  if (decoded.empty() || decoded.size() > 19 || decoded.find_first_not_of("0123456789") != std::string::npos) {
    return s3_status("MissingContentLength", "aws-chunked bodies need x-amz-decoded-content-length");
  }
  *chunked = std::make_unique<AwsChunkedSource>(r.x.body(), auth, signed_chunks, std::stoull(decoded),
                                                r.header("x-amz-trailer"));
  r.body = chunked->get();
  return Status::ok();
}

Status S3Service::check_names(const S3Request& r) const {
  if (!r.bucket.empty() && !valid_bucket_name(r.bucket)) {
    if (r.method != "GET" && r.method != "HEAD") {
      return s3_status("InvalidBucketName", "bucket names are 3-63 characters of a-z, 0-9, '.' and '-'");
    }
    return s3_status("NoSuchBucket", "no bucket " + r.bucket);
  }
  if (r.key.size() > kKeyBytesMax) return s3_status("KeyTooLongError", "keys are at most 1024 bytes");
  return Status::ok();
}

// Metrics for every request; a log line for server errors, or for every
// request when log_requests.
void S3Service::record(S3Request& r, const std::string& op, const Status& s, int64_t micros) {
  HttpExchange& x = r.x;
  metrics_.record(op, x.status(), micros, x.body().bytes_read(), x.bytes_out());
  // A request outside the routing table is the client's, not a server error.
  const bool server_error = x.status() >= 500 && x.status() != 501;
  if (!config_.log_requests && x.status() < 500) return;
  std::fprintf(stderr,
               "{\"level\":\"%s\",\"request_id\":\"%s\",\"op\":\"%s\",\"status\":%u,\"bucket\":%s,\"key\":%s,"
               "\"ms\":%.3f,\"bytes_in\":%llu,\"bytes_out\":%llu,\"error\":%s}\n",
               server_error ? "error" : "info", r.request_id.c_str(), op.c_str(), x.status(),
               json_string(r.bucket).c_str(), json_string(r.key).c_str(), static_cast<double>(micros) / 1000.0,
               static_cast<unsigned long long>(x.body().bytes_read()), static_cast<unsigned long long>(x.bytes_out()),
               json_string(s.is_ok() ? "" : s.to_string()).c_str());
}

Task<Status> S3Service::authorize_bucket(S3Request& r, bool anonymous_read_ok, proto::BucketRecord* out) {
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

Task<Status> S3Service::dispatch(S3Request& r, std::string& op) {
  // Routing reads no state: a request outside the table reaches nothing.
  const Route route = s3::route(
      RouteInput{r.method, !r.bucket.empty(), !r.key.empty(), &r.query, !r.header("x-amz-copy-source").empty()});
  op = route.name;
  if (route.op == S3Op::kNone) co_return route.refusal;
  if (route.op == S3Op::kListObjects && r.has("list-type")) {
    if (r.param("list-type") != "2") co_return s3_status("InvalidArgument", "list-type must be 2");
    op = "ListObjectsV2";
  }
  // Anonymous requests may only read: an object its ACL makes public, or
  // the listing of a public-read bucket (checked by the operation).
  const bool anonymous_read = route.op == S3Op::kGetObject || route.op == S3Op::kHeadObject ||
                              route.op == S3Op::kListObjects;
  if (r.access_key.empty() && !anonymous_read) {
    co_return s3_status("AccessDenied", "anonymous access is not allowed here; sign the request with SigV4");
  }
  switch (route.op) {
    case S3Op::kListBuckets: co_return co_await list_buckets(r);
    case S3Op::kCreateBucket: co_return co_await create_bucket(r);
    case S3Op::kDeleteBucket: co_return co_await delete_bucket(r);
    case S3Op::kHeadBucket: co_return co_await head_bucket(r);
    case S3Op::kGetBucketLocation: co_return co_await get_location(r);
    case S3Op::kGetBucketVersioning: co_return co_await get_versioning(r);
    case S3Op::kPutBucketVersioning: co_return co_await put_versioning(r);
    case S3Op::kGetBucketAcl:
    case S3Op::kGetObjectAcl: co_return co_await get_acl(r);
    case S3Op::kPutBucketAcl:
    case S3Op::kPutObjectAcl: co_return co_await put_acl(r);
    case S3Op::kListObjects: co_return co_await list_objects(r, op == "ListObjectsV2");
    case S3Op::kListObjectVersions: co_return co_await list_versions(r);
    case S3Op::kListMultipartUploads: co_return co_await list_uploads(r);
    case S3Op::kDeleteObjects: co_return co_await delete_objects(r);
    case S3Op::kPutObject: co_return co_await put_object(r);
    case S3Op::kCopyObject: co_return co_await copy_object(r);
    case S3Op::kGetObject: co_return co_await get_object(r, false);
    case S3Op::kHeadObject: co_return co_await get_object(r, true);
    case S3Op::kDeleteObject: co_return co_await delete_object(r);
    case S3Op::kCreateMultipartUpload: co_return co_await create_upload(r);
    case S3Op::kUploadPart:
    case S3Op::kUploadPartCopy: co_return co_await upload_part(r);
    case S3Op::kCompleteMultipartUpload: co_return co_await complete_upload(r);
    case S3Op::kAbortMultipartUpload: co_return co_await abort_upload(r);
    case S3Op::kListParts: co_return co_await list_parts(r);
    case S3Op::kGetBucketTagging:
    case S3Op::kGetObjectTagging: co_return co_await get_tagging(r);
    case S3Op::kPutBucketTagging:
    case S3Op::kPutObjectTagging: co_return co_await put_tagging(r);
    case S3Op::kDeleteBucketTagging:
    case S3Op::kDeleteObjectTagging: co_return co_await delete_tagging(r);
    case S3Op::kGetObjectAttributes: co_return co_await get_object_attributes(r);
    case S3Op::kNone: break;
  }
  ASSERT(false && "a routed operation without a handler");
  co_return s3_status("InternalError", "no handler for " + op);
}

}  // namespace tessera::prod::s3

#include "prod/s3/s3_service.h"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <cstdio>

#include "core/s3/s3_error.h"
#include "core/s3/s3_routes.h"
#include "prod/s3/aws_chunked.h"
#include "prod/s3/sigv2.h"
#include "prod/s3/sigv4.h"

namespace tessera::prod::s3 {
namespace {

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

// The request's headers with lower-case names, in the order sent.
std::vector<std::pair<std::string, std::string>> lower_case_headers(const HttpExchange& x) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : x.request()) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(name), std::string(f.value()));
  }
  return out;
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
    : rt_(rt),
      config_(std::move(config)),
      api_(rt, gateway, S3ApiConfig{config_.region, config_.put_bytes_max, config_.xml_body_bytes_max}) {}

Task<void> S3Service::serve(HttpExchange& x, std::string request_id) {
  const int64_t start = rt_.now().us;
  x.set_header("x-amz-request-id", request_id);
  const auto& req = x.request();
  const std::string method(req.method_string());
  S3Request r;
  r.headers = lower_case_headers(x);
  r.request_id = request_id;
  r.body = &x.body();
  r.body_framed = req.has_content_length() || req.chunked();
  r.reply = &x;
  std::unique_ptr<AwsChunkedSource> chunked;
  std::string op = "unknown";
  std::string raw_path;
  Status s = parse_target(std::string_view(req.target().data(), req.target().size()), &raw_path, &r.query);
  std::optional<std::string> path = uri_decode(raw_path);
  if (s.is_ok() && !path) s = s3_status("InvalidURI", "the path is not valid percent-encoding");
  std::string virtual_bucket;
  if (s.is_ok()) virtual_bucket = address(r, *path);
  if (s.is_ok()) s = authenticate(r, x, raw_path, virtual_bucket, &chunked);
  // Routing reads no state: a request outside the table reaches nothing.
  if (s.is_ok()) s = route_request(r, method, &op);
  if (s.is_ok()) s = co_await api_.handle(r);
  if (!s.is_ok() && !x.sent()) {
    const S3Error e = to_s3_error(s);
    const std::string body = method == "HEAD" || e.http_status == 304 ? "" : error_xml(e, raw_path, request_id);
    co_await x.send(e.http_status, body);
  }
  record(r, x, op, s, rt_.now().us - start);
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

Status S3Service::route_request(S3Request& r, const std::string& method, std::string* op_name) const {
  const Route route = s3::route(
      RouteInput{method, !r.bucket.empty(), !r.key.empty(), &r.query, !r.header("x-amz-copy-source").empty()});
  *op_name = route.name;
  if (route.op == S3Op::kNone) return route.refusal;
  if (route.op == S3Op::kListObjects && r.param("list-type") == "2") *op_name = "ListObjectsV2";
  r.op = route.op;
  return Status::ok();
}

Status S3Service::authenticate(S3Request& r, HttpExchange& x, const std::string& raw_path,
                               const std::string& virtual_bucket, std::unique_ptr<AwsChunkedSource>* chunked) {
  SignedRequest signed_request{std::string(x.request().method_string()), raw_path, r.query, {}};
  for (const auto& [name, value] : r.headers) signed_request.headers[name] = value;
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
  if (hash.rfind("STREAMING-", 0) == 0) return decode_chunked(r, x, auth.value(), chunked);
  if (hash == "UNSIGNED-PAYLOAD") return Status::ok();
  auto raw = from_hex(hash);
  if (!raw || raw->size() != 32) {
    return s3_status("InvalidArgument", "x-amz-content-sha256 must be a hex SHA-256 or UNSIGNED-PAYLOAD");
  }
  x.body().checks().expect_sha256(*raw);
  return Status::ok();
}

// An aws-chunked body (STREAMING-* payload): the body is read through its
// decoder, which checks chunk signatures and the trailer.
Status S3Service::decode_chunked(S3Request& r, HttpExchange& x, const AuthResult& auth,
                                 std::unique_ptr<AwsChunkedSource>* chunked) {
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
  *chunked = std::make_unique<AwsChunkedSource>(x.body(), auth, signed_chunks, std::stoull(decoded),
                                                r.header("x-amz-trailer"));
  r.body = chunked->get();
  return Status::ok();
}

// Metrics for every request; a log line for server errors, or for every
// request when log_requests.
void S3Service::record(const S3Request& r, HttpExchange& x, const std::string& op, const Status& s, int64_t micros) {
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

}  // namespace tessera::prod::s3

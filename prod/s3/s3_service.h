// The S3 API over HTTP: turns each request into core's S3Request
// (path-style and virtual-hosted addressing, routing, SigV4/SigV2,
// aws-chunked bodies), hands it to the one entrance (core/s3/s3_api.h),
// answers errors as S3's XML, and keeps the metrics and the log line. One
// S3Service serves every connection of a process, on the event loop.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/s3/s3_api.h"
#include "prod/s3/http_exchange.h"
#include "prod/s3/metrics.h"

namespace tessera::prod::s3 {

class AwsChunkedSource;  // aws_chunked.h
struct AuthResult;       // sigv4.h

struct S3Config {
  std::map<std::string, std::string> users;  // access key -> secret
  std::string region = "us-east-1";
  // Virtual-hosted-style requests: Host "<bucket>.<domain>".
  std::string domain = "localhost";
  uint64_t put_bytes_max = 5ull << 30;  // single PUT / part: S3's 5 GiB
  size_t xml_body_bytes_max = 1u << 20;
  // Every request is logged (one JSON line on stderr) when true; otherwise
  // only server errors (5xx).
  bool log_requests = false;
};

// A JSON string literal of s (quotes included), for log lines.
std::string json_string(std::string_view s);

class S3Service {
 public:
  S3Service(Runtime& rt, ObjectGateway& gateway, S3Config config);

  // Serves one request; the response is always sent unless the client is gone.
  Task<void> serve(HttpExchange& x, std::string request_id);
  Metrics& metrics() { return metrics_; }

 private:
  // The steps of serve(): bucket and key from Host and path (returns the
  // virtual-hosted bucket, "" for path style); the routing table; the
  // signature and how the body is read; metrics and the log line.
  std::string address(S3Request& r, const std::string& path) const;
  Status route_request(S3Request& r, const std::string& method, std::string* op_name) const;
  Status authenticate(S3Request& r, HttpExchange& x, const std::string& raw_path, const std::string& virtual_bucket,
                      std::unique_ptr<AwsChunkedSource>* chunked);
  Status decode_chunked(S3Request& r, HttpExchange& x, const AuthResult& auth,
                        std::unique_ptr<AwsChunkedSource>* chunked);
  void record(const S3Request& r, HttpExchange& x, const std::string& op, const Status& s, int64_t micros);

  Runtime& rt_;
  S3Config config_;
  S3Api api_;
  Metrics metrics_;
};

}  // namespace tessera::prod::s3

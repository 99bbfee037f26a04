// AWS Signature Version 4 for S3: verifies the Authorization header form
// and presigned query strings. Signatures are compared in constant time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/s3/url_encoding.h"
#include "io_abstraction/status.h"
#include "prod/s3/core_s3.h"

namespace tessera::prod::s3 {

// What the verifier needs of a request; names are lower-case.
struct SignedRequest {
  std::string method;
  std::string raw_path;                          // as sent, percent-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order sent
  std::map<std::string, std::string> headers;    // lower-case names
};

struct AuthResult {
  std::string access_key;
  // The payload hash the client signed: hex SHA-256, "UNSIGNED-PAYLOAD" or
  // a STREAMING-* marker. The body must be checked against it.
  std::string payload_hash;
  // What aws-chunked chunk signatures chain from.
  std::string signing_key;  // raw HMAC key
  std::string scope;        // date/region/service/aws4_request
  std::string amz_date;
  std::string signature;    // the request's (the seed signature), hex
};

// The signature of one aws-chunked chunk (or, with "AWS4-HMAC-SHA256-TRAILER"
// and the trailer's hash, of the trailer), chained from previous (hex).
std::string chunk_signature(const AuthResult& auth, const std::string& algorithm, const std::string& previous,
                            const std::string& payload_sha256_hex);

// secret_for(access_key) -> secret, or nullopt for an unknown key.
using SecretLookup = std::function<std::optional<std::string>(const std::string&)>;

// now_unix_s: the server's clock. Errors carry S3 reasons:
// AccessDenied (no or malformed auth, expired), InvalidAccessKeyId,
// SignatureDoesNotMatch, RequestTimeTooSkewed, AuthorizationQueryParametersError.
Result<AuthResult> verify_sigv4(const SignedRequest& request, const SecretLookup& secret_for, int64_t now_unix_s);

// True when the request carries any signature (header or query).
bool has_signature(const SignedRequest& request);

// Limits V4 and V2 share: the clock skew a signed request may have, and
// how far ahead a presigned URL may expire.
inline constexpr int64_t kClockSkewMaxS = 15 * 60;
inline constexpr int64_t kPresignExpiresMaxS = 7 * 24 * 3600;

// The first value of query parameter name; nullptr when absent.
const std::string* query_value(const SignedRequest& request, const std::string& name);

// An authentication failure with its S3 reason (kFailedPrecondition).
Status auth_denied(std::string message, std::string reason = "AccessDenied");
bool equal_constant_time(const std::string& a, const std::string& b);

// For clients and tests: the Authorization header value for a request.
std::string sign_for_test(const SignedRequest& request, const std::string& access_key, const std::string& secret,
                          const std::string& amz_date, const std::string& region,
                          const std::vector<std::string>& signed_headers);

}  // namespace tessera::prod::s3

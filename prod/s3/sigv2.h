// AWS Signature Version 2 for S3, as aws-cli 1.x presigns, s3cmd signurl
// and older SDKs sign: "Authorization: AWS <key>:<signature>" and presigned
// query strings (AWSAccessKeyId, Signature, Expires). The signature is
// base64 HMAC-SHA1 over the string to sign of the S3 documentation:
//   VERB \n Content-MD5 \n Content-Type \n Date (or Expires) \n
//   x-amz-* headers, sorted, "name:value\n" each
//   /bucket/key, then the sub-resources named in the query, sorted.
// Same users, clock-skew and expiry limits, constant-time comparison as V4.
#pragma once

#include <cstdint>
#include <string>

#include "prod/s3/sigv4.h"
#include "prod/s3/core_s3.h"

namespace tessera::prod::s3 {

// True when the request is signed with V2 (header or query).
bool has_sigv2(const SignedRequest& request);

// virtual_bucket: the bucket named by the Host (virtual-hosted style), ""
// for path style. The result's payload_hash is "UNSIGNED-PAYLOAD": V2 signs
// no body (Content-MD5, when sent, is checked against it).
Result<AuthResult> verify_sigv2(const SignedRequest& request, const std::string& virtual_bucket,
                                const SecretLookup& secret_for, int64_t now_unix_s);

// The string V2 signs for request; expires_or_date is the Date line;
// presigned: x-amz-* query parameters count as headers.
std::string sigv2_string_to_sign(const SignedRequest& request, const std::string& virtual_bucket,
                                 const std::string& expires_or_date, bool presigned);
// base64(HMAC-SHA1(secret, string_to_sign)).
std::string sigv2_signature(const std::string& secret, const std::string& string_to_sign);

}  // namespace tessera::prod::s3

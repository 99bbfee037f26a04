#include "prod/s3/sigv2.h"

#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "core/s3/checksums.h"

namespace tessera::prod::s3 {
namespace {

// The query parameters that are part of the signed resource: the S3
// documentation's sub-resources.
const std::set<std::string>& signed_sub_resources() {
  static const std::set<std::string> names = {"accelerate",
                                              "acl",
                                              "analytics",
                                              "attributes",
                                              "cors",
                                              "delete",
                                              "encryption",
                                              "inventory",
                                              "legal-hold",
                                              "lifecycle",
                                              "location",
                                              "logging",
                                              "metrics",
                                              "notification",
                                              "object-lock",
                                              "partNumber",
                                              "policy",
                                              "publicAccessBlock",
                                              "replication",
                                              "requestPayment",
                                              "response-cache-control",
                                              "response-content-disposition",
                                              "response-content-encoding",
                                              "response-content-language",
                                              "response-content-type",
                                              "response-expires",
                                              "restore",
                                              "retention",
                                              "select",
                                              "select-type",
                                              "tagging",
                                              "torrent",
                                              "uploadId",
                                              "uploads",
                                              "versionId",
                                              "versioning",
                                              "versions",
                                              "website"};
  return names;
}

const std::string& header_or_empty(const SignedRequest& r, const std::string& name) {
  static const std::string kEmpty;
  auto found = r.headers.find(name);
  return found == r.headers.end() ? kEmpty : found->second;
}

std::string trimmed(const std::string& v) {
  const size_t first = v.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return v.substr(first, v.find_last_not_of(" \t") - first + 1);
}

// Unix seconds of an RFC 1123 date, in GMT or +0000; nullopt when malformed.
std::optional<int64_t> parse_rfc1123(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  const std::string zone = trimmed(end);
  if (zone != "GMT" && zone != "UTC" && zone != "+0000" && zone != "Z") return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

// Expires: Unix seconds in the future, at most 7 days away (as for V4).
Status check_expires(const std::string& expires, int64_t now) {
  if (expires.empty() || expires.size() > 12 || expires.find_first_not_of("0123456789") != std::string::npos) {
    return auth_denied("Expires must be Unix seconds", "AuthorizationQueryParametersError");
  }
  const int64_t at = std::stoll(expires);
  if (now > at) return auth_denied("Request has expired");
  if (at > now + kPresignExpiresMaxS + kClockSkewMaxS) {
    return auth_denied("Expires must be at most 7 days away", "AuthorizationQueryParametersError");
  }
  return Status::ok();
}

}  // namespace

bool has_sigv2(const SignedRequest& r) {
  if (query_value(r, "AWSAccessKeyId") != nullptr || query_value(r, "Signature") != nullptr) return true;
  return header_or_empty(r, "authorization").rfind("AWS ", 0) == 0;
}

std::string sigv2_string_to_sign(const SignedRequest& r, const std::string& virtual_bucket,
                                 const std::string& expires_or_date, bool presigned) {
  std::string out = r.method + "\n" + trimmed(header_or_empty(r, "content-md5")) + "\n" +
                    trimmed(header_or_empty(r, "content-type")) + "\n" + expires_or_date + "\n";
  std::map<std::string, std::string> amz;  // sorted by name
  for (const auto& [name, value] : r.headers) {
    if (name.rfind("x-amz-", 0) == 0) amz[name] = trimmed(value);
  }
  for (const auto& [name, value] : r.query) {
    // Presigners carry the x-amz-* headers they signed in the query.
    if (presigned && name.rfind("x-amz-", 0) == 0 && amz.count(name) == 0) amz[name] = trimmed(value);
  }
  for (const auto& [name, value] : amz) out += name + ":" + value + "\n";
  std::string resource = virtual_bucket.empty() ? r.raw_path : "/" + virtual_bucket + r.raw_path;
  // A bucket is "/bucket/", with or without the slash in the path.
  if (resource.size() > 1 && resource.find('/', 1) == std::string::npos) resource += '/';
  out += resource;
  std::vector<std::pair<std::string, std::string>> subs;
  for (const auto& [name, value] : r.query) {
    if (signed_sub_resources().count(name)) subs.emplace_back(name, value);
  }
  std::stable_sort(subs.begin(), subs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < subs.size(); ++i) {
    out += (i == 0 ? "?" : "&") + subs[i].first + (subs[i].second.empty() ? "" : "=" + subs[i].second);
  }
  return out;
}

std::string sigv2_signature(const std::string& secret, const std::string& string_to_sign) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size(), out, &len);
  return base64_encode(std::string_view(reinterpret_cast<char*>(out), len));
}

Result<AuthResult> verify_sigv2(const SignedRequest& r, const std::string& virtual_bucket,
                                const SecretLookup& secret_for, int64_t now) {
  std::string access_key, given, date_line;
  const bool presigned = query_value(r, "AWSAccessKeyId") != nullptr;
  if (const std::string* key = query_value(r, "AWSAccessKeyId")) {
    const std::string* signature = query_value(r, "Signature");
    const std::string* expires = query_value(r, "Expires");
    if (!signature || !expires) {
      return auth_denied("a V2 presigned URL needs AWSAccessKeyId, Signature and Expires",
                         "AuthorizationQueryParametersError");
    }
    if (Status s = check_expires(*expires, now); !s.is_ok()) return s;
    access_key = *key;
    given = *signature;
    date_line = *expires;
  } else {
    const std::string& auth = header_or_empty(r, "authorization");
    const size_t colon = auth.rfind(':');
    if (auth.rfind("AWS ", 0) != 0 || colon == std::string::npos || colon < 5) {
      return auth_denied("malformed V2 Authorization header: expected AWS <key>:<signature>",
                         "AuthorizationHeaderMalformed");
    }
    access_key = auth.substr(4, colon - 4);
    given = auth.substr(colon + 1);
    // With x-amz-date the Date line is empty (the S3 documentation's rule).
    const std::string& amz_date = header_or_empty(r, "x-amz-date");
    date_line = amz_date.empty() ? header_or_empty(r, "date") : "";
    auto signed_at = parse_rfc1123(amz_date.empty() ? date_line : amz_date);
    if (!signed_at) return auth_denied("a V2 signed request needs a valid Date or x-amz-date");
    if (std::abs(now - *signed_at) > kClockSkewMaxS) {
      return auth_denied("the difference between the request time and the server's time is too large",
                         "RequestTimeTooSkewed");
    }
  }
  auto secret = secret_for(access_key);
  if (!secret) return auth_denied("unknown access key " + access_key, "InvalidAccessKeyId");
  const std::string expected = sigv2_signature(*secret, sigv2_string_to_sign(r, virtual_bucket, date_line, presigned));
  if (!equal_constant_time(expected, given)) {
    return auth_denied("the request signature we calculated does not match the signature you provided",
                       "SignatureDoesNotMatch");
  }
  AuthResult out;
  out.access_key = access_key;
  out.payload_hash = "UNSIGNED-PAYLOAD";
  return out;
}

}  // namespace tessera::prod::s3

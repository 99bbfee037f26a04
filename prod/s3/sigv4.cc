#include "prod/s3/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

#include "core/codec/sha256.h"

namespace tessera::prod::s3 {
namespace {


Status denied(std::string message, std::string reason = "AccessDenied") {
  return auth_denied(std::move(message), std::move(reason));
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256_hex(std::string_view s) { return to_hex(sha256(s)); }

std::string trim(std::string_view v) {
  // Leading/trailing spaces removed, inner runs of spaces collapsed.
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// An HTTP Date header ("Mon, 26 Jan 2026 10:11:12 GMT") in SigV4's basic
// ISO 8601 form, which is what the string to sign holds when a client
// dates its request with Date instead of X-Amz-Date.
std::optional<std::string> amz_date_from_http_date(const std::string& http_date) {
  std::tm tm{};
  const char* end = strptime(http_date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf);
}

// Parses "20260126T101112Z" to Unix seconds.
std::optional<int64_t> parse_amz_date(const std::string& s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  std::tm tm{};
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  }
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(9, 2));
  tm.tm_min = std::stoi(s.substr(11, 2));
  tm.tm_sec = std::stoi(s.substr(13, 2));
  return static_cast<int64_t>(timegm(&tm));
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

std::string canonical_query(const SignedRequest& r, bool skip_signature) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [k, v] : r.query) {
    if (skip_signature && k == "X-Amz-Signature") continue;
    q.emplace_back(uri_encode(k, false), uri_encode(v, false));
  }
  std::sort(q.begin(), q.end());
  std::string out;
  for (const auto& [k, v] : q) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string canonical_request(const SignedRequest& r, const std::vector<std::string>& signed_headers,
                              const std::string& payload_hash, bool presigned) {
  const std::string path = uri_encode(uri_decode(r.raw_path).value_or(r.raw_path), true);
  std::string headers;
  for (const std::string& h : signed_headers) {
    auto found = r.headers.find(h);
    headers += h + ":" + (found == r.headers.end() ? "" : trim(found->second)) + "\n";
  }
  std::string joined;
  for (const std::string& h : signed_headers) joined += (joined.empty() ? "" : ";") + h;
  return r.method + "\n" + path + "\n" + canonical_query(r, presigned) + "\n" + headers + "\n" + joined + "\n" +
         payload_hash;
}

std::string signing_key(const std::string& secret, const std::string& date, const std::string& region,
                        const std::string& service) {
  std::string key = hmac("AWS4" + secret, date);
  key = hmac(key, region);
  key = hmac(key, service);
  return hmac(key, "aws4_request");
}

std::string signature(const std::string& secret, const std::string& date, const std::string& region,
                      const std::string& service, const std::string& amz_date, const std::string& canonical) {
  const std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex(canonical);
  return hex_of(hmac(signing_key(secret, date, region, service), to_sign));
}


}  // namespace

Status auth_denied(std::string message, std::string reason) {
  return Status(Code::kFailedPrecondition, std::move(message), std::move(reason));
}

const std::string* query_value(const SignedRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.query) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool equal_constant_time(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool has_signature(const SignedRequest& r) {
  return r.headers.count("authorization") > 0 || query_value(r, "X-Amz-Signature") != nullptr;
}

namespace {

// What a SigV4 request claims: from the presigned query or the
// Authorization header.
struct SigV4Claim {
  std::string credential, signed_list, given, amz_date, payload_hash;
  int64_t expires = 0;  // presigned only
};

Status presigned_claim(const SignedRequest& r, SigV4Claim* c) {
  const std::string* algorithm = query_value(r, "X-Amz-Algorithm");
  const std::string* cred = query_value(r, "X-Amz-Credential");
  const std::string* date = query_value(r, "X-Amz-Date");
  const std::string* exp = query_value(r, "X-Amz-Expires");
  const std::string* hdrs = query_value(r, "X-Amz-SignedHeaders");
  if (!algorithm || *algorithm != "AWS4-HMAC-SHA256" || !cred || !date || !exp || !hdrs) {
    return denied("presigned URL lacks X-Amz-Algorithm, -Credential, -Date, -Expires or -SignedHeaders",
                  "AuthorizationQueryParametersError");
  }
  c->credential = *cred;
  c->amz_date = *date;
  c->signed_list = *hdrs;
  c->given = *query_value(r, "X-Amz-Signature");
  try {
    c->expires = std::stoll(*exp);
  } catch (...) {
    c->expires = -1;
  }
  if (c->expires < 1 || c->expires > kPresignExpiresMaxS) {
    return denied("X-Amz-Expires must be 1.." + std::to_string(kPresignExpiresMaxS),
                  "AuthorizationQueryParametersError");
  }
  c->payload_hash = "UNSIGNED-PAYLOAD";
  return Status::ok();
}

Status header_claim(const SignedRequest& r, SigV4Claim* c) {
  auto auth = r.headers.find("authorization");
  if (auth == r.headers.end()) return denied("anonymous access is not allowed here");
  const std::string& v = auth->second;
  const std::string prefix = "AWS4-HMAC-SHA256 ";
  if (v.compare(0, prefix.size(), prefix) != 0) {
    return denied("only AWS4-HMAC-SHA256 signatures are supported", "InvalidRequest");
  }
  for (std::string part : split(std::string_view(v).substr(prefix.size()), ',')) {
    part = trim(part);
    if (part.rfind("Credential=", 0) == 0) c->credential = part.substr(11);
    if (part.rfind("SignedHeaders=", 0) == 0) c->signed_list = part.substr(14);
    if (part.rfind("Signature=", 0) == 0) c->given = part.substr(10);
  }
  auto date = r.headers.find("x-amz-date");
  if (date != r.headers.end()) {
    c->amz_date = date->second;
  } else if (auto http_date = r.headers.find("date"); http_date != r.headers.end()) {
    c->amz_date = amz_date_from_http_date(http_date->second).value_or("");
  }
  auto hash = r.headers.find("x-amz-content-sha256");
  if (hash == r.headers.end()) {
    return denied("missing required header for this request: x-amz-content-sha256", "InvalidRequest");
  }
  c->payload_hash = hash->second;
  if (c->credential.empty() || c->signed_list.empty() || c->given.empty()) {
    return denied("malformed Authorization header", "AuthorizationHeaderMalformed");
  }
  return Status::ok();
}

}  // namespace

Result<AuthResult> verify_sigv4(const SignedRequest& r, const SecretLookup& secret_for, int64_t now) {
  const bool presigned = query_value(r, "X-Amz-Signature") != nullptr;
  SigV4Claim claim;
  if (Status s = presigned ? presigned_claim(r, &claim) : header_claim(r, &claim); !s.is_ok()) return s;
  const std::string &credential = claim.credential, &signed_list = claim.signed_list, &given = claim.given,
                    &amz_date = claim.amz_date, &payload_hash = claim.payload_hash;
  const int64_t expires = claim.expires;
  const std::vector<std::string> scope = split(credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request") {
    return denied("malformed credential scope " + credential, "AuthorizationHeaderMalformed");
  }
  auto secret = secret_for(scope[0]);
  if (!secret) return denied("unknown access key " + scope[0], "InvalidAccessKeyId");
  auto signed_at = parse_amz_date(amz_date);
  if (!signed_at || amz_date.compare(0, 8, scope[1]) != 0) {
    return denied("X-Amz-Date is missing or does not match the credential scope", "AccessDenied");
  }
  if (presigned) {
    if (now > *signed_at + expires) return denied("Request has expired");
    if (*signed_at > now + kClockSkewMaxS) return denied("the request is signed in the future", "RequestTimeTooSkewed");
  } else if (std::abs(now - *signed_at) > kClockSkewMaxS) {
    return denied("the difference between the request time and the server's time is too large",
                  "RequestTimeTooSkewed");
  }
  std::vector<std::string> signed_headers = split(signed_list, ';');
  if (std::find(signed_headers.begin(), signed_headers.end(), "host") == signed_headers.end()) {
    return denied("the host header must be signed", "AccessDenied");
  }
  const std::string canonical = canonical_request(r, signed_headers, payload_hash, presigned);
  const std::string expected = signature(*secret, scope[1], scope[2], scope[3], amz_date, canonical);
  if (!equal_constant_time(expected, given)) {
    return denied("the request signature we calculated does not match the signature you provided",
                  "SignatureDoesNotMatch");
  }
  return AuthResult{scope[0], payload_hash, signing_key(*secret, scope[1], scope[2], scope[3]),
                    scope[1] + "/" + scope[2] + "/" + scope[3] + "/aws4_request", amz_date, given};
}

std::string chunk_signature(const AuthResult& auth, const std::string& algorithm, const std::string& previous,
                            const std::string& payload_sha256_hex) {
  const std::string to_sign = algorithm + "\n" + auth.amz_date + "\n" + auth.scope + "\n" + previous + "\n" +
                              (algorithm == "AWS4-HMAC-SHA256-PAYLOAD" ? sha256_hex("") + "\n" : std::string()) +
                              payload_sha256_hex;
  return hex_of(hmac(auth.signing_key, to_sign));
}

std::string sign_for_test(const SignedRequest& r, const std::string& access_key, const std::string& secret,
                          const std::string& amz_date, const std::string& region,
                          const std::vector<std::string>& signed_headers) {
  auto hash = r.headers.find("x-amz-content-sha256");
  const std::string payload = hash == r.headers.end() ? "UNSIGNED-PAYLOAD" : hash->second;
  const std::string date = amz_date.substr(0, 8);
  const std::string sig =
      signature(secret, date, region, "s3", amz_date, canonical_request(r, signed_headers, payload, false));
  std::string joined;
  for (const std::string& h : signed_headers) joined += (joined.empty() ? "" : ";") + h;
  return "AWS4-HMAC-SHA256 Credential=" + access_key + "/" + date + "/" + region +
         "/s3/aws4_request, SignedHeaders=" + joined + ", Signature=" + sig;
}

}  // namespace tessera::prod::s3

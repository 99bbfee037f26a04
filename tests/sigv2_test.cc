// SigV2 against the examples of the S3 documentation ("Signing and
// authenticating REST requests"): header and query forms, sub-resources,
// expiry, skew, tampering.
#include <gtest/gtest.h>

#include "prod/s3/sigv2.h"

namespace tessera::prod::s3 {
namespace {

const std::string kKey = "AKIAIOSFODNN7EXAMPLE", kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const int64_t kMarch27 = 1175024202;  // Tue, 27 Mar 2007 19:36:42 GMT

std::optional<std::string> lookup(const std::string& key) {
  if (key == kKey) return kSecret;
  return std::nullopt;
}

SignedRequest header_signed(std::string method, std::string path, std::string date, std::string signature) {
  SignedRequest r{std::move(method), std::move(path), {}, {}};
  r.headers["date"] = std::move(date);
  r.headers["authorization"] = "AWS " + kKey + ":" + signature;
  return r;
}

TEST(SigV2, AcceptsTheDocumentedExamples) {
  // Virtual-hosted GET of an object.
  auto get =
      header_signed("GET", "/photos/puppy.jpg", "Tue, 27 Mar 2007 19:36:42 +0000", "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  ASSERT_TRUE(has_sigv2(get));
  auto ok = verify_sigv2(get, "johnsmith", lookup, kMarch27);
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok.value().access_key, kKey);
  EXPECT_EQ(ok.value().payload_hash, "UNSIGNED-PAYLOAD");
  // The same object path-style signs the same resource.
  EXPECT_FALSE(verify_sigv2(get, "", lookup, kMarch27).is_ok());
  get.raw_path = "/johnsmith/photos/puppy.jpg";
  EXPECT_TRUE(verify_sigv2(get, "", lookup, kMarch27).is_ok());
  // A PUT with its Content-Type.
  auto put =
      header_signed("PUT", "/photos/puppy.jpg", "Tue, 27 Mar 2007 21:15:45 +0000", "MyyxeRY7whkBe+bq8fHCL/2kKUg=");
  put.headers["content-type"] = "image/jpeg";
  EXPECT_TRUE(verify_sigv2(put, "johnsmith", lookup, kMarch27 + 5943).is_ok());
  // A listing: the bucket's resource ends in '/'; prefix is no sub-resource.
  auto list = header_signed("GET", "/", "Tue, 27 Mar 2007 19:42:41 +0000", "htDYFYduRNen8P9ZfE/s9SuKy0U=");
  list.query = {{"prefix", "photos"}, {"max-keys", "50"}, {"marker", "puppy"}};
  EXPECT_TRUE(verify_sigv2(list, "johnsmith", lookup, kMarch27 + 359).is_ok());
  list.raw_path = "/johnsmith";
  EXPECT_TRUE(verify_sigv2(list, "", lookup, kMarch27 + 359).is_ok());
  // A presigned URL: Expires takes the Date line.
  SignedRequest query{
      "GET",
      "/photos/puppy.jpg",
      {{"AWSAccessKeyId", kKey}, {"Expires", "1175139620"}, {"Signature", "NpgCjnDzrM+WFzoENXmpNDUsSn8="}},
      {}};
  EXPECT_TRUE(verify_sigv2(query, "johnsmith", lookup, kMarch27).is_ok());
  EXPECT_EQ(verify_sigv2(query, "johnsmith", lookup, 1175139621).status().message(), "Request has expired");
}

TEST(SigV2, SubResourcesAndAmzHeadersAreSigned) {
  SignedRequest r{"PUT", "/b/k", {{"tagging", ""}, {"x-id", "ignored"}}, {}};
  r.headers["x-amz-date"] = "Tue, 27 Mar 2007 19:36:42 +0000";
  r.headers["x-amz-meta-b"] = " two ";
  r.headers["x-amz-meta-a"] = "one";
  r.headers["date"] = "whatever: x-amz-date wins";
  // With x-amz-date the Date line is empty.
  EXPECT_EQ(sigv2_string_to_sign(r, "", "", false),
            "PUT\n\n\n\nx-amz-date:Tue, 27 Mar 2007 19:36:42 +0000\nx-amz-meta-a:one\nx-amz-meta-b:two\n/b/k?tagging");
  r.query = {{"uploadId", "u1"}, {"partNumber", "3"}};
  const std::string to_sign = sigv2_string_to_sign(r, "", "", false);
  EXPECT_EQ(to_sign.substr(to_sign.rfind('\n') + 1), "/b/k?partNumber=3&uploadId=u1");
  r.headers["authorization"] = "AWS " + kKey + ":" + sigv2_signature(kSecret, sigv2_string_to_sign(r, "", "", false));
  EXPECT_TRUE(verify_sigv2(r, "", lookup, kMarch27).is_ok());
  // Another part number, another signature.
  r.query = {{"uploadId", "u1"}, {"partNumber", "4"}};
  EXPECT_EQ(verify_sigv2(r, "", lookup, kMarch27).status().reason(), "SignatureDoesNotMatch");
}

TEST(SigV2, RefusesWrongKeysSkewAndMalformedHeaders) {
  auto get =
      header_signed("GET", "/photos/puppy.jpg", "Tue, 27 Mar 2007 19:36:42 +0000", "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  EXPECT_EQ(verify_sigv2(get, "johnsmith", lookup, kMarch27 + 16 * 60).status().reason(), "RequestTimeTooSkewed");
  get.headers["authorization"] = "AWS NOSUCHKEY:bWq2s1WEIj+Ydj0vQ697zp+IXMU=";
  EXPECT_EQ(verify_sigv2(get, "johnsmith", lookup, kMarch27).status().reason(), "InvalidAccessKeyId");
  get.headers["authorization"] = "AWS nocolon";
  EXPECT_EQ(verify_sigv2(get, "johnsmith", lookup, kMarch27).status().reason(), "AuthorizationHeaderMalformed");
  get.headers.erase("authorization");
  EXPECT_FALSE(has_sigv2(get));
  SignedRequest query{"GET", "/k", {{"AWSAccessKeyId", kKey}, {"Signature", "x"}}, {}};
  EXPECT_EQ(verify_sigv2(query, "b", lookup, kMarch27).status().reason(), "AuthorizationQueryParametersError");
  query.query.emplace_back("Expires", std::to_string(kMarch27 + 30 * 24 * 3600));
  EXPECT_EQ(verify_sigv2(query, "b", lookup, kMarch27).status().reason(), "AuthorizationQueryParametersError");
}

}  // namespace
}  // namespace tessera::prod::s3

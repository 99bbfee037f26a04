// SigV4 verification against AWS's published example (GET Object from the
// S3 "Signature Calculations for the Authorization Header" page), presigned
// expiry, clock skew; and the S3 error mapping.
#include <gtest/gtest.h>

#include "core/codec/sha256.h"
#include "core/s3/s3_error.h"
#include "prod/s3/sigv4.h"

namespace tessera::prod::s3 {
namespace {

constexpr char kAccess[] = "AKIAIOSFODNN7EXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr int64_t kSignedAt = 1369353600;  // 20130524T000000Z

SecretLookup secrets() {
  return [](const std::string& key) -> std::optional<std::string> {
    if (key == kAccess) return std::string(kSecret);
    return std::nullopt;
  };
}

SignedRequest aws_example() {
  SignedRequest r;
  r.method = "GET";
  r.raw_path = "/test.txt";
  r.headers["host"] = "examplebucket.s3.amazonaws.com";
  r.headers["range"] = "bytes=0-9";
  r.headers["x-amz-content-sha256"] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  r.headers["x-amz-date"] = "20130524T000000Z";
  r.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  return r;
}

TEST(SigV4, AcceptsAwsPublishedExample) {
  auto r = verify_sigv4(aws_example(), secrets(), kSignedAt + 60);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().access_key, kAccess);
  EXPECT_EQ(r.value().payload_hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4, RefusesTamperingWrongKeysAndSkew) {
  SignedRequest tampered = aws_example();
  tampered.headers["range"] = "bytes=0-10";
  EXPECT_EQ(verify_sigv4(tampered, secrets(), kSignedAt).status().reason(), "SignatureDoesNotMatch");
  SignedRequest other_path = aws_example();
  other_path.raw_path = "/test.txt2";
  EXPECT_EQ(verify_sigv4(other_path, secrets(), kSignedAt).status().reason(), "SignatureDoesNotMatch");
  auto no_one = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(verify_sigv4(aws_example(), no_one, kSignedAt).status().reason(), "InvalidAccessKeyId");
  EXPECT_EQ(verify_sigv4(aws_example(), secrets(), kSignedAt + 16 * 60).status().reason(), "RequestTimeTooSkewed");
  SignedRequest garbled = aws_example();
  garbled.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=x";
  EXPECT_EQ(verify_sigv4(garbled, secrets(), kSignedAt).status().reason(), "AuthorizationHeaderMalformed");
  SignedRequest anonymous = aws_example();
  anonymous.headers.erase("authorization");
  EXPECT_FALSE(has_signature(anonymous));
  EXPECT_EQ(verify_sigv4(anonymous, secrets(), kSignedAt).status().reason(), "AccessDenied");
}

TEST(SigV4, ADateHeaderDatesARequestWithoutXAmzDate) {
  SignedRequest r = aws_example();
  r.headers.erase("x-amz-date");
  r.headers.erase("authorization");
  r.headers["date"] = "Fri, 24 May 2013 00:00:00 GMT";
  r.headers["authorization"] = sign_for_test(r, kAccess, kSecret, "20130524T000000Z", "us-east-1",
                                             {"date", "host", "range", "x-amz-content-sha256"});
  auto ok = verify_sigv4(r, secrets(), kSignedAt + 60);
  EXPECT_TRUE(ok.is_ok()) << ok.status().to_string();
  // The Date header is the one that was signed: another fails.
  r.headers["date"] = "Fri, 24 May 2013 00:00:01 GMT";
  EXPECT_EQ(verify_sigv4(r, secrets(), kSignedAt + 60).status().reason(), "SignatureDoesNotMatch");
  r.headers["date"] = "yesterday";
  EXPECT_EQ(verify_sigv4(r, secrets(), kSignedAt + 60).status().reason(), "AccessDenied");
}

TEST(SigV4, SignedQueryStringsAndEncodedPathsRoundTrip) {
  SignedRequest r;
  r.method = "PUT";
  r.raw_path = "/bucket/a%20key%2Bwith/%C3%BC";
  r.query = {{"partNumber", "2"}, {"uploadId", "abc def"}};
  r.headers["host"] = "127.0.0.1:9000";
  r.headers["x-amz-date"] = "20130524T000000Z";
  r.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  r.headers["authorization"] =
      sign_for_test(r, kAccess, kSecret, "20130524T000000Z", "us-east-1", {"host", "x-amz-content-sha256", "x-amz-date"});
  auto ok = verify_sigv4(r, secrets(), kSignedAt);
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok.value().payload_hash, "UNSIGNED-PAYLOAD");
  r.query[1].second = "abc deg";
  EXPECT_EQ(verify_sigv4(r, secrets(), kSignedAt).status().reason(), "SignatureDoesNotMatch");
}

TEST(SigV4, PresignedUrlsExpire) {
  SignedRequest r;
  r.method = "GET";
  r.raw_path = "/b/k";
  r.headers["host"] = "h";
  r.query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
             {"X-Amz-Credential", std::string(kAccess) + "/20130524/us-east-1/s3/aws4_request"},
             {"X-Amz-Date", "20130524T000000Z"},
             {"X-Amz-Expires", "60"},
             {"X-Amz-SignedHeaders", "host"},
             {"X-Amz-Signature", "0000"}};
  EXPECT_TRUE(has_signature(r));
  // Expiry is checked before the signature: an old URL is "expired".
  auto expired = verify_sigv4(r, secrets(), kSignedAt + 61);
  EXPECT_EQ(expired.status().reason(), "AccessDenied");
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  EXPECT_EQ(verify_sigv4(r, secrets(), kSignedAt + 10).status().reason(), "SignatureDoesNotMatch");
  r.query[3].second = "0";
  EXPECT_EQ(verify_sigv4(r, secrets(), kSignedAt).status().reason(), "AuthorizationQueryParametersError");
}

TEST(SigV4, UriEncoding) {
  EXPECT_EQ(uri_encode("a b+c/~d", true), "a%20b%2Bc/~d");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(uri_decode("a%20b%2b").value(), "a b+");
  EXPECT_FALSE(uri_decode("a%2").has_value());
  EXPECT_FALSE(uri_decode("a%zz").has_value());
}

TEST(S3Errors, ReasonsMapToS3CodesAndStatuses) {
  EXPECT_EQ(to_s3_error(Status(Code::kNotFound, "x", "NoSuchUpload")).http_status, 404u);
  EXPECT_EQ(to_s3_error(Status(Code::kNotFound, "x", "NoSuchUpload")).code, "NoSuchUpload");
  EXPECT_EQ(to_s3_error(Status(Code::kFailedPrecondition, "x", "BucketNotEmpty")).http_status, 409u);
  EXPECT_EQ(to_s3_error(Status(Code::kInvalidArgument, "x", "InvalidRange")).http_status, 416u);
  EXPECT_EQ(to_s3_error(Status(Code::kFailedPrecondition, "x", "PreconditionFailed")).http_status, 412u);
  EXPECT_EQ(to_s3_error(Status(Code::kUnavailable, "disks down")).code, "ServiceUnavailable");
  EXPECT_EQ(to_s3_error(Status(Code::kCorrupt, "bad record")).http_status, 500u);
  const std::string xml = error_xml({404, "NoSuchKey", "no <key> & more"}, "/b/k", "R1");
  EXPECT_NE(xml.find("<Code>NoSuchKey</Code>"), std::string::npos);
  EXPECT_NE(xml.find("no &lt;key&gt; &amp; more"), std::string::npos);
}

}  // namespace
}  // namespace tessera::prod::s3

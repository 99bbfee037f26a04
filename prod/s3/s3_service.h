// The S3 API over the gateway: routing (path-style and virtual-hosted),
// SigV4 authentication and bucket ownership, and the operations. One
// S3Service serves every connection of a process, on the event loop.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/gateway/object_gateway.h"
#include "prod/s3/http_exchange.h"
#include "prod/s3/metrics.h"

namespace pugi {
class xml_node;
}

namespace tessera::prod::s3 {

struct CompletingPart;  // multipart_checksums.h
class AwsChunkedSource;  // aws_chunked.h
struct AuthResult;      // sigv4.h

struct S3Config {
  std::map<std::string, std::string> users;  // access key -> secret
  std::string region = "us-east-1";
  // Virtual-hosted-style requests: Host "<bucket>.<domain>".
  std::string domain = "localhost";
  uint64_t put_bytes_max = 5ull << 30;        // single PUT / part: S3's 5 GiB
  size_t xml_body_bytes_max = 1u << 20;
  // Every request is logged (one JSON line on stderr) when true; otherwise
  // only server errors (5xx).
  bool log_requests = false;
};

// A JSON string literal of s (quotes included), for log lines.
std::string json_string(std::string_view s);

// One request as the operations see it.
struct S3Request {
  HttpExchange& x;
  std::string method;
  std::string bucket;  // decoded; "" for the service
  std::string key;     // decoded; "" for a bucket
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::string access_key;                                  // "" when anonymous
  std::string request_id;
  // The body as the operation reads it: the HTTP body, or its aws-chunked
  // decoding; checks (digests, checksums) attach here.
  CheckedSource* body = nullptr;
  bool has(const std::string& q) const;
  std::string param(const std::string& q) const;
  std::string header(const std::string& name) const;  // lower-case name; "" when absent
};

// Attributes of a new object from the request's headers: content type,
// x-amz-meta-*, the stored standard headers, storage class, canned ACL.
Result<ObjectAttributes> attributes_from(const S3Request& r);
// Whether the canned ACL x-amz-acl names (value; "" for none) lets anyone
// read: private and the bucket-owner-* ACLs (one owner here) are not,
// public-read is; the other canned ACLs are NotImplemented.
Result<bool> canned_acl_public(const std::string& value);
// x-amz-version-id for a version that has one ("null" is not shown).
void set_version_header(S3Request& r, const proto::ObjectVersion& v);
// S3 parts of a multipart version, in order, with sizes and checksums.
std::vector<proto::UploadedPart> uploaded_parts(const proto::ObjectVersion& v);
// A version's x-amz-checksum-type among its headers: as stored, else
// FULL_OBJECT.
std::string checksum_type_of(const google::protobuf::RepeatedPtrField<proto::MetadataEntry>& headers);
// <ChecksumCRC32>... elements under node for the x-amz-checksum-* among
// headers, with <ChecksumType> when with_type; false when there were none.
bool add_checksum_elements(pugi::xml_node node, const google::protobuf::RepeatedPtrField<proto::MetadataEntry>& headers,
                           bool with_type);
// If-Match / If-None-Match: * of a request that writes an object.
CommitConditions conditions_from(const S3Request& r);
// Removes every x-amz-checksum-* header from a.
void drop_checksum_headers(ObjectAttributes& a);
// The XML answer of CopyObject / UploadPartCopy (root names which).
Task<void> send_copy_result(S3Request& r, const char* root, uint64_t modified_ms, const std::string& etag,
                            const google::protobuf::RepeatedPtrField<proto::MetadataEntry>& checksums);
// The body's length as the client declared it (decoded, for aws-chunked).
uint64_t declared_length(const S3Request& r);

class S3Service {
 public:
  S3Service(Runtime& rt, ObjectGateway& gateway, S3Config config);

  // Serves one request; the response is always sent unless the client is gone.
  Task<void> serve(HttpExchange& x, std::string request_id);
  Metrics& metrics() { return metrics_; }

 private:
  Task<Status> dispatch(S3Request& r, std::string& op);
  // The steps of serve(): bucket and key from Host and path (returns the
  // virtual-hosted bucket, "" for path style); the signature and how the
  // body is read; S3's name rules; metrics and the log line.
  std::string address(S3Request& r, const std::string& path) const;
  Status authenticate(S3Request& r, const std::string& raw_path, const std::string& virtual_bucket,
                      std::unique_ptr<AwsChunkedSource>* chunked);
  Status decode_chunked(S3Request& r, const AuthResult& auth, std::unique_ptr<AwsChunkedSource>* chunked);
  Status check_names(const S3Request& r) const;
  void record(S3Request& r, const std::string& op, const Status& s, int64_t micros);
  Task<Status> authorize_bucket(S3Request& r, bool anonymous_read_ok, proto::BucketRecord* out);

  // Service and buckets (s3_bucket_ops.cc).
  Task<Status> list_buckets(S3Request& r);
  Task<Status> create_bucket(S3Request& r);
  Task<Status> delete_bucket(S3Request& r);
  Task<Status> head_bucket(S3Request& r);
  Task<Status> get_location(S3Request& r);
  Task<Status> get_versioning(S3Request& r);
  Task<Status> put_versioning(S3Request& r);
  Task<Status> list_objects(S3Request& r, bool v2);
  Task<Status> list_versions(S3Request& r);
  Task<Status> delete_objects(S3Request& r);
  // The canned ACL as S3's grant list (owner FULL_CONTROL, AllUsers READ if
  // public-read), for a bucket or an object.
  Task<Status> get_acl(S3Request& r);
  // PutBucketAcl / PutObjectAcl: a canned ACL (x-amz-acl private or
  // public-read, or a grant list of exactly those shapes); other grants
  // are NotImplemented and change nothing.
  Task<Status> put_acl(S3Request& r);

  // Tagging of a bucket or an object (s3_tagging_ops.cc).
  Task<Status> get_tagging(S3Request& r);
  Task<Status> put_tagging(S3Request& r);
  Task<Status> delete_tagging(S3Request& r);
  Task<Status> get_object_attributes(S3Request& r);

  // Objects (s3_object_ops.cc).
  Task<Status> put_object(S3Request& r);
  Task<Status> copy_object(S3Request& r);
  Task<Status> get_object(S3Request& r, bool head);
  Task<Status> delete_object(S3Request& r);
  // The newest version (or versionId) is a delete marker: say so in the
  // error's headers (x-amz-delete-marker, x-amz-version-id), as S3 does.
  Task<void> tell_delete_marker(S3Request& r);
  Task<Status> send_object(S3Request& r, const proto::ObjectVersion& v, std::optional<ByteRange> range, bool head);

  // Multipart (s3_multipart_ops.cc).
  Task<Status> create_upload(S3Request& r);
  Task<Status> upload_part(S3Request& r);
  Task<Status> upload_part_copy(S3Request& r, const proto::UploadRecord& upload, uint32_t number);
  Task<Status> complete_upload(S3Request& r);
  Task<Result<proto::ObjectVersion>> complete_with_checksums(S3Request& r, const std::string& upload_id,
                                                             const std::vector<CompletingPart>& wanted);
  Task<Status> abort_upload(S3Request& r);
  Task<Status> list_parts(S3Request& r);
  Task<Status> list_uploads(S3Request& r);

  // Changes the settings of the request's bucket (no key) or object (the
  // newest version, or versionId) in place, then answers status: fill sets
  // the fields of the proto::BucketPatch or proto::ObjectPatch.
  template <typename Fill>
  Task<Status> patch_record(S3Request& r, unsigned status, Fill fill) {
    if (r.key.empty()) {
      proto::BucketPatch patch;
      fill(patch);
      if (Status s = co_await gateway_.metadata().update_bucket(r.bucket, std::move(patch)); !s.is_ok()) co_return s;
    } else {
      proto::ObjectPatch patch;
      fill(patch);
      auto v = co_await gateway_.metadata().update_object(r.bucket, r.key, r.param("versionId"), std::move(patch));
      if (!v.is_ok()) co_return v.status();
      set_version_header(r, v.value());
    }
    co_await r.x.send(status, "");
    co_return Status::ok();
  }

  // Shared by PUT, UploadPart: body checks from the headers.
  Status prepare_body(S3Request& r);
  // A configuration document's body (at most xml_body_bytes_max), checked
  // against its Content-MD5 / x-amz-checksum-* at its end.
  Task<Result<std::string>> read_xml_body(S3Request& r);
  Task<Result<proto::ObjectVersion>> copy_source(S3Request& r, std::optional<ByteRange>* range);

  Runtime& rt_;
  ObjectGateway& gateway_;
  S3Config config_;
  Metrics metrics_;
};

}  // namespace tessera::prod::s3

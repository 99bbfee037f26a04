// S3's semantics without HTTP: the request an operation sees (which
// operation it names, bucket, key, sub-resource parameters, the headers
// that carry S3 meaning, the body, who is calling) and the reply it
// answers with. S3Api::handle is the one entrance: name rules, who may
// call what, then the operation (conditions, ranges, partNumber, copy,
// multi-delete, versioning, storage classes, checksum rules). prod/s3/
// turns HTTP into an S3Request (routing, SigV4/SigV2, aws-chunked) and the
// reply into HTTP; the simulator issues S3Requests to the same entrance.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/gateway/object_gateway.h"
#include "core/s3/body_checks.h"
#include "core/s3/s3_routes.h"

namespace pugi {
class xml_node;
}

namespace tessera::s3 {

struct CompletingPart;  // multipart_checksums.h

struct S3ApiConfig {
  std::string region = "us-east-1";
  uint64_t put_bytes_max = 5ull << 30;  // single PUT / part: S3's 5 GiB
  size_t xml_body_bytes_max = 1u << 20;
};

// What an operation answers: headers, then a whole body or a stream of
// exactly the announced length. The HTTP exchange implements it in prod;
// CollectedReply (s3_reply.h) keeps it in memory.
class S3Reply {
 public:
  virtual ~S3Reply() = default;
  // Added to whatever is sent next.
  virtual void set_header(const std::string& name, const std::string& value) = 0;
  // Headers set so far; drop_headers_after(n) forgets those set after the
  // first n (a GET whose first bytes failed answers an error, not with the
  // object's headers).
  virtual size_t header_count() const = 0;
  virtual void drop_headers_after(size_t n) = 0;
  virtual Task<bool> send(unsigned status, std::string body, const std::string& content_type = "application/xml") = 0;
  virtual Task<bool> begin_stream(unsigned status, uint64_t length) = 0;
  virtual Task<Status> write_chunk(std::string bytes) = 0;
  virtual Task<bool> end_stream() = 0;
  virtual bool sent() const = 0;
};

// Sink over a reply's stream.
// The status line and headers go out with the first bytes, so a read that
// fails before any can still answer an S3 error.
class ReplySink final : public ByteSink {
 public:
  ReplySink(S3Reply& reply, unsigned status, uint64_t length) : reply_(reply), status_(status), length_(length) {}
  Task<Status> write(std::string bytes) override;
  bool started() const { return started_; }

 private:
  S3Reply& reply_;
  unsigned status_;
  uint64_t length_;
  bool started_ = false;
};

// One request as the operations see it.
struct S3Request {
  S3Op op = S3Op::kNone;  // what the request names (routing decided it)
  std::string bucket;     // decoded; "" for the service
  std::string key;        // decoded; "" for a bucket
  std::vector<std::pair<std::string, std::string>> query;    // decoded
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string access_key;                                    // "" when anonymous
  std::string request_id;
  // The body as the operation reads it: the HTTP body, or its aws-chunked
  // decoding; checks (digests, checksums) attach here.
  CheckedSource* body = nullptr;
  // The body's length was declared (HTTP: Content-Length or chunked).
  bool body_framed = true;
  S3Reply* reply = nullptr;
  bool has(const std::string& q) const;
  std::string param(const std::string& q) const;
  bool has_header(const std::string& name) const;
  std::string header(const std::string& name) const;  // lower-case name; "" when absent
  bool is_read() const { return op == S3Op::kGetObject || op == S3Op::kHeadObject; }
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

class S3Api {
 public:
  S3Api(Runtime& rt, ObjectGateway& gateway, S3ApiConfig config);

  // The one entrance: S3's name rules, whether the caller may run r.op,
  // then the operation. Its answer is sent on r.reply unless an error is
  // returned (the caller then answers with the error, or not at all if the
  // reply was already sent).
  Task<Status> handle(S3Request& r);
  ObjectGateway& gateway() { return gateway_; }
  // Test only (the simulator's --broken-variant): tessera-server never
  // calls it.
  void set_broken(const BrokenVariants& broken) { broken_ = broken; }

 private:
  Task<Status> dispatch(S3Request& r);
  Status check_names(const S3Request& r) const;
  Task<Status> authorize_bucket(S3Request& r, bool anonymous_read_ok, proto::BucketRecord* out);

  // Service and buckets (s3_bucket_ops.cc).
  Task<Status> list_buckets(S3Request& r);
  Task<Status> create_bucket(S3Request& r);
  Task<Status> delete_bucket(S3Request& r);
  Task<Status> head_bucket(S3Request& r);
  Task<Status> get_location(S3Request& r);
  Task<Status> get_versioning(S3Request& r);
  Task<Status> put_versioning(S3Request& r);
  Task<Status> list_objects(S3Request& r);
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
  // headers_mark: the reply's header count before the object's own headers.
  Task<Status> send_object(S3Request& r, const proto::ObjectVersion& v, std::optional<ByteRange> range, bool head,
                           size_t headers_mark);

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
    co_await r.reply->send(status, "");
    co_return Status::ok();
  }

  // Shared by PUT, UploadPart: body checks from the headers.
  Status prepare_body(S3Request& r);
  // A configuration document's body (at most xml_body_bytes_max), checked
  // against its Content-MD5 / x-amz-checksum-* at its end.
  Task<Result<std::string>> read_xml_body(S3Request& r);
  // The whole body, at most max bytes (MaxMessageLengthExceeded beyond).
  Task<Result<std::string>> read_all(S3Request& r, size_t max);
  Task<Result<proto::ObjectVersion>> copy_source(S3Request& r, std::optional<ByteRange>* range);

  Runtime& rt_;
  ObjectGateway& gateway_;
  S3ApiConfig config_;
  BrokenVariants broken_;
};

}  // namespace tessera::s3

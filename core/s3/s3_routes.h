// The S3 routing table: (method, service/bucket/object, the set of
// sub-resource query parameters, x-amz-copy-source) -> operation.
//
// Invariant: a request reaches an operation only through a row of this
// table. A request that matches no row is refused with 501 NotImplemented
// before anything reads or writes state, so an unknown sub-resource
// (?tagging, ?retention, ...) can never fall through to PutObject or
// DeleteObject. Query parameters that are not sub-resources are listed
// too, per operation: one the table does not know at all is 501 (it may
// be a sub-resource this server has never heard of); a known one that the
// matched operation does not take is 400 InvalidArgument.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io_abstraction/status.h"

namespace tessera::s3 {

enum class S3Op {
  kNone,  // refused: the request names no operation in the table
  kListBuckets,
  kCreateBucket,
  kDeleteBucket,
  kHeadBucket,
  kGetBucketLocation,
  kGetBucketVersioning,
  kPutBucketVersioning,
  kGetBucketAcl,
  kPutBucketAcl,
  kListObjects,  // v1 and v2 (list-type=2)
  kListObjectVersions,
  kListMultipartUploads,
  kDeleteObjects,
  kPutObject,
  kCopyObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kGetObjectAcl,
  kPutObjectAcl,
  kCreateMultipartUpload,
  kUploadPart,
  kUploadPartCopy,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListParts,
  kGetBucketTagging,
  kPutBucketTagging,
  kDeleteBucketTagging,
  kGetObjectTagging,
  kPutObjectTagging,
  kDeleteObjectTagging,
  kGetObjectAttributes,
};

// What a request names, as routing sees it: nothing here reads state.
struct RouteInput {
  std::string method;
  bool has_bucket = false;
  bool has_key = false;
  const std::vector<std::pair<std::string, std::string>>* query = nullptr;
  bool has_copy_source = false;
};

struct Route {
  S3Op op = S3Op::kNone;
  std::string name;  // S3's name of the operation, for metrics and logs
  Status refusal;    // set when op is kNone: NotImplemented or InvalidArgument
};

// The row this request matches, or the refusal that names why none does.
Route route(const RouteInput& in);

// The HTTP method of op's row ("" for kNone): GET and HEAD only read.
const char* op_method(S3Op op);
// S3's name of op, for metrics and logs.
const char* op_name(S3Op op);

// Every sub-resource name of the S3 API reference that the table knows
// (implemented or not), for the tests that enumerate them.
const std::vector<std::string>& s3_subresources();

// True when name is a query parameter the request signer owns (SigV4 and
// SigV2 presigned URLs, hoisted x-amz-* headers) or the SDKs add (x-id).
bool is_signing_parameter(const std::string& name);

}  // namespace tessera::s3

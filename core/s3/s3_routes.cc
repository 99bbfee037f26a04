#include "core/s3/s3_routes.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "core/s3/s3_error.h"
#include "io_abstraction/assert.h"

namespace tessera::s3 {
namespace {

enum class Target { kService, kBucket, kObject };
enum class CopySource { kAny, kAbsent, kPresent };

struct Row {
  const char* method;
  Target target;
  const char* subresource;  // "" for none; no S3 operation names two
  CopySource copy;
  S3Op op;
  const char* name;
  const char* params;  // space-separated query parameters the operation takes
};

constexpr const char* kListObjectsParams =
    "prefix delimiter marker max-keys encoding-type list-type continuation-token start-after fetch-owner";
constexpr const char* kListVersionsParams = "prefix delimiter key-marker version-id-marker max-keys encoding-type";
constexpr const char* kListUploadsParams = "prefix delimiter key-marker upload-id-marker max-uploads encoding-type";
constexpr const char* kGetObjectParams =
    "versionId partNumber response-content-type response-content-language response-expires "
    "response-cache-control response-content-disposition response-content-encoding";

constexpr Row kRows[] = {
    {"GET", Target::kService, "", CopySource::kAny, S3Op::kListBuckets, "ListBuckets",
     "max-buckets continuation-token prefix bucket-region"},
    {"PUT", Target::kBucket, "", CopySource::kAbsent, S3Op::kCreateBucket, "CreateBucket", ""},
    {"DELETE", Target::kBucket, "", CopySource::kAny, S3Op::kDeleteBucket, "DeleteBucket", ""},
    {"HEAD", Target::kBucket, "", CopySource::kAny, S3Op::kHeadBucket, "HeadBucket", ""},
    {"GET", Target::kBucket, "", CopySource::kAny, S3Op::kListObjects, "ListObjects", kListObjectsParams},
    {"GET", Target::kBucket, "location", CopySource::kAny, S3Op::kGetBucketLocation, "GetBucketLocation", ""},
    {"GET", Target::kBucket, "versioning", CopySource::kAny, S3Op::kGetBucketVersioning, "GetBucketVersioning", ""},
    {"PUT", Target::kBucket, "versioning", CopySource::kAbsent, S3Op::kPutBucketVersioning, "PutBucketVersioning",
     ""},
    {"GET", Target::kBucket, "acl", CopySource::kAny, S3Op::kGetBucketAcl, "GetBucketAcl", ""},
    {"PUT", Target::kBucket, "acl", CopySource::kAbsent, S3Op::kPutBucketAcl, "PutBucketAcl", ""},
    {"GET", Target::kBucket, "versions", CopySource::kAny, S3Op::kListObjectVersions, "ListObjectVersions",
     kListVersionsParams},
    {"GET", Target::kBucket, "uploads", CopySource::kAny, S3Op::kListMultipartUploads, "ListMultipartUploads",
     kListUploadsParams},
    {"POST", Target::kBucket, "delete", CopySource::kAbsent, S3Op::kDeleteObjects, "DeleteObjects", ""},
    {"PUT", Target::kObject, "", CopySource::kAbsent, S3Op::kPutObject, "PutObject", ""},
    {"PUT", Target::kObject, "", CopySource::kPresent, S3Op::kCopyObject, "CopyObject", ""},
    {"GET", Target::kObject, "", CopySource::kAny, S3Op::kGetObject, "GetObject", kGetObjectParams},
    {"HEAD", Target::kObject, "", CopySource::kAny, S3Op::kHeadObject, "HeadObject", kGetObjectParams},
    {"DELETE", Target::kObject, "", CopySource::kAbsent, S3Op::kDeleteObject, "DeleteObject", "versionId"},
    {"GET", Target::kObject, "acl", CopySource::kAny, S3Op::kGetObjectAcl, "GetObjectAcl", "versionId"},
    {"PUT", Target::kObject, "acl", CopySource::kAbsent, S3Op::kPutObjectAcl, "PutObjectAcl", "versionId"},
    {"POST", Target::kObject, "uploads", CopySource::kAbsent, S3Op::kCreateMultipartUpload,
     "CreateMultipartUpload", ""},
    {"PUT", Target::kObject, "uploadId", CopySource::kAbsent, S3Op::kUploadPart, "UploadPart", "partNumber"},
    {"PUT", Target::kObject, "uploadId", CopySource::kPresent, S3Op::kUploadPartCopy, "UploadPartCopy",
     "partNumber"},
    {"POST", Target::kObject, "uploadId", CopySource::kAbsent, S3Op::kCompleteMultipartUpload,
     "CompleteMultipartUpload", ""},
    {"DELETE", Target::kObject, "uploadId", CopySource::kAbsent, S3Op::kAbortMultipartUpload,
     "AbortMultipartUpload", ""},
    {"GET", Target::kObject, "uploadId", CopySource::kAny, S3Op::kListParts, "ListParts",
     "max-parts part-number-marker encoding-type"},
    {"GET", Target::kBucket, "tagging", CopySource::kAny, S3Op::kGetBucketTagging, "GetBucketTagging", ""},
    {"PUT", Target::kBucket, "tagging", CopySource::kAbsent, S3Op::kPutBucketTagging, "PutBucketTagging", ""},
    {"DELETE", Target::kBucket, "tagging", CopySource::kAbsent, S3Op::kDeleteBucketTagging, "DeleteBucketTagging",
     ""},
    {"GET", Target::kObject, "tagging", CopySource::kAny, S3Op::kGetObjectTagging, "GetObjectTagging", "versionId"},
    {"PUT", Target::kObject, "tagging", CopySource::kAbsent, S3Op::kPutObjectTagging, "PutObjectTagging",
     "versionId"},
    {"DELETE", Target::kObject, "tagging", CopySource::kAbsent, S3Op::kDeleteObjectTagging, "DeleteObjectTagging",
     "versionId"},
    {"GET", Target::kObject, "attributes", CopySource::kAny, S3Op::kGetObjectAttributes, "GetObjectAttributes",
     "versionId"},
};

// Query parameters that select an operation, from the S3 API reference
// (bucket and object sub-resources, implemented here or not).
const std::vector<std::string> kSubresources = {
    "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
    "inventory", "legal-hold", "lifecycle", "location", "logging", "metadataConfiguration",
    "metadataInventoryTable", "metadataJournalTable", "metadataTable", "metrics", "notification", "object-lock",
    "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication",
    "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent", "uploadId", "uploads",
    "versioning", "versions", "website"};

// Parameters that are not sub-resources and that some operation takes
// (those of the rows above, and of operations refused here: a request
// with one of those is refused by its sub-resource).
const std::vector<std::string> kOtherParameters = {
    "bucket-region", "continuation-token", "delimiter", "encoding-type", "fetch-owner", "id", "key-marker",
    "list-type", "marker", "max-buckets", "max-keys", "max-parts", "max-uploads", "partNumber",
    "part-number-marker", "prefix", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type", "response-expires",
    "select-type", "start-after", "upload-id-marker", "versionId", "version-id-marker"};

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool takes(const char* params, const std::string& name) {
  std::string_view rest(params);
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    if (rest.substr(0, space) == name) return true;
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  return false;
}

const char* target_name(Target t) {
  return t == Target::kService ? "the service" : t == Target::kBucket ? "a bucket" : "an object";
}

Route refused(std::string code, std::string message) {
  Route r;
  r.name = code == "NotImplemented" ? "NotImplemented" : "Refused";
  r.refusal = s3_status(std::move(code), std::move(message));
  return r;
}

}  // namespace

bool is_signing_parameter(const std::string& name) {
  static const std::vector<std::string> kNames = {"AWSAccessKeyId", "Signature", "Expires", "x-id"};
  if (contains(kNames, name)) return true;
  // X-Amz-Algorithm, X-Amz-Credential, ... and, from presigners that hoist
  // them, x-amz-* headers (signed like the rest of the URL).
  if (name.size() < 6) return false;
  std::string prefix = name.substr(0, 6);
  for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return prefix == "x-amz-";
}

const std::vector<std::string>& s3_subresources() { return kSubresources; }

const char* op_method(S3Op op) {
  for (const Row& row : kRows) {
    if (row.op == op) return row.method;
  }
  ASSERT(op == S3Op::kNone);
  return "";
}

const char* op_name(S3Op op) {
  for (const Row& row : kRows) {
    if (row.op == op) return row.name;
  }
  return "NotImplemented";
}

Route route(const RouteInput& in) {
  ASSERT(in.query != nullptr);
  ASSERT(!in.has_key || in.has_bucket);
  const Target target = !in.has_bucket ? Target::kService : !in.has_key ? Target::kBucket : Target::kObject;
  std::string subresource;
  for (const auto& [name, value] : *in.query) {
    if (is_signing_parameter(name) || contains(kOtherParameters, name)) continue;
    if (!contains(kSubresources, name)) {
      return refused("NotImplemented", "the query parameter '" + name + "' is not supported");
    }
    if (!subresource.empty() && subresource != name) {
      return refused("NotImplemented", "no operation takes both ?" + subresource + " and ?" + name);
    }
    subresource = name;
  }
  const Row* match = nullptr;
  for (const Row& row : kRows) {
    if (in.method != row.method || target != row.target || subresource != row.subresource) continue;
    if (row.copy == CopySource::kAbsent && in.has_copy_source) continue;
    if (row.copy == CopySource::kPresent && !in.has_copy_source) continue;
    match = &row;
    break;
  }
  if (match == nullptr) {
    const std::string what = subresource.empty() ? "" : " ?" + subresource;
    return refused("NotImplemented", in.method + what + " on " + target_name(target) + " is not implemented");
  }
  for (const auto& [name, value] : *in.query) {
    if (is_signing_parameter(name) || name == subresource || takes(match->params, name)) continue;
    return refused("InvalidArgument", std::string(match->name) + " does not take the query parameter '" + name + "'");
  }
  Route r;
  r.op = match->op;
  r.name = match->name;
  ASSERT(r.op != S3Op::kNone);
  return r;
}

}  // namespace tessera::s3

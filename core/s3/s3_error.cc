#include "core/s3/s3_error.h"

#include <map>
#include <pugixml.hpp>
#include <sstream>

namespace tessera::s3 {
namespace {

const std::map<std::string, unsigned>& statuses() {
  static const std::map<std::string, unsigned> m{
      {"AccessDenied", 403},
      {"AuthorizationHeaderMalformed", 400},
      {"AuthorizationQueryParametersError", 400},
      {"BadDigest", 400},
      {"BucketAlreadyExists", 409},
      {"BucketAlreadyOwnedByYou", 409},
      {"BucketNotEmpty", 409},
      {"EntityTooLarge", 400},
      {"EntityTooSmall", 400},
      {"IllegalVersioningConfigurationException", 400},
      {"IncompleteBody", 400},
      {"InternalError", 500},
      {"InvalidAccessKeyId", 403},
      {"InvalidArgument", 400},
      {"InvalidBucketName", 400},
      {"InvalidDigest", 400},
      {"InvalidPart", 400},
      {"InvalidPartOrder", 400},
      {"InvalidRange", 416},
      {"InvalidRequest", 400},
      {"InvalidStorageClass", 400},
      {"InvalidTag", 400},
      {"InvalidURI", 400},
      {"KeyTooLongError", 400},
      {"MalformedACLError", 400},
      {"MalformedXML", 400},
      {"MaxMessageLengthExceeded", 400},
      {"MethodNotAllowed", 405},
      {"MissingContentLength", 411},
      {"MissingSecurityHeader", 400},
      {"NoSuchBucket", 404},
      {"NoSuchKey", 404},
      {"NoSuchTagSet", 404},
      {"NoSuchUpload", 404},
      {"NoSuchVersion", 404},
      {"NotImplemented", 501},
      {"NotModified", 304},
      {"PreconditionFailed", 412},
      {"RequestHeaderSectionTooLarge", 400},
      {"RequestTimeTooSkewed", 403},
      {"RequestTimeout", 400},
      {"ServiceUnavailable", 503},
      {"SignatureDoesNotMatch", 403},
      {"SlowDown", 503},
      {"UnexpectedContent", 400},
      {"XAmzContentSHA256Mismatch", 400},
  };
  return m;
}

}  // namespace

S3Error to_s3_error(const Status& status) {
  S3Error e;
  e.message = status.message();
  auto found = statuses().find(status.reason());
  if (found != statuses().end()) {
    e.code = found->first;
    e.http_status = found->second;
    return e;
  }
  switch (status.code()) {
    case Code::kNotFound: e = {404, "NoSuchKey", status.message()}; break;
    case Code::kInvalidArgument: e = {400, "InvalidArgument", status.message()}; break;
    case Code::kFailedPrecondition: e = {412, "PreconditionFailed", status.message()}; break;
    case Code::kUnavailable:
    case Code::kTimeout: e = {503, "ServiceUnavailable", status.message()}; break;
    case Code::kNoSpace: e = {507, "InsufficientStorage", status.message()}; break;
    default: e = {500, "InternalError", status.to_string()}; break;
  }
  return e;
}

Status s3_status(std::string code, std::string message) {
  auto found = statuses().find(code);
  const Code c = found == statuses().end() || found->second >= 500 ? Code::kInternal
                 : found->second == 404                           ? Code::kNotFound
                                                                  : Code::kInvalidArgument;
  return Status(c, std::move(message), std::move(code));
}

std::string error_xml(const S3Error& e, const std::string& resource, const std::string& request_id) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("Error");
  root.append_child("Code").text() = e.code.c_str();
  root.append_child("Message").text() = e.message.c_str();
  root.append_child("Resource").text() = resource.c_str();
  root.append_child("RequestId").text() = request_id.c_str();
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

}  // namespace tessera::s3

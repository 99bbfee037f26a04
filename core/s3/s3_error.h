// S3 errors: a Status (its reason names the S3 code) to the HTTP status and
// XML body that S3 clients expect.
#pragma once

#include <string>

#include "io_abstraction/status.h"

namespace tessera::s3 {

struct S3Error {
  unsigned http_status = 500;
  std::string code;  // S3's name, e.g. "NoSuchKey"
  std::string message;
};

S3Error to_s3_error(const Status& status);
// A Status that maps to code (and its HTTP status).
Status s3_status(std::string code, std::string message);
std::string error_xml(const S3Error& e, const std::string& resource, const std::string& request_id);

}  // namespace tessera::s3

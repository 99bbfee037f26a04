// S3Client: the simulator's S3 client. Its requests go through the one
// entrance tessera-server serves HTTP with (core/s3/s3_api.h), so every
// S3 rule (authorization, conditions, ranges, partNumber, copy,
// multi-delete, versioning, checksums) runs in the simulation as in
// production; only HTTP, SigV4 and XML transport framing are left out.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/s3/collected_reply.h"
#include "core/s3/s3_api.h"

namespace tessera::sim {

using Params = std::vector<std::pair<std::string, std::string>>;
// One (name, value) pair, or two. Built by a call, not a braced list: GCC
// 12 rejects string literals in braced lists inside co_await arguments.
Params param(std::string name, std::string value);
Params params(std::string name1, std::string value1, std::string name2, std::string value2);

struct S3Answer {
  // Ok, or the error the entrance answered with (what HTTP would carry
  // as an error document). A reply streamed short is kUnavailable.
  Status status;
  unsigned http_status = 0;
  s3::CollectedReply reply;
  const std::string& body() const { return reply.body(); }
  std::string header(const std::string& name) const { return reply.header(name); }
  std::string etag() const;  // unquoted
  std::string version_id() const { return header("x-amz-version-id"); }
  bool ok() const { return status.is_ok(); }
  // The answer as reads are judged: the body, or the error.
  Result<std::string> result() const {
    if (!ok()) return status;
    return body();
  }
  // The S3 error code ("" when ok).
  std::string error_code() const;
};

class S3Client {
 public:
  S3Client(s3::S3Api& api, std::string bucket, std::string access_key)
      : api_(api), bucket_(std::move(bucket)), access_key_(std::move(access_key)) {}

  Task<S3Answer> call(s3::S3Op op, std::string key, Params query = {}, Params headers = {},
                      std::string body = std::string());

  // The text of the first element named name in the answer's document
  // ("" when none), unquoted.
  static std::string xml_value(const S3Answer& a, const char* name);
  // The documents of a multipart completion and a DeleteObjects.
  static std::string complete_document(const std::vector<std::pair<uint32_t, std::string>>& parts);
  static std::string delete_document(const std::vector<std::string>& keys);

  struct DeleteOutcome {
    bool deleted = false;  // else an <Error> (or no entry)
  };
  static std::map<std::string, DeleteOutcome> delete_outcomes(const S3Answer& a);

  struct ListedObject {
    std::string key, etag;
    uint64_t size = 0;
  };
  struct ListPage {
    std::vector<ListedObject> objects;
    std::string next_token;  // "" when not truncated
  };
  static Result<ListPage> list_page(const S3Answer& a);

 private:
  s3::S3Api& api_;
  std::string bucket_;
  std::string access_key_;
  uint64_t next_request_ = 1;
};

}  // namespace tessera::sim

// aws-chunked request bodies (Content-Encoding: aws-chunked), as newer AWS
// SDKs send them: "<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n" ...,
// a zero-size chunk, then optional trailers ("x-amz-checksum-crc32:<b64>",
// "x-amz-trailer-signature:<sig>") and an empty line.
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: every chunk signature is
//     checked, chained from the request's signature;
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER: chunks are unsigned.
// Trailing checksums are checked against the decoded bytes, and the decoded
// length against x-amz-decoded-content-length.
#pragma once

#include "core/s3/body_checks.h"
#include "prod/s3/sigv4.h"
#include "prod/s3/core_s3.h"

namespace tessera::prod::s3 {

class AwsChunkedSource final : public CheckedSource {
 public:
  // raw: the HTTP body. trailer: the x-amz-trailer header ("" for none).
  AwsChunkedSource(ByteSource& raw, AuthResult auth, bool signed_chunks, uint64_t decoded_length,
                   const std::string& trailer);
  Task<Result<std::string>> read(size_t max) override;
  // The checksum trailer, once read and verified: S3 stores it.
  std::vector<std::pair<std::string, std::string>> trailers() const override;

 private:
  // Ensures at least n buffered bytes (fewer only at the end of raw).
  Task<Status> fill(size_t n);
  Task<Result<std::string>> read_line();
  Task<Status> read_trailers();
  Status check_chunk_signature();

  enum class State { kHeader, kData, kDone };
  State state_ = State::kHeader;
  ByteSource& raw_;
  AuthResult auth_;
  bool signed_;
  uint64_t decoded_length_;
  std::string trailer_name_;
  std::unique_ptr<BodyChecksum> trailer_checksum_;
  std::optional<std::string> verified_trailer_;  // the checksum trailer's value
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t chunk_left_ = 0;
  std::string chunk_signature_;
  std::string previous_signature_;
  std::optional<StreamDigest> chunk_digest_;
  uint64_t decoded_ = 0;
};

}  // namespace tessera::prod::s3

#include "prod/s3/aws_chunked.h"

#include <openssl/crypto.h>

#include "core/s3/s3_error.h"

namespace tessera::prod::s3 {
namespace {

constexpr size_t kLineBytesMax = 4096;
constexpr uint64_t kChunkBytesMax = 64ull << 20;

Status malformed(const std::string& what) { return s3_status("IncompleteBody", "aws-chunked body: " + what); }

bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

AwsChunkedSource::AwsChunkedSource(ByteSource& raw, AuthResult auth, bool signed_chunks, uint64_t decoded_length,
                                   const std::string& trailer)
    : raw_(raw), auth_(std::move(auth)), signed_(signed_chunks), decoded_length_(decoded_length),
      trailer_name_(trailer), previous_signature_(auth_.signature) {
  if (!trailer_name_.empty()) trailer_checksum_ = BodyChecksum::for_header(trailer_name_);
}

Task<Status> AwsChunkedSource::fill(size_t n) {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  while (buffer_.size() - pos_ < n) {
    auto more = co_await raw_.read(1 << 20);
    if (!more.is_ok()) co_return more.status();
    if (more.value().empty()) break;
    if (pos_ > 0) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    buffer_ += more.value();
  }
  co_return Status::ok();
}

Task<Result<std::string>> AwsChunkedSource::read_line() {
  for (;;) {
    const size_t end = buffer_.find("\r\n", pos_);
    if (end != std::string::npos) {
      std::string line = buffer_.substr(pos_, end - pos_);
      pos_ = end + 2;
      co_return line;
    }
    if (buffer_.size() - pos_ > kLineBytesMax) co_return malformed("a chunk header line is too long");
    const size_t have = buffer_.size() - pos_;
    if (Status s = co_await fill(have + 1); !s.is_ok()) co_return s;
    if (buffer_.size() - pos_ == have) co_return malformed("the body ended inside a chunk header");
  }
}

Task<Status> AwsChunkedSource::read_trailers() {
  std::string canonical;
  std::string trailer_signature;
  std::optional<std::string> checksum_value;
  for (;;) {
    auto line = co_await read_line();
    if (!line.is_ok()) co_return line.status();
    if (line.value().empty()) break;
    const size_t colon = line.value().find(':');
    if (colon == std::string::npos) co_return malformed("a trailer line has no ':'");
    std::string name = line.value().substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string value = line.value().substr(colon + 1);
    if (name == "x-amz-trailer-signature") {
      trailer_signature = value;
      continue;
    }
    canonical += name + ":" + value + "\n";
    if (name == trailer_name_) checksum_value = value;
  }
  if (signed_ && !trailer_name_.empty()) {
    const std::string expected =
        chunk_signature(auth_, "AWS4-HMAC-SHA256-TRAILER", previous_signature_, to_hex(sha256(canonical)));
    if (!same(expected, trailer_signature)) {
      co_return s3_status("SignatureDoesNotMatch", "the trailer signature does not match");
    }
  }
  if (trailer_checksum_) {
    if (!checksum_value) co_return malformed("the announced trailer " + trailer_name_ + " is missing");
    auto raw = base64_decode(*checksum_value);
    if (!raw || *raw != trailer_checksum_->finish()) {
      co_return s3_status("BadDigest", std::string("the ") + trailer_checksum_->name() +
                                           " you specified did not match the calculated checksum");
    }
    verified_trailer_ = *checksum_value;
  }
  co_return Status::ok();
}

std::vector<std::pair<std::string, std::string>> AwsChunkedSource::trailers() const {
  auto out = checks_.results();
  if (verified_trailer_) out.emplace_back(trailer_name_, *verified_trailer_);
  return out;
}

Task<Result<std::string>> AwsChunkedSource::read(size_t max) {
  for (;;) {
    if (state_ == State::kDone) co_return std::string();
    if (state_ == State::kHeader) {
      auto header = co_await read_line();
      if (!header.is_ok()) co_return header.status();
      const std::string& h = header.value();
      const size_t semi = h.find(';');
      const std::string size_hex = h.substr(0, semi);
      if (size_hex.empty() || size_hex.size() > 16 ||
          size_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        co_return malformed("bad chunk size '" + size_hex + "'");
      }
      chunk_left_ = std::stoull(size_hex, nullptr, 16);
      if (chunk_left_ > kChunkBytesMax) co_return malformed("a chunk is over 64 MiB");
      chunk_signature_.clear();
      if (semi != std::string::npos && h.compare(semi + 1, 16, "chunk-signature=") == 0) {
        chunk_signature_ = h.substr(semi + 17);
      }
      if (signed_ && chunk_signature_.empty()) co_return malformed("a chunk has no chunk-signature");
      chunk_digest_.emplace(StreamDigest::Kind::kSha256);
      state_ = State::kData;
      if (chunk_left_ > 0) continue;
      // The zero-size chunk: its signature, the trailers, the end.
      if (Status s = check_chunk_signature(); !s.is_ok()) co_return s;
      if (Status s = co_await read_trailers(); !s.is_ok()) co_return s;
      if (decoded_ != decoded_length_) {
        co_return malformed(std::to_string(decoded_) + " bytes, but x-amz-decoded-content-length says " +
                            std::to_string(decoded_length_));
      }
      state_ = State::kDone;
      if (Status s = checks_.verify(); !s.is_ok()) co_return s;
      co_return std::string();
    }
    // State::kData
    if (chunk_left_ == 0) {
      if (Status s = check_chunk_signature(); !s.is_ok()) co_return s;
      auto crlf = co_await read_line();
      if (!crlf.is_ok()) co_return crlf.status();
      if (!crlf.value().empty()) co_return malformed("chunk data is longer than its size");
      state_ = State::kHeader;
      continue;
    }
    if (Status s = co_await fill(1); !s.is_ok()) co_return s;
    if (buffer_.size() == pos_) co_return malformed("the body ended inside a chunk");
    const size_t n = static_cast<size_t>(std::min<uint64_t>({chunk_left_, buffer_.size() - pos_, max}));
    std::string out = buffer_.substr(pos_, n);
    pos_ += n;
    chunk_left_ -= n;
    decoded_ += n;
    if (decoded_ > decoded_length_) co_return malformed("more bytes than x-amz-decoded-content-length");
    chunk_digest_->update(out);
    checks_.update(out);
    if (trailer_checksum_) trailer_checksum_->update(out);
    co_return out;
  }
}

Status AwsChunkedSource::check_chunk_signature() {
  const std::string digest = hex_of(chunk_digest_->finish());
  chunk_digest_.reset();
  if (!signed_) return Status::ok();
  const std::string expected = chunk_signature(auth_, "AWS4-HMAC-SHA256-PAYLOAD", previous_signature_, digest);
  if (!same(expected, chunk_signature_)) return s3_status("SignatureDoesNotMatch", "a chunk signature does not match");
  previous_signature_ = chunk_signature_;
  return Status::ok();
}

}  // namespace tessera::prod::s3

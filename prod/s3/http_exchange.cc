#include "prod/s3/http_exchange.h"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "prod/s3/s3_error.h"

namespace tessera::prod::s3 {

namespace {
constexpr size_t kReadChunkBytes = 1u << 20;
}

std::optional<uint64_t> BodySource::raw_left() {
  auto& parser = x_.parser_;
  if (!raw_left_ && !parser.chunked() && !parser.is_done() && parser.content_length_remaining() &&
      total_ == 0) {
    raw_left_ = *parser.content_length_remaining();
  }
  return raw_left_;
}

Task<Result<size_t>> BodySource::read_into(char* dst, size_t n) {
  if (finished_) co_return size_t{0};
  size_t filled = 0;
  if (auto left = raw_left()) {
    // A body of known length bypasses the parser: the socket reads straight
    // into dst, as much as it has, where the parser would copy each 64 KiB
    // through its buffer. The header's read may have taken the first bytes.
    n = static_cast<size_t>(std::min<uint64_t>(n, *left));
    filled = boost::asio::buffer_copy(boost::asio::buffer(dst, n), x_.buffer_.data());
    x_.buffer_.consume(filled);
    while (filled < n) {
      auto r = co_await asio_op(x_.alive_, [&](auto handler) {
        x_.stream_.async_read_some(boost::asio::buffer(dst + filled, n - filled), std::move(handler));
      });
      if (r.ec) {
        finished_ = true;
        co_return s3_status("IncompleteBody", "the request body ended early: " + r.ec.message());
      }
      filled += r.bytes;
    }
    *raw_left_ -= filled;
  } else {
    auto& parser = x_.parser_;
    while (filled < n && !parser.is_done()) {
      parser.get().body().data = dst + filled;
      parser.get().body().size = n - filled;
      auto r = co_await asio_op(x_.alive_, [&](auto handler) {
        http::async_read_some(x_.stream_, x_.buffer_, parser, std::move(handler));
      });
      if (r.ec && r.ec != http::error::need_buffer) {
        finished_ = true;
        co_return s3_status("IncompleteBody", "the request body ended early: " + r.ec.message());
      }
      filled = n - parser.get().body().size;
    }
  }
  total_ += filled;
  checks_.update(std::string_view(dst, filled));
  if (done()) {
    finished_ = true;
    if (Status s = checks_.verify(); !s.is_ok()) co_return s;
  }
  co_return filled;
}

bool BodySource::done() const { return raw_left_ ? *raw_left_ == 0 : x_.parser_.is_done(); }

Task<Result<std::string>> BodySource::read(size_t max) {
  // A reused, uninitialised buffer: zeroing a fresh MiB per call cost more
  // than the rest when read_some returns a few KiB at a time.
  const size_t want = std::min(max, kReadChunkBytes);
  if (!buffer_) buffer_.reset(new char[kReadChunkBytes]);
  auto n = co_await read_into(buffer_.get(), want);
  if (!n.is_ok()) co_return n.status();
  co_return std::string(buffer_.get(), n.value());
}

Task<Status> BodySource::read_full(std::string* out, size_t max) {
  // One fill per stripe (no more than the body has left), then the socket
  // writes straight into it.
  const auto left = raw_left();
  out->resize(left ? std::min<uint64_t>(max, *left) : max);
  max = out->size();
  size_t filled = 0;
  while (filled < max) {
    auto n = co_await read_into(out->data() + filled, max - filled);
    if (!n.is_ok()) co_return n.status();
    if (n.value() == 0) break;
    filled += n.value();
  }
  out->resize(filled);
  co_return Status::ok();
}

Task<Result<std::string>> HttpExchange::read_all(size_t max) {
  std::string all;
  for (;;) {
    auto chunk = co_await body_.read(kReadChunkBytes);
    if (!chunk.is_ok()) co_return chunk.status();
    if (chunk.value().empty()) co_return all;
    all += chunk.value();
    if (all.size() > max) {
      co_return s3_status("MaxMessageLengthExceeded", "the request body is over " + std::to_string(max) + " bytes");
    }
  }
}

template <typename Response>
void HttpExchange::apply_headers(Response& res, unsigned status) {
  res.result(status);
  res.version(request().version());
  res.keep_alive(request().keep_alive());
  res.set(http::field::server, "Tessera");
  for (const auto& [name, value] : headers_) res.set(name, value);
  status_ = status;
  sent_ = true;
}

Task<bool> HttpExchange::send(unsigned status, std::string body, const std::string& content_type) {
  http::response<http::string_body> res;
  apply_headers(res, status);
  if (!body.empty()) res.set(http::field::content_type, content_type);
  bytes_out_ += body.size();
  res.body() = std::move(body);
  res.prepare_payload();
  // HEAD answers carry the length of what GET would send.
  for (const auto& [name, value] : headers_) {
    if (name == "Content-Length") res.set(http::field::content_length, value);
  }
  auto r = co_await asio_op(alive_, [&](auto handler) { http::async_write(stream_, res, std::move(handler)); });
  co_return !r.ec;
}

Task<bool> HttpExchange::begin_stream(unsigned status, uint64_t length) {
  stream_response_ = std::make_unique<http::response<http::buffer_body>>();
  auto& res = *stream_response_;
  apply_headers(res, status);
  res.content_length(length);
  res.body().data = nullptr;
  res.body().more = true;
  serializer_ = std::make_unique<http::response_serializer<http::buffer_body>>(res);
  auto r = co_await asio_op(alive_, [&](auto handler) {
    http::async_write_header(stream_, *serializer_, std::move(handler));
  });
  co_return !r.ec;
}

Task<Status> HttpExchange::write_chunk(std::string bytes) {
  ASSERT(serializer_ != nullptr);
  auto& res = *stream_response_;
  res.body().data = bytes.data();
  res.body().size = bytes.size();
  res.body().more = true;
  auto r = co_await asio_op(alive_, [&](auto handler) { http::async_write(stream_, *serializer_, std::move(handler)); });
  if (r.ec && r.ec != http::error::need_buffer) co_return Status(Code::kAborted, "client gone: " + r.ec.message());
  bytes_out_ += bytes.size();
  co_return Status::ok();
}

Task<bool> HttpExchange::end_stream() {
  ASSERT(serializer_ != nullptr);
  auto& res = *stream_response_;
  res.body().data = nullptr;
  res.body().size = 0;
  res.body().more = false;
  auto r = co_await asio_op(alive_, [&](auto handler) { http::async_write(stream_, *serializer_, std::move(handler)); });
  stream_ended_ = !r.ec;
  co_return !r.ec;
}

}  // namespace tessera::prod::s3

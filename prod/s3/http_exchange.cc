#include "prod/s3/http_exchange.h"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "core/s3/s3_error.h"

namespace tessera::prod::s3 {

namespace {
constexpr size_t kReadChunkBytes = 1u << 20;
constexpr size_t kWritePieceBytes = 256u << 10;
// A fresh stripe buffer grows by this much at a time (zeroed, then read
// into), so what it makes resident follows what the client sent.
constexpr size_t kGrowStepBytes = 256u << 10;
}

BodySource::~BodySource() {
  if (charged_ > 0) x_.context_.budget.release(charged_);
}

std::optional<uint64_t> BodySource::raw_left() {
  auto& parser = x_.parser_;
  if (!raw_left_ && !parser.chunked() && !parser.is_done() && parser.content_length_remaining() &&
      total_ == 0) {
    raw_left_ = *parser.content_length_remaining();
  }
  return raw_left_;
}

Task<Status> BodySource::charge(size_t n) {
  const HttpLimits& limits = x_.context_.limits;
  // Past the per-request bound the request reuses memory it already holds.
  const uint64_t want = std::min<uint64_t>(total_ + n, limits.body_bytes_per_request_max);
  if (want <= charged_) co_return Status::ok();
  const uint64_t more = want - charged_;
  // Longer than a stalled client keeps what it holds (the body timeout),
  // so waiting for room ends in RequestTimeout for the stalled, not SlowDown.
  Status s = co_await x_.context_.budget.acquire(more, Duration::seconds(3 * int64_t{limits.body_timeout_s}));
  if (s.is_ok()) charged_ += more;
  ASSERT(charged_ <= limits.body_bytes_per_request_max);
  co_return s;
}

Status BodySource::read_error(const boost::system::error_code& ec) {
  finished_ = true;
  if (x_.watchdog_.fired()) {
    ++x_.context_.counters.body_timeouts_total;
    return s3_status("RequestTimeout",
                     "Your socket connection to the server was not read from or written to within the timeout "
                     "period (" + std::to_string(x_.context_.limits.body_timeout_s) + " s); nothing was stored");
  }
  return s3_status("IncompleteBody", "the request body ended early: " + ec.message());
}

Task<Result<size_t>> BodySource::read_into(char* dst, size_t n) {
  if (finished_) co_return size_t{0};
  const uint32_t timeout_s = x_.context_.limits.body_timeout_s;
  size_t filled = 0;
  if (auto left = raw_left()) {
    // A body of known length bypasses the parser: the socket reads straight
    // into dst, as much as it has, where the parser would copy each 64 KiB
    // through its buffer. The header's read may have taken the first bytes.
    n = static_cast<size_t>(std::min<uint64_t>(n, *left));
    if (Status s = co_await charge(n); !s.is_ok()) {
      finished_ = true;
      co_return s;
    }
    filled = boost::asio::buffer_copy(boost::asio::buffer(dst, n), x_.buffer_.data());
    x_.buffer_.consume(filled);
    while (filled < n) {
      auto r = co_await x_.watched(timeout_s, [&](auto handler) {
        x_.stream_.async_read_some(boost::asio::buffer(dst + filled, n - filled), std::move(handler));
      });
      if (r.ec) co_return read_error(r.ec);
      filled += r.bytes;
    }
    *raw_left_ -= filled;
  } else {
    if (Status s = co_await charge(n); !s.is_ok()) {
      finished_ = true;
      co_return s;
    }
    auto& parser = x_.parser_;
    while (filled < n && !parser.is_done()) {
      parser.get().body().data = dst + filled;
      parser.get().body().size = n - filled;
      auto r = co_await x_.watched(timeout_s, [&](auto handler) {
        http::async_read_some(x_.stream_, x_.buffer_, parser, std::move(handler));
      });
      if (r.ec && r.ec != http::error::need_buffer) co_return read_error(r.ec);
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
  // The socket writes straight into out. A fresh buffer is reserved whole
  // (untouched, so not yet resident) and grows a step at a time as bytes
  // arrive: memory follows what the client sent, not what it declared. A
  // reused buffer is already that size and is not zeroed again.
  const auto left = raw_left();
  max = left ? static_cast<size_t>(std::min<uint64_t>(max, *left)) : max;
  out->reserve(max);
  size_t filled = 0;
  while (filled < max) {
    const size_t step = std::min(max - filled, kGrowStepBytes);
    if (out->size() < filled + step) out->resize(filled + step);
    auto n = co_await read_into(out->data() + filled, step);
    if (!n.is_ok()) co_return n.status();
    if (n.value() == 0) break;
    filled += n.value();
  }
  out->resize(filled);
  co_return Status::ok();
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
  co_return co_await write_watched([&](auto handler) { http::async_write(stream_, res, std::move(handler)); });
}

Task<bool> HttpExchange::begin_stream(unsigned status, uint64_t length) {
  stream_response_ = std::make_unique<http::response<http::buffer_body>>();
  auto& res = *stream_response_;
  apply_headers(res, status);
  res.content_length(length);
  res.body().data = nullptr;
  res.body().more = true;
  serializer_ = std::make_unique<http::response_serializer<http::buffer_body>>(res);
  co_return co_await write_watched(
      [&](auto handler) { http::async_write_header(stream_, *serializer_, std::move(handler)); });
}

Task<Status> HttpExchange::write_chunk(std::string bytes) {
  ASSERT(serializer_ != nullptr);
  auto& res = *stream_response_;
  // Bounded pieces, so the send deadline measures progress, not the time
  // a slow reader takes for a whole stripe.
  for (size_t at = 0; at < bytes.size(); at += kWritePieceBytes) {
    const size_t piece = std::min(kWritePieceBytes, bytes.size() - at);
    res.body().data = bytes.data() + at;
    res.body().size = piece;
    res.body().more = true;
    const bool ok =
        co_await write_watched([&](auto handler) { http::async_write(stream_, *serializer_, std::move(handler)); });
    if (!ok) co_return Status(Code::kAborted, "client gone or not reading");
    bytes_out_ += piece;
  }
  co_return Status::ok();
}

Task<bool> HttpExchange::end_stream() {
  ASSERT(serializer_ != nullptr);
  auto& res = *stream_response_;
  res.body().data = nullptr;
  res.body().size = 0;
  res.body().more = false;
  stream_ended_ =
      co_await write_watched([&](auto handler) { http::async_write(stream_, *serializer_, std::move(handler)); });
  co_return stream_ended_;
}

}  // namespace tessera::prod::s3

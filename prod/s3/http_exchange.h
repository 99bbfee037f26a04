// One HTTP request/response over a Beast stream, as our Task coroutines see
// it: the parsed header, the body as a ByteSource read in bounded chunks
// (checked against Content-MD5 / x-amz-content-sha256 at its end), and
// responses sent whole or streamed. Asio completions resume the coroutine
// on the event loop; after shutdown (alive false) they are dropped.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <coroutine>
#include <map>
#include <memory>
#include <optional>
#include <algorithm>
#include <string>
#include <vector>

#include "core/codec/sha256.h"
#include "io_abstraction/byte_stream.h"
#include "prod/s3/body_budget.h"
#include "core/s3/body_checks.h"
#include "core/s3/s3_api.h"
#include "prod/s3/core_s3.h"
#include "prod/s3/http_limits.h"

namespace tessera::prod::s3 {

namespace http = boost::beast::http;
using RequestParser = http::request_parser<http::buffer_body>;

// co_await asio_op(alive, [&](auto handler) { async_x(..., handler); }) ->
// the operation's error code and byte count.
struct AsioResult {
  boost::system::error_code ec;
  size_t bytes = 0;
};
template <typename Start>
auto asio_op(std::shared_ptr<bool> alive, Start start) {
  struct Awaiter {
    std::shared_ptr<bool> alive;
    Start start;
    AsioResult result;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      start([this, h, alive = alive](boost::system::error_code ec, size_t n) {
        if (!*alive) return;  // the coroutine is gone with the runtime
        result = {ec, n};
        h.resume();
      });
    }
    AsioResult await_resume() { return result; }
  };
  return Awaiter{std::move(alive), std::move(start), {}};
}

class HttpExchange;

// What every exchange of a server shares: its limits, the request-body
// budget, the counters behind /metrics.
struct HttpContext {
  const HttpLimits& limits;
  BodyBudget& budget;
  HttpCounters& counters;
  ProgressWatchdogs& watchdogs;
};

// The request body: bounded chunks, checks verified at the end. Bytes are
// charged to the server's BodyBudget before they are read (up to the
// per-request bound) and given back when the request ends; a body that
// moves no byte for the body timeout ends with 400 RequestTimeout.
class BodySource final : public CheckedSource {
 public:
  explicit BodySource(HttpExchange& x) : x_(x) {}
  ~BodySource() override;
  Task<Result<std::string>> read(size_t max) override;
  // Reads straight into out's memory: no copy through a buffer.
  Task<Status> read_full(std::string* out, size_t max) override;
  uint64_t bytes_read() const { return total_; }
  // All of the body has been read.
  bool done() const;

 private:
  HttpExchange& x_;
  uint64_t total_ = 0;
  uint64_t charged_ = 0;  // taken from the budget, returned at the end
  // Reads up to n bytes into dst; returns how many (0 at the end).
  Task<Result<size_t>> read_into(char* dst, size_t n);
  // Charges the budget for reading n more bytes.
  Task<Status> charge(size_t n);
  Status read_error(const boost::system::error_code& ec);

  // Bytes left of a body of known length, which is read past the parser
  // (set at the first read; nullopt for chunked bodies and those without).
  std::optional<uint64_t> raw_left();
  std::optional<uint64_t> raw_left_;

  std::unique_ptr<char[]> buffer_;
  bool finished_ = false;
};

class HttpExchange final : public S3Reply {
 public:
  HttpExchange(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer, RequestParser& parser,
               std::shared_ptr<bool> alive, HttpContext context)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        alive_(std::move(alive)),
        context_(context),
        watchdog_(context.watchdogs, stream),
        body_(*this) {}

  const http::request<http::buffer_body>& request() const { return parser_.get(); }
  BodySource& body() { return body_; }
  bool body_done() const { return body_.done(); }

  // Response headers to add to whatever is sent next.
  void set_header(const std::string& name, const std::string& value) override { headers_.emplace_back(name, value); }
  size_t header_count() const override { return headers_.size(); }
  void drop_headers_after(size_t n) override { headers_.resize(std::min(n, headers_.size())); }
  Task<bool> send(unsigned status, std::string body, const std::string& content_type = "application/xml") override;
  // Streams a body of exactly length bytes: begin, write..., end.
  Task<bool> begin_stream(unsigned status, uint64_t length) override;
  Task<Status> write_chunk(std::string bytes) override;
  Task<bool> end_stream() override;
  bool sent() const override { return sent_; }
  // A streamed response that did not reach its end: the connection must close.
  bool broken() const { return serializer_ != nullptr && !stream_ended_; }
  unsigned status() const { return status_; }
  uint64_t bytes_out() const { return bytes_out_; }

 private:
  friend class BodySource;
  template <typename Response>
  void apply_headers(Response& res, unsigned status);
  // One socket operation under the progress watchdog.
  template <typename Start>
  Task<AsioResult> watched(uint32_t limit_s, Start start) {
    watchdog_.begin(limit_s);
    AsioResult r = co_await asio_op(alive_, std::move(start));
    watchdog_.end();
    co_return r;
  }
  // A response write: the send deadline, and its count when it fires.
  template <typename Start>
  Task<bool> write_watched(Start start) {
    AsioResult r = co_await watched(context_.limits.send_timeout_s, std::move(start));
    if (r.ec && watchdog_.fired()) ++context_.counters.send_timeouts_total;
    co_return !r.ec || r.ec == http::error::need_buffer;
  }

  boost::beast::tcp_stream& stream_;
  boost::beast::flat_buffer& buffer_;
  RequestParser& parser_;
  std::shared_ptr<bool> alive_;
  HttpContext context_;
  ProgressWatchdog watchdog_;
  BodySource body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  bool sent_ = false;
  unsigned status_ = 0;
  uint64_t bytes_out_ = 0;
  bool stream_ended_ = false;
  std::unique_ptr<http::response<http::buffer_body>> stream_response_;
  std::unique_ptr<http::response_serializer<http::buffer_body>> serializer_;
};

}  // namespace tessera::prod::s3

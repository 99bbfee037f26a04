#include "prod/s3/http_server.h"

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <limits>

#include "core/s3/s3_error.h"

namespace tessera::prod::s3 {

namespace {
constexpr size_t kHeaderBytesMax = 16 * 1024;
constexpr int64_t kBadRequestWindowUs = 10'000'000;
constexpr uint32_t kBadRequestsMax = 500;
constexpr size_t kTrackedClientsMax = 10000;
}  // namespace

bool HttpServer::throttled(const std::string& client) {
  auto found = bad_requests_.find(client);
  if (found == bad_requests_.end()) return false;
  if (rt_.now().us - found->second.window_start_us > kBadRequestWindowUs) {
    bad_requests_.erase(found);
    return false;
  }
  return found->second.count >= kBadRequestsMax;
}

void HttpServer::count_bad_request(const std::string& client) {
  if (bad_requests_.size() >= kTrackedClientsMax && bad_requests_.count(client) == 0) bad_requests_.clear();
  BadRequests& b = bad_requests_[client];
  const int64_t now = rt_.now().us;
  if (now - b.window_start_us > kBadRequestWindowUs) b = BadRequests{now, 0};
  ++b.count;
}

HttpServer::HttpServer(Runtime& rt, boost::asio::io_context& io, S3Service& s3, HttpLimits limits,
                       std::function<std::map<std::string, double>()> extra_metrics)
    : rt_(rt),
      io_(io),
      s3_(s3),
      limits_(limits),
      budget_(rt, limits.body_buffer_bytes_max),
      extra_metrics_(std::move(extra_metrics)),
      acceptor_(io) {
  ASSERT(limits_.body_bytes_per_request_max <= limits_.body_buffer_bytes_max);
}

std::map<std::string, double> HttpServer::limit_metrics() const {
  return {
      {"tessera_http_connections_open", static_cast<double>(counters_.connections_open)},
      {"tessera_http_connections_max", static_cast<double>(limits_.connections_max)},
      {"tessera_http_connections_refused_total", static_cast<double>(counters_.connections_refused_total)},
      {"tessera_http_timeouts_total{phase=\"header\"}", static_cast<double>(counters_.header_timeouts_total)},
      {"tessera_http_timeouts_total{phase=\"body\"}", static_cast<double>(counters_.body_timeouts_total)},
      {"tessera_http_timeouts_total{phase=\"send\"}", static_cast<double>(counters_.send_timeouts_total)},
      {"tessera_http_body_buffer_bytes", static_cast<double>(budget_.in_use())},
      {"tessera_http_body_buffer_bytes_max", static_cast<double>(budget_.bytes_max())},
      {"tessera_http_body_buffer_waits_total", static_cast<double>(budget_.waits_total())},
      {"tessera_http_body_buffer_wait_timeouts_total", static_cast<double>(budget_.wait_timeouts_total())},
  };
}

HttpServer::~HttpServer() { *alive_ = false; }

Status HttpServer::listen(const std::string& address, uint16_t port) {
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(address, ec);
  if (ec) return Status(Code::kInvalidArgument, "not an IP address: " + address);
  const boost::asio::ip::tcp::endpoint ep(ip, port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return Status(Code::kIoError, "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  return Status::ok();
}

uint16_t HttpServer::port() const { return acceptor_.local_endpoint().port(); }

void HttpServer::start() {
  rt_.spawn(accept_loop());
  rt_.spawn(sweep_watchdogs());
}

Task<void> HttpServer::sweep_watchdogs() {
  // Runs while the server does: in-flight requests drain after shutdown
  // begins, and they keep their deadlines.
  std::shared_ptr<bool> alive = alive_;
  for (;;) {
    co_await sleep(rt_, Duration::seconds(1));
    if (!*alive) co_return;
    watchdogs_.sweep(ProgressWatchdogs::Clock::now());
  }
}

void HttpServer::begin_shutdown() {
  shutting_down_ = true;
  ready_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
}

Task<void> HttpServer::accept_loop() {
  while (!shutting_down_) {
    boost::asio::ip::tcp::socket socket(io_);
    auto r = co_await asio_op(alive_, [&](auto handler) {
      acceptor_.async_accept(socket, [h = std::move(handler)](boost::system::error_code ec) mutable { h(ec, 0); });
    });
    if (shutting_down_) break;
    if (r.ec) continue;  // a failed accept (e.g. out of descriptors) does not stop the server
    // Responses go out as header then body writes: without NODELAY, Nagle
    // and delayed ACKs stall each small response ~40 ms.
    boost::system::error_code ec;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    if (counters_.connections_open >= limits_.connections_max) {
      ++counters_.connections_refused_total;
      rt_.spawn(refuse(std::move(socket)));
      continue;
    }
    ++counters_.connections_open;  // here, not in the coroutine: a burst of accepts counts at once
    rt_.spawn(connection(std::move(socket)));
  }
}

Task<void> HttpServer::refuse(boost::asio::ip::tcp::socket socket) {
  boost::beast::tcp_stream stream(std::move(socket));
  http::response<http::string_body> res{http::status::service_unavailable, 11};
  res.body() = error_xml({503, "SlowDown", "the server has " + std::to_string(limits_.connections_max) +
                                               " connections open, its limit; retry"},
                         "", "");
  res.prepare_payload();
  res.keep_alive(false);
  stream.expires_after(std::chrono::seconds(5));
  co_await asio_op(alive_, [&](auto handler) { http::async_write(stream, res, std::move(handler)); });
  boost::system::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

Task<AsioResult> HttpServer::read_header(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                                         RequestParser& parser, ProgressWatchdog& watch) {
  if (buffer.size() == 0) {
    watch.begin(limits_.idle_timeout_s);
    auto first = co_await asio_op(alive_, [&](auto handler) {
      // As much as Beast's own header read takes at once, so a header over
      // the limit is read whole before the 400 (closing on unread bytes
      // would reset the connection under the response).
      stream.async_read_some(buffer.prepare(64 * 1024), std::move(handler));
    });
    watch.end();
    if (first.ec && watch.fired()) first.ec = boost::beast::error::timeout;
    if (first.ec) co_return first;
    buffer.commit(first.bytes);
  }
  // The whole header within the deadline of its first byte.
  watch.begin(limits_.header_timeout_s);
  auto r = co_await asio_op(alive_, [&](auto handler) {
    http::async_read_header(stream, buffer, parser, std::move(handler));
  });
  watch.end();
  if (r.ec && watch.fired()) {
    r.ec = boost::beast::error::timeout;
    ++counters_.header_timeouts_total;
  }
  co_return r;
}

void HttpServer::add_side_route(std::string prefix, SideHandler handler) {
  side_routes_.emplace_back(std::move(prefix), std::move(handler));
}

const SideHandler* HttpServer::side_route(const std::string& target) const {
  for (const auto& [prefix, handler] : side_routes_) {
    if (target.compare(0, prefix.size(), prefix) == 0) return &handler;
  }
  return nullptr;
}

Task<void> HttpServer::serve_side(HttpExchange& x, const SideHandler& handler, const RequestParser& parser) {
  const auto& req = parser.get();
  if (req.has_content_length() || req.chunked()) {
    // Side routes take no body; reading one is not worth a bound of its own.
    if (!(req.has_content_length() && req[http::field::content_length] == "0")) {
      co_await x.send(400, "{\"error\":\"BadRequest\",\"message\":\"admin requests carry no body\"}\n",
                      "application/json");
      co_return;
    }
  }
  SideRequest r{std::string(req.method_string()), std::string(req.target()),
                std::string(req[http::field::authorization])};
  SideReply reply = co_await handler(std::move(r));
  co_await x.send(reply.status, reply.body, reply.content_type);
}

Task<void> HttpServer::connection(boost::asio::ip::tcp::socket socket) {
  boost::system::error_code peer_ec;
  const std::string client = socket.remote_endpoint(peer_ec).address().to_string();
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  ProgressWatchdog header_watch(watchdogs_, stream);
  while (!shutting_down_) {
    RequestParser parser;
    parser.header_limit(kHeaderBytesMax);
    // Per-operation limits are checked from Content-Length. (Not boost::none:
    // Boost 1.74 compares the length against an empty optional and fails.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    auto r = co_await read_header(stream, buffer, parser, header_watch);
    const std::string target(parser.get().target());
    const bool ops = target == "/health" || target == "/ready" || target == "/metrics";
    if (r.ec || (!ops && throttled(client))) {
      if (!r.ec) {
        http::response<http::string_body> res{http::status::service_unavailable, 11};
        res.body() = error_xml({503, "SlowDown", "too many bad requests from " + client + "; slow down"}, "", "");
        res.prepare_payload();
        res.keep_alive(false);
        co_await asio_op(alive_, [&](auto handler) { http::async_write(stream, res, std::move(handler)); });
      } else if (r.ec == http::error::header_limit) {
        count_bad_request(client);
        http::response<http::string_body> res{http::status::bad_request, 11};
        res.body() = error_xml({400, "RequestHeaderSectionTooLarge", "the request header is over 16 KiB"}, "", "");
        res.prepare_payload();
        res.keep_alive(false);
        co_await asio_op(alive_, [&](auto handler) { http::async_write(stream, res, std::move(handler)); });
      } else if (r.ec != http::error::end_of_stream && r.ec != boost::asio::error::eof &&
                 r.ec != boost::beast::error::timeout && r.ec != boost::asio::error::connection_reset) {
        count_bad_request(client);
        http::response<http::string_body> res{http::status::bad_request, 11};
        res.body() = error_xml({400, "BadRequest", "malformed HTTP request: " + r.ec.message()}, "", "");
        res.prepare_payload();
        res.keep_alive(false);
        co_await asio_op(alive_, [&](auto handler) { http::async_write(stream, res, std::move(handler)); });
      }
      break;
    }
    if (parser.get()[http::field::expect] == "100-continue") {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto w = co_await asio_op(alive_, [&](auto handler) {
        boost::asio::async_write(stream, boost::asio::buffer(kContinue), std::move(handler));
      });
      if (w.ec) break;
    }
    ++in_flight_;
    char id[20];
    std::snprintf(id, sizeof id, "%016llX", static_cast<unsigned long long>(++next_request_));
    HttpExchange x(stream, buffer, parser, alive_, HttpContext{limits_, budget_, counters_, watchdogs_});
    if (const SideHandler* side = side_route(target)) {
      co_await serve_side(x, *side, parser);
    } else if (ops) {
      if (target == "/metrics") {
        auto gauges = extra_metrics_();
        gauges.merge(limit_metrics());
        co_await x.send(200, s3_.metrics().render(gauges), "text/plain; version=0.0.4");
      } else if (target == "/ready" && !ready_) {
        co_await x.send(503, "not ready\n", "text/plain");
      } else {
        co_await x.send(200, "ok\n", "text/plain");
      }
    } else {
      co_await s3_.serve(x, id);
    }
    --in_flight_;
    // Malformed or unauthenticated requests; not ordinary outcomes like 404, 409, 412.
    const unsigned st = x.status();
    if (st == 400 || st == 403 || st == 405 || st == 411) count_bad_request(client);
    // A response cut short, an unread body or Connection: close ends it.
    if (!x.sent() || x.broken() || !x.body_done() || !parser.get().keep_alive()) break;
  }
  --counters_.connections_open;
  boost::system::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

}  // namespace tessera::prod::s3

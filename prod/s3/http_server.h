// HttpServer: accepts connections and serves HTTP/1.1 keep-alive requests
// with Beast, one coroutine per connection on the event loop. /health,
// /ready and /metrics are answered here; everything else goes to the S3
// service. Limits (HttpLimits): 16 KiB of request header; idle, header,
// body and send deadlines; a cap on open connections; a budget of
// request-body bytes in memory. Shutdown stops accepting, lets in-flight
// requests finish, then closes idle connections.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "prod/s3/body_budget.h"
#include "prod/s3/http_limits.h"
#include "prod/s3/s3_service.h"

namespace tessera::prod::s3 {

// A request under a side route's prefix (the admin endpoint), and its
// answer: not S3, no body.
struct SideRequest {
  std::string method;
  std::string target;
  std::string authorization;
};
struct SideReply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
};
using SideHandler = std::function<Task<SideReply>(SideRequest)>;

class HttpServer {
 public:
  // extra_metrics: gauges to append to /metrics (disk fill, gateway counters).
  HttpServer(Runtime& rt, boost::asio::io_context& io, S3Service& s3, HttpLimits limits,
             std::function<std::map<std::string, double>()> extra_metrics);
  ~HttpServer();
  Status listen(const std::string& address, uint16_t port);
  uint16_t port() const;
  void start();
  // Stops accepting; requests in flight finish.
  void begin_shutdown();
  size_t in_flight() const { return in_flight_; }
  void set_ready(bool ready) { ready_ = ready; }
  // Requests whose target starts with prefix go to handler, not to S3.
  void add_side_route(std::string prefix, SideHandler handler);

 private:
  Task<void> accept_loop();
  Task<void> connection(boost::asio::ip::tcp::socket socket);
  // Over the connection cap: 503 SlowDown, then close.
  Task<void> refuse(boost::asio::ip::tcp::socket socket);
  // Waits for a request's first byte (idle deadline), then reads its
  // header (header deadline).
  Task<AsioResult> read_header(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                               RequestParser& parser, ProgressWatchdog& watch);
  std::map<std::string, double> limit_metrics() const;
  // Once a second: cuts socket operations past their progress deadline.
  Task<void> sweep_watchdogs();
  // Clients that keep sending bad requests (4xx) are slowed down: beyond
  // kBadRequestsMax in a window, their requests get 503 SlowDown unread.
  bool throttled(const std::string& client);
  void count_bad_request(const std::string& client);
  struct BadRequests {
    int64_t window_start_us = 0;
    uint32_t count = 0;
  };
  std::map<std::string, BadRequests> bad_requests_;

  Runtime& rt_;
  boost::asio::io_context& io_;
  S3Service& s3_;
  HttpLimits limits_;
  HttpCounters counters_;
  BodyBudget budget_;
  ProgressWatchdogs watchdogs_;
  std::function<std::map<std::string, double>()> extra_metrics_;
  std::vector<std::pair<std::string, SideHandler>> side_routes_;
  // The side route a target falls under (nullptr: none).
  const SideHandler* side_route(const std::string& target) const;
  Task<void> serve_side(HttpExchange& x, const SideHandler& handler, const RequestParser& parser);
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool shutting_down_ = false;
  bool ready_ = false;
  size_t in_flight_ = 0;
  uint64_t next_request_ = 0;
};

}  // namespace tessera::prod::s3

#include "prod/tcp_network.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <deque>

#include "envelope.pb.h"

namespace tessera::prod {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto kConnectTimeout = std::chrono::seconds(2);
constexpr int kBackoffMsMin = 10;
constexpr int kBackoffMsMax = 2000;

std::string encode_frame(NodeId from, const Message& msg) {
  proto::Envelope env;
  env.set_from_node(from.value);
  env.set_call_id(msg.call_id);
  env.set_is_response(msg.is_response);
  env.set_method(msg.method);
  env.set_payload(msg.payload);
  env.set_status_code(msg.status_code);
  env.set_status_message(msg.status_message);
  env.set_status_reason(msg.status_reason);
  std::string body = env.SerializeAsString();
  std::string frame(4, '\0');
  const auto n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>(n >> (8 * i));
  return frame + body;
}

uint32_t decode_length(const unsigned char* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
}  // namespace

// One outgoing connection with its queue of frames.
class TcpNetwork::Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(asio::io_context& io, tcp::endpoint endpoint, std::shared_ptr<Stats> stats)
      : io_(io), endpoint_(endpoint), socket_(io), timer_(io), stats_(stats) {}

  void enqueue(std::string frame) {
    if (stopped_) return;
    if (queued_bytes_ + frame.size() > kQueuedBytesMax) {
      ++stats_->frames_dropped;
      return;
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (connected_) {
      write_next();
    } else if (!connecting_ && !waiting_) {
      connect();
    }
  }

  void stop() {
    stopped_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    queue_.clear();
    queued_bytes_ = 0;
  }

 private:
  void connect() {
    connecting_ = true;
    socket_ = tcp::socket(io_);
    timer_.expires_after(kConnectTimeout);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec && self->connecting_) {
        error_code ignored;
        self->socket_.close(ignored);  // the connect completes with an error
      }
    });
    socket_.async_connect(endpoint_, [self = shared_from_this()](const error_code& ec) {
      self->connecting_ = false;
      self->timer_.cancel();
      if (self->stopped_) return;
      if (ec) {
        ++self->stats_->connect_failures;
        self->retry_later();
        return;
      }
      ++self->stats_->connects;
      self->connected_ = true;
      self->backoff_ms_ = kBackoffMsMin;
      error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->write_next();
    });
  }

  void retry_later() {
    connected_ = false;
    error_code ignored;
    socket_.close(ignored);
    if (queue_.empty()) return;
    waiting_ = true;
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    backoff_ms_ = std::min(backoff_ms_ * 2, kBackoffMsMax);
    timer_.async_wait([self = shared_from_this()](const error_code&) {
      self->waiting_ = false;
      if (!self->stopped_ && !self->queue_.empty()) self->connect();
    });
  }

  void write_next() {
    if (writing_ || queue_.empty() || !connected_) return;
    writing_ = true;
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](const error_code& ec, size_t) {
                        self->writing_ = false;
                        if (self->stopped_) return;
                        // Sent or broken: either way this frame leaves the queue.
                        self->queued_bytes_ -= self->queue_.front().size();
                        self->queue_.pop_front();
                        if (ec) {
                          ++self->stats_->frames_dropped;
                          self->retry_later();
                          return;
                        }
                        ++self->stats_->frames_sent;
                        self->write_next();
                      });
  }

  asio::io_context& io_;
  tcp::endpoint endpoint_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Stats> stats_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  int backoff_ms_ = kBackoffMsMin;
  bool connecting_ = false, connected_ = false, writing_ = false, waiting_ = false, stopped_ = false;
};

// One accepted connection, read frame by frame.
class TcpNetwork::Inbound : public std::enable_shared_from_this<Inbound> {
 public:
  Inbound(tcp::socket socket, TcpNetwork& net)
      : socket_(std::move(socket)), net_(net), alive_(net.alive_) {}

  void start() { read_header(); }
  void close() {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  void read_header() {
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this()](const error_code& ec, size_t) {
                       if (ec || !*self->alive_) return;
                       const uint32_t n = decode_length(self->header_);
                       if (n > kFrameBytesMax) {
                         ++self->net_.stats_->bad_frames;
                         self->close();
                         return;
                       }
                       self->body_.resize(n);
                       self->read_body();
                     });
  }
  void read_body() {
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this()](const error_code& ec, size_t) {
                       if (ec || !*self->alive_) return;
                       self->net_.dispatch(self->body_);
                       self->read_header();
                     });
  }

  tcp::socket socket_;
  TcpNetwork& net_;
  std::shared_ptr<bool> alive_;
  unsigned char header_[4];
  std::string body_;
};

TcpNetwork::TcpNetwork(asio::io_context& io, NodeId self) : io_(io), self_(self), acceptor_(io) {}

TcpNetwork::~TcpNetwork() { stop(); }

Status TcpNetwork::listen(const std::string& address, uint16_t port) {
  error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return Status(Code::kInvalidArgument, "bad listen address " + address);
  tcp::endpoint endpoint(ip, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable,
                  "listen on " + address + ":" + std::to_string(port) + ": " + ec.message());
  }
  accept_next();
  return Status::ok();
}

uint16_t TcpNetwork::port() const {
  error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void TcpNetwork::add_peer(NodeId peer, const std::string& address, uint16_t port) {
  tcp::endpoint endpoint(asio::ip::make_address(address), port);
  peers_[peer] = std::make_shared<Peer>(io_, endpoint, stats_);
}

void TcpNetwork::accept_next() {
  acceptor_.async_accept([this, alive = alive_](const error_code& ec, tcp::socket socket) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (!ec) {
      auto conn = std::make_shared<Inbound>(std::move(socket), *this);
      // Forget connections that have closed, so the table stays bounded.
      for (auto it = inbound_.begin(); it != inbound_.end();) {
        it = it->second.expired() ? inbound_.erase(it) : std::next(it);
      }
      inbound_[next_inbound_id_++] = conn;
      conn->start();
    }
    accept_next();
  });
}

void TcpNetwork::dispatch(const std::string& frame) {
  proto::Envelope env;
  if (!env.ParseFromString(frame)) {
    ++stats_->bad_frames;
    return;
  }
  ++stats_->frames_received;
  if (!receiver_) return;
  Message msg;
  msg.call_id = env.call_id();
  msg.is_response = env.is_response();
  msg.method = env.method();
  msg.payload = std::move(*env.mutable_payload());
  msg.status_code = env.status_code();
  msg.status_message = env.status_message();
  msg.status_reason = env.status_reason();
  receiver_(NodeId(static_cast<uint32_t>(env.from_node())), std::move(msg));
}

void TcpNetwork::send(NodeId to, Message msg) {
  if (!*alive_) return;
  auto it = peers_.find(to);
  if (it == peers_.end()) {
    ++stats_->frames_dropped;  // unknown peer: like an unroutable address
    return;
  }
  it->second->enqueue(encode_frame(self_, msg));
}

void TcpNetwork::stop() {
  if (!*alive_) return;
  *alive_ = false;
  error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, peer] : peers_) peer->stop();
  for (auto& [id, conn] : inbound_) {
    if (auto c = conn.lock()) c->close();
  }
}

}  // namespace tessera::prod

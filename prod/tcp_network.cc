#include "prod/tcp_network.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
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
constexpr int kBackoffMsMax = 500;

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

// One outgoing connection with its queue of frames. The peer never
// writes on it (its replies come over its own connection to us), so a read
// that completes means the peer closed or reset it: the process died or
// restarted. Then, or when a write or a connect fails, the queue is
// dropped and the network told at once, which ends the calls waiting on
// it. After a failed connect, frames are dropped (and reported) until a
// short backoff ends, so calls to a dead peer fail fast.
class TcpNetwork::Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(asio::io_context& io, tcp::endpoint endpoint, std::shared_ptr<Stats> stats, std::function<void()> on_broken)
      : io_(io), endpoint_(endpoint), socket_(io), timer_(io), stats_(stats), on_broken_(std::move(on_broken)) {}

  void enqueue(std::string frame) {
    if (state_ == State::kStopped) return;
    if (state_ == State::kBackoff || queued_bytes_ + frame.size() > kQueuedBytesMax) {
      ++stats_->frames_dropped;
      if (state_ == State::kBackoff) report_broken();
      return;
    }
    queued_bytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (state_ == State::kConnected) {
      write_next();
    } else if (state_ == State::kIdle) {
      connect();
    }
  }

  void stop() {
    state_ = State::kStopped;
    ++generation_;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    drop_queue();
  }

 private:
  enum class State { kIdle, kConnecting, kConnected, kBackoff, kStopped };

  void connect() {
    state_ = State::kConnecting;
    const uint64_t gen = ++generation_;
    socket_ = tcp::socket(io_);
    timer_.expires_after(kConnectTimeout);
    timer_.async_wait([self = shared_from_this(), gen](const error_code& ec) {
      if (!ec && self->generation_ == gen && self->state_ == State::kConnecting) {
        error_code ignored;
        self->socket_.close(ignored);  // the connect completes with an error
      }
    });
    socket_.async_connect(endpoint_, [self = shared_from_this(), gen](const error_code& ec) {
      if (self->generation_ != gen || self->state_ != State::kConnecting) return;
      self->timer_.cancel();
      if (ec) {
        ++self->stats_->connect_failures;
        self->back_off();
        return;
      }
      ++self->stats_->connects;
      self->state_ = State::kConnected;
      self->backoff_ms_ = kBackoffMsMin;
      error_code ignored;
      self->socket_.set_option(tcp::no_delay(true), ignored);
      self->watch(gen);
      self->write_next();
    });
  }

  // Completes only when the peer closes or resets the connection.
  void watch(uint64_t gen) {
    socket_.async_read_some(asio::buffer(probe_), [self = shared_from_this(), gen](const error_code&, size_t) {
      if (self->generation_ == gen && self->state_ == State::kConnected) self->broke();
    });
  }

  // An established connection ended: the next frame dials again at once.
  void broke() {
    ++stats_->connections_broken;
    close_and_drop();
    state_ = State::kIdle;
  }

  // A connect failed: refuse frames for a while, then dial on demand.
  void back_off() {
    close_and_drop();
    state_ = State::kBackoff;
    const uint64_t gen = generation_;
    timer_.expires_after(std::chrono::milliseconds(backoff_ms_));
    backoff_ms_ = std::min(backoff_ms_ * 2, kBackoffMsMax);
    timer_.async_wait([self = shared_from_this(), gen](const error_code&) {
      if (self->generation_ == gen && self->state_ == State::kBackoff) self->state_ = State::kIdle;
    });
  }

  void close_and_drop() {
    ++generation_;  // handlers of this connection are stale from now on
    error_code ignored;
    socket_.close(ignored);
    writing_ = false;
    drop_queue();
    report_broken();
  }

  void drop_queue() {
    stats_->frames_dropped += queue_.size();
    queue_.clear();
    queued_bytes_ = 0;
  }

  void report_broken() {
    asio::post(io_, [on_broken = on_broken_] { on_broken(); });
  }

  void write_next() {
    if (writing_ || queue_.empty() || state_ != State::kConnected) return;
    writing_ = true;
    // The handler owns the frame: the queue may be dropped meanwhile.
    auto frame = std::make_shared<std::string>(std::move(queue_.front()));
    queue_.pop_front();
    queued_bytes_ -= frame->size();
    asio::async_write(socket_, asio::buffer(*frame),
                      [self = shared_from_this(), frame, gen = generation_](const error_code& ec, size_t) {
                        if (self->generation_ != gen) return;
                        self->writing_ = false;
                        if (ec) {
                          ++self->stats_->frames_dropped;
                          self->broke();
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
  std::function<void()> on_broken_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  int backoff_ms_ = kBackoffMsMin;
  State state_ = State::kIdle;
  bool writing_ = false;
  uint64_t generation_ = 0;
  char probe_[1];
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
  auto on_broken = [this, alive = alive_, peer] {
    if (*alive && link_broken_) link_broken_(peer);
  };
  peers_[peer] = std::make_shared<Peer>(io_, endpoint, stats_, on_broken);
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

// TcpNetwork: the production Network. Messages travel as length-prefixed
// Protobuf frames (u32 little-endian length, then a proto::Envelope) over
// one outgoing TCP connection per peer; replies travel over the replier's
// own connection to us. Frames queued beyond a bound, or queued or in
// flight when a connection breaks, are dropped: like the simulated network,
// this one may lose messages. A broken or refused connection is reported
// at once (set_link_broken), so the RPC layer ends the calls that were
// waiting on it instead of waiting out their deadlines; the next frame
// dials again, after a short backoff when dialling failed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <map>
#include <memory>
#include <string>

#include "io_abstraction/network.h"
#include "io_abstraction/status.h"

namespace tessera::prod {

class TcpNetwork final : public Network {
 public:
  static constexpr uint32_t kFrameBytesMax = 64u << 20;
  static constexpr size_t kQueuedBytesMax = 256u << 20;

  struct Stats {
    uint64_t frames_sent = 0;
    uint64_t frames_received = 0;
    uint64_t frames_dropped = 0;
    uint64_t connects = 0;
    uint64_t connect_failures = 0;
    uint64_t connections_broken = 0;  // established, then closed by the peer
    uint64_t bad_frames = 0;
  };

  TcpNetwork(boost::asio::io_context& io, NodeId self);
  ~TcpNetwork() override;

  // Binds and listens (port 0 picks a free port; see port()).
  Status listen(const std::string& address, uint16_t port);
  uint16_t port() const;
  void add_peer(NodeId peer, const std::string& address, uint16_t port);
  // Closes every socket; pending frames are dropped.
  void stop();

  NodeId self() const override { return self_; }
  void send(NodeId to, Message msg) override;
  void set_receiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  void set_link_broken(LinkBroken on_broken) override { link_broken_ = std::move(on_broken); }

  const Stats& stats() const { return *stats_; }

 private:
  class Peer;
  class Inbound;
  void accept_next();
  void dispatch(const std::string& frame);

  boost::asio::io_context& io_;
  NodeId self_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<NodeId, std::shared_ptr<Peer>> peers_;
  std::map<uint64_t, std::weak_ptr<Inbound>> inbound_;
  uint64_t next_inbound_id_ = 0;
  Receiver receiver_;
  LinkBroken link_broken_;
  // Shared with connection handlers, which may run after this object is
  // gone (the io_context outlives it); they check alive_ first.
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::prod

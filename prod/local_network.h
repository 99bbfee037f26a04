// LocalNetwork: the Network of a single-process deployment (the embedded
// default), where every node (the storage-and-gateway node and the
// metadata replicas) lives in one process on one event loop. A LocalHub
// joins them; a message is handed to its receiver through the event loop,
// never inline (callers may hold locks or be mid-iteration when they
// send). A message to a node the hub does not have is lost, as over a
// network.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <map>
#include <memory>

#include "io_abstraction/network.h"

namespace tessera::prod {

class LocalHub {
 public:
  explicit LocalHub(boost::asio::io_context& io) : io_(io) {}
  ~LocalHub() { *alive_ = false; }

  void deliver(NodeId from, NodeId to, Message msg) {
    boost::asio::post(io_, [this, alive = alive_, from, to, msg = std::move(msg)]() mutable {
      if (!*alive) return;
      auto it = receivers_.find(to);
      if (it != receivers_.end() && it->second) it->second(from, std::move(msg));
    });
  }
  void set_receiver(NodeId node, Network::Receiver receiver) { receivers_[node] = std::move(receiver); }

 private:
  boost::asio::io_context& io_;
  std::map<NodeId, Network::Receiver> receivers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class LocalNetwork final : public Network {
 public:
  LocalNetwork(LocalHub& hub, NodeId self) : hub_(hub), self_(self) {}
  ~LocalNetwork() override { hub_.set_receiver(self_, nullptr); }
  NodeId self() const override { return self_; }
  void send(NodeId to, Message msg) override { hub_.deliver(self_, to, std::move(msg)); }
  void set_receiver(Receiver receiver) override { hub_.set_receiver(self_, std::move(receiver)); }

 private:
  LocalHub& hub_;
  NodeId self_;
};

}  // namespace tessera::prod

// LocalNetwork: the Network of a single-process deployment (the embedded
// default). Every role lives on node 0, so a message to self is handed to
// the receiver through the event loop, never inline (callers may hold
// locks or be mid-iteration when they send).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <memory>

#include "io_abstraction/network.h"

namespace tessera::prod {

class LocalNetwork final : public Network {
 public:
  LocalNetwork(boost::asio::io_context& io, NodeId self) : io_(io), self_(self) {}
  ~LocalNetwork() override { *alive_ = false; }
  NodeId self() const override { return self_; }
  void send(NodeId to, Message msg) override {
    if (to != self_) return;  // no other node exists: like a lost message
    boost::asio::post(io_, [this, alive = alive_, msg = std::move(msg)]() mutable {
      if (*alive && receiver_) receiver_(self_, std::move(msg));
    });
  }
  void set_receiver(Receiver receiver) override { receiver_ = std::move(receiver); }

 private:
  boost::asio::io_context& io_;
  NodeId self_;
  Receiver receiver_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera::prod

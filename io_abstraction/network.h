// Network: unreliable one-way delivery of messages between nodes. A message
// may be lost, delayed, reordered or duplicated; the RPC layer in core/rpc
// builds request/response with deadlines on top and copes with all four.
// Payloads are serialized Protobuf messages. A network that can tell a
// connection broke (TCP: the peer closed or reset it, or refused it) says
// so at once, so callers need not wait out a deadline for a dead peer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "io_abstraction/types.h"

namespace tessera {

struct Message {
  uint64_t call_id = 0;     // 0: one-way
  bool is_response = false;
  std::string method;
  std::string payload;
  int32_t status_code = 0;  // responses: a tessera::Code
  std::string status_message;
  std::string status_reason;  // responses: Status::reason(), e.g. NoSuchKey
};

class Network {
 public:
  using Receiver = std::function<void(NodeId from, Message msg)>;
  // The connection to peer broke or could not be made: messages sent to it
  // lately may be lost, and no reply to them will come. Not a verdict on
  // the peer (it may be back at once), only on what was in flight.
  using LinkBroken = std::function<void(NodeId peer)>;
  virtual ~Network() = default;
  virtual NodeId self() const = 0;
  // Queues msg for `to`. Never blocks, never fails synchronously: failures
  // show up as a missing reply.
  virtual void send(NodeId to, Message msg) = 0;
  // Every message for this node is handed to receiver on the node's loop.
  virtual void set_receiver(Receiver receiver) = 0;
  // Runs on the node's loop, never inside send(). A network that cannot
  // tell (an in-process one, where nothing breaks) ignores it.
  virtual void set_link_broken(LinkBroken on_broken) { (void)on_broken; }
};

}  // namespace tessera

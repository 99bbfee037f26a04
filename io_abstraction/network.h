// Network: unreliable one-way delivery of messages between nodes. A message
// may be lost, delayed, reordered or duplicated; the RPC layer in core/rpc
// builds request/response with deadlines on top and copes with all four.
// Payloads are serialized Protobuf messages.
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
  virtual ~Network() = default;
  virtual NodeId self() const = 0;
  // Queues msg for `to`. Never blocks, never fails synchronously: failures
  // show up as a missing reply.
  virtual void send(NodeId to, Message msg) = 0;
  // Every message for this node is handed to receiver on the node's loop.
  virtual void set_receiver(Receiver receiver) = 0;
};

}  // namespace tessera

// Heartbeater: sends a one-way heartbeat to a fixed set of peers every
// interval, and a failure detector that marks a peer suspect once it has
// been silent for suspect_after_missed intervals. The heartbeat path is the
// idle load of a cluster; membership proper builds on it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "core/rpc/rpc_endpoint.h"
#include "io_abstraction/runtime.h"
#include "messages.pb.h"

namespace tessera {

struct HeartbeatConfig {
  Duration interval = Duration::seconds(1);
  uint32_t suspect_after_missed = 3;
};

enum class PeerState { kUp, kSuspect };

class Heartbeater {
 public:
  // Starts the sender loop on rt. peers must not contain rpc.self().
  Heartbeater(Runtime& rt, RpcEndpoint& rpc, std::vector<NodeId> peers, uint64_t incarnation,
              HeartbeatConfig config);
  ~Heartbeater();

  // A peer never heard from counts from the time this heartbeater started.
  PeerState state(NodeId peer) const;
  // Stricter: a heartbeat from peer arrived, lately (a new node's view
  // before the first beats counts everyone up; this counts nobody).
  bool heard(NodeId peer) const;
  // How long peer has been silent (since this heartbeater started, for one
  // never heard from).
  Duration silent_for(NodeId peer) const;
  // The silence after which a peer is suspect.
  Duration suspect_after() const { return config_.interval * config_.suspect_after_missed; }
  uint64_t heartbeats_received() const { return received_; }
  // What each beat carries beyond its header (a storage node: its disks),
  // and what to do with a beat that arrived (a gateway: note them).
  void set_report(std::function<void(proto::Heartbeat&)> fill) { fill_ = std::move(fill); }
  void set_on_beat(std::function<void(NodeId, const proto::Heartbeat&)> on_beat) { on_beat_ = std::move(on_beat); }

 private:
  Task<void> send_loop();

  Runtime& rt_;
  RpcEndpoint& rpc_;
  std::vector<NodeId> peers_;
  uint64_t incarnation_;
  HeartbeatConfig config_;
  Instant started_;
  std::map<NodeId, Instant> last_heard_;
  std::function<void(proto::Heartbeat&)> fill_;
  std::function<void(NodeId, const proto::Heartbeat&)> on_beat_;
  uint64_t sequence_ = 0;
  uint64_t received_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera

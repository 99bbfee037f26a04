#include "core/membership/heartbeat.h"

#include <utility>

#include "messages.pb.h"

namespace tessera {

Heartbeater::Heartbeater(Runtime& rt, RpcEndpoint& rpc, std::vector<NodeId> peers,
                         uint64_t incarnation, HeartbeatConfig config)
    : rt_(rt), rpc_(rpc), peers_(std::move(peers)), incarnation_(incarnation), config_(config),
      started_(rt.now()) {
  ASSERT(config_.interval.us > 0);
  ASSERT(config_.suspect_after_missed > 0);
  rpc_.serve("heartbeat", [this](NodeId from, std::string payload) -> Task<Result<std::string>> {
    proto::Heartbeat hb;
    if (!hb.ParseFromString(payload)) co_return Status(Code::kCorrupt, "bad heartbeat");
    last_heard_[from] = rt_.now();
    ++received_;
    if (on_beat_) on_beat_(from, hb);
    co_return std::string();
  });
  rt_.spawn(send_loop());
}

Heartbeater::~Heartbeater() { *alive_ = false; }

Task<void> Heartbeater::send_loop() {
  // Ends when the node stops: the runtime destroys this root task then.
  auto alive = alive_;
  // Spread first beats so nodes do not tick in lockstep.
  co_await sleep(rt_, Duration::micros(static_cast<int64_t>(
                          rt_.random().below(static_cast<uint64_t>(config_.interval.us)))));
  while (*alive) {
    proto::Heartbeat hb;
    hb.set_from_node(rpc_.self().value);
    hb.set_incarnation(incarnation_);
    hb.set_sequence(++sequence_);
    if (fill_) fill_(hb);
    const std::string payload = hb.SerializeAsString();
    for (NodeId peer : peers_) rpc_.notify(peer, "heartbeat", payload);
    co_await sleep(rt_, config_.interval);
  }
}

Duration Heartbeater::silent_for(NodeId peer) const {
  auto it = last_heard_.find(peer);
  return rt_.now() - (it == last_heard_.end() ? started_ : it->second);
}

PeerState Heartbeater::state(NodeId peer) const {
  return silent_for(peer) > suspect_after() ? PeerState::kSuspect : PeerState::kUp;
}

bool Heartbeater::heard(NodeId peer) const {
  auto it = last_heard_.find(peer);
  return it != last_heard_.end() && rt_.now() - it->second <= config_.interval * config_.suspect_after_missed;
}

}  // namespace tessera

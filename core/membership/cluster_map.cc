#include "core/membership/cluster_map.h"

#include <algorithm>

namespace tessera {

const char* node_state_name(NodeState state) {
  switch (state) {
    case NodeState::kUp: return "up";
    case NodeState::kDown: return "down";
    case NodeState::kOut: return "out";
  }
  return "unknown";
}

ClusterMap::ClusterMap(Runtime& rt, const Heartbeater& detector, std::vector<NodeId> nodes, ClusterMapConfig config,
                       Duration tick)
    : rt_(rt), detector_(detector), nodes_(std::move(nodes)), config_(config), tick_(tick) {
  ASSERT(tick_.us > 0 && config_.out_percent_max <= 100);
  for (NodeId n : nodes_) states_[n] = NodeState::kUp;
  rt_.spawn(refresh_loop());
}

ClusterMap::~ClusterMap() { *alive_ = false; }

Task<void> ClusterMap::refresh_loop() {
  auto alive = alive_;  // ends when the node stops (the runtime destroys root tasks)
  while (*alive) {
    co_await sleep(rt_, tick_);
    if (*alive) refresh();
  }
}

NodeState ClusterMap::state(NodeId node) const {
  if (detector_.state(node) == PeerState::kUp) return NodeState::kUp;
  return out_.count(node) ? NodeState::kOut : NodeState::kDown;
}

void ClusterMap::refresh() {
  // Out only while silent: one heard again is in at once.
  std::erase_if(out_, [this](NodeId n) { return detector_.state(n) == PeerState::kUp; });
  if (config_.out_after.us > 0) {
    const size_t out_max = std::max<size_t>(1, nodes_.size() * config_.out_percent_max / 100);
    // Longest silent first, so the cap keeps the likeliest dead.
    std::vector<std::pair<Duration, NodeId>> silent;
    for (NodeId n : nodes_) {
      const Duration d = detector_.silent_for(n);
      if (d >= config_.out_after && !out_.count(n)) silent.emplace_back(d, n);
    }
    std::sort(silent.begin(), silent.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (const auto& [d, n] : silent) {
      if (out_.size() >= out_max) break;
      out_.insert(n);
    }
  }
  bool changed = false;
  for (NodeId n : nodes_) {
    const NodeState now = state(n);
    if (states_[n] != now) changed = true;
    states_[n] = now;
  }
  if (changed) ++version_;
}

std::map<NodeState, uint32_t> ClusterMap::counts() const {
  std::map<NodeState, uint32_t> out{{NodeState::kUp, 0}, {NodeState::kDown, 0}, {NodeState::kOut, 0}};
  for (const auto& [n, s] : states_) ++out[s];
  return out;
}

}  // namespace tessera

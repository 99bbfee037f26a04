#include "sim/workloads/heartbeat.h"

#include <string>
#include <vector>

#include "core/membership/heartbeat.h"
#include "core/rpc/rpc_endpoint.h"

namespace tessera::sim {
namespace {

std::vector<NodeId> ring_successors(uint32_t self, uint32_t peers, uint32_t nodes) {
  std::vector<NodeId> out;
  for (uint32_t i = 1; i <= peers; ++i) out.push_back(NodeId((self + i) % nodes));
  return out;
}

class HeartbeatApp final : public NodeApp {
 public:
  HeartbeatApp(NodeContext& ctx, const proto::HeartbeatWorkload& config, uint32_t nodes)
      : rpc_(ctx.runtime, ctx.network),
        heartbeater_(ctx.runtime, rpc_, ring_successors(ctx.id.value, config.peers(), nodes),
                     ctx.incarnation,
                     HeartbeatConfig{Duration::millis(static_cast<int64_t>(config.interval_ms())),
                                     config.suspect_after_missed()}) {}

  const Heartbeater& heartbeater() const { return heartbeater_; }

 private:
  RpcEndpoint rpc_;
  Heartbeater heartbeater_;
};

class HeartbeatWorkload final : public Workload {
 public:
  HeartbeatWorkload(const proto::HeartbeatWorkload& config, uint32_t nodes)
      : config_(config), nodes_(nodes) {}

  AppFactory factory() override {
    return [this](NodeContext& ctx) { return std::make_unique<HeartbeatApp>(ctx, config_, nodes_); };
  }
  Duration drain_time() const override { return Duration{0}; }

  // Heartbeats flow to successors, so node i watches the nodes before it.
  void check(SimCluster& cluster, Violations& out) override {
    for (uint32_t i = 0; i < nodes_; ++i) {
      if (!cluster.up(i)) continue;
      const auto* app = static_cast<const HeartbeatApp*>(cluster.app(i));
      received_ += app->heartbeater().heartbeats_received();
      for (uint32_t k = 1; k <= config_.peers(); ++k) {
        const uint32_t watched = (i + nodes_ - k) % nodes_;
        if (cluster.up(watched) &&
            app->heartbeater().state(NodeId(watched)) == PeerState::kSuspect) {
          out.add("failure_detector_liveness", "node " + std::to_string(i) +
                                                   " suspects node " + std::to_string(watched) +
                                                   " which is up");
        }
      }
    }
  }
  std::string stats() const override {
    return "heartbeats_received_by_live_nodes=" + std::to_string(received_);
  }

 private:
  proto::HeartbeatWorkload config_;
  uint32_t nodes_;
  uint64_t received_ = 0;
};

}  // namespace

std::unique_ptr<Workload> make_heartbeat(const proto::HeartbeatWorkload& config, uint32_t nodes) {
  return std::make_unique<HeartbeatWorkload>(config, nodes);
}

}  // namespace tessera::sim

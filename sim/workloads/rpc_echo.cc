#include "sim/workloads/rpc_echo.h"

#include <string>

#include "core/rpc/rpc_endpoint.h"
#include "messages.pb.h"

namespace tessera::sim {
namespace {

class EchoChecker {
 public:
  uint64_t issue(uint32_t client, Instant now) {
    const uint64_t token = next_token_++;
    open_.emplace(token, Open{client, now});
    ++issued_;
    return token;
  }

  void outcome(uint64_t token, uint32_t client, const std::string& body_sent,
               const Result<proto::EchoResponse>& r, Instant now) {
    auto it = open_.find(token);
    if (it == open_.end()) {
      violations_.add("rpc_exactly_one_outcome", "second outcome for token " + std::to_string(token));
      return;
    }
    if (it->second.client != client) {
      violations_.add("rpc_exactly_one_outcome", "token " + std::to_string(token) +
                                                     " completed on the wrong node");
    }
    const Instant issued_at = it->second.issued;
    open_.erase(it);
    if (!r.is_ok()) {
      ++failed_;
      return;
    }
    if (r.value().token() != token || r.value().body() != body_sent) {
      violations_.add("rpc_no_response_without_request",
                      "call " + std::to_string(token) + " got the response for token " +
                          std::to_string(r.value().token()));
      return;
    }
    ++succeeded_;
    if (issued_at >= liveness_start_) live_successes_[client]++;
  }

  void abandon(uint32_t node) {
    for (auto it = open_.begin(); it != open_.end();) {
      if (it->second.client == node) {
        ++abandoned_;
        it = open_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void check(SimCluster& cluster, uint32_t clients, Violations& out) {
    out.merge(violations_);
    for (const auto& [token, call] : open_) {
      out.add("rpc_exactly_one_outcome", "call " + std::to_string(token) + " from node " +
                                             std::to_string(call.client) + " never ended");
    }
    for (uint32_t c = 0; c < clients; ++c) {
      if (cluster.up(c) && live_successes_[c] == 0) {
        out.add("rpc_liveness", "client " + std::to_string(c) +
                                    " completed no call after faults healed");
      }
    }
  }

  std::string stats() const {
    return "issued=" + std::to_string(issued_) + " ok=" + std::to_string(succeeded_) +
           " failed=" + std::to_string(failed_) + " abandoned=" + std::to_string(abandoned_);
  }

  bool accepting = true;
  Instant liveness_start_{INT64_MAX};

 private:
  struct Open {
    uint32_t client;
    Instant issued;
  };
  std::map<uint64_t, Open> open_;
  std::map<uint32_t, uint64_t> live_successes_;
  Violations violations_;
  uint64_t next_token_ = 1;
  uint64_t issued_ = 0, succeeded_ = 0, failed_ = 0, abandoned_ = 0;
};

class EchoApp final : public NodeApp {
 public:
  EchoApp(NodeContext& ctx, const proto::RpcEchoWorkload& config, uint32_t nodes,
          bool wrong_token, EchoChecker& checker)
      : rt_(ctx.runtime), rpc_(ctx.runtime, ctx.network), config_(config), nodes_(nodes),
        checker_(checker) {
    rpc_.serve("echo", [wrong_token](NodeId, std::string payload) -> Task<Result<std::string>> {
      proto::EchoRequest req;
      if (!req.ParseFromString(payload)) co_return Status(Code::kCorrupt, "bad echo request");
      proto::EchoResponse resp;
      // The broken variant answers one call in 64 with a neighbour's token.
      resp.set_token(wrong_token && req.token() % 64 == 0 ? req.token() + 1 : req.token());
      resp.set_body(req.body());
      co_return resp.SerializeAsString();
    });
    if (ctx.id.value < config.client_nodes()) {
      for (uint32_t i = 0; i < config.calls_in_flight_max(); ++i) rt_.spawn(client_loop());
    }
  }

 private:
  // Ends when the workload stops issuing (or the node crashes).
  Task<void> client_loop() {
    const uint64_t interval = config_.interval_us();
    while (checker_.accepting) {
      co_await sleep(rt_, Duration::micros(static_cast<int64_t>(
                              rt_.random().between(interval / 2, interval + interval / 2))));
      if (!checker_.accepting) break;
      uint32_t peer = static_cast<uint32_t>(rt_.random().below(nodes_ - 1));
      if (peer >= rpc_.self().value) ++peer;  // never self
      proto::EchoRequest req;
      req.set_token(checker_.issue(rpc_.self().value, rt_.now()));
      std::string body(config_.body_bytes(), '\0');
      for (auto& c : body) c = static_cast<char>(rt_.random().next());
      req.set_body(body);
      Result<proto::EchoResponse> r = co_await call_message<proto::EchoResponse>(
          rpc_, NodeId(peer), "echo", req, Duration::millis(config_.deadline_ms()));
      checker_.outcome(req.token(), rpc_.self().value, body, r, rt_.now());
    }
  }

  Runtime& rt_;
  RpcEndpoint rpc_;
  const proto::RpcEchoWorkload& config_;
  uint32_t nodes_;
  EchoChecker& checker_;
};

class RpcEchoWorkload final : public Workload {
 public:
  RpcEchoWorkload(const proto::RpcEchoWorkload& config, uint32_t nodes, bool wrong_token)
      : config_(config), nodes_(nodes), wrong_token_(wrong_token) {}

  AppFactory factory() override {
    return [this](NodeContext& ctx) {
      return std::make_unique<EchoApp>(ctx, config_, nodes_, wrong_token_, checker_);
    };
  }
  void on_crash(uint32_t node, Instant) override { checker_.abandon(node); }
  void begin_liveness(Instant now) override { checker_.liveness_start_ = now; }
  void stop_issuing() override { checker_.accepting = false; }
  Duration drain_time() const override {
    return Duration::millis(static_cast<int64_t>(config_.deadline_ms())) +
           Duration::micros(static_cast<int64_t>(config_.interval_us() * 2));
  }
  void check(SimCluster& cluster, Violations& out) override {
    checker_.check(cluster, config_.client_nodes(), out);
  }
  std::string stats() const override { return checker_.stats(); }

 private:
  proto::RpcEchoWorkload config_;
  uint32_t nodes_;
  bool wrong_token_;
  EchoChecker checker_;
};

}  // namespace

std::unique_ptr<Workload> make_rpc_echo(const proto::RpcEchoWorkload& config, uint32_t nodes,
                                        bool wrong_token) {
  return std::make_unique<RpcEchoWorkload>(config, nodes, wrong_token);
}

}  // namespace tessera::sim

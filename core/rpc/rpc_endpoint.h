// RpcEndpoint: request/response with deadlines over an unreliable Network.
// Every call ends in exactly one outcome: the response, or kTimeout at the
// deadline or as soon as the network says the connection to the callee
// broke (the request may or may not have been served: no answer either
// way). Late, duplicated and stale responses (from a previous
// incarnation of this node, or from the wrong peer) are dropped and counted.
// A request the network delivers twice is served once (handlers need not be
// idempotent): the second copy is dropped while the first's call id is
// among the last kRecentRequestsMax seen.
// Runs identically over the simulated and the TCP network.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>

#include "io_abstraction/network.h"
#include "io_abstraction/runtime.h"
#include "io_abstraction/status.h"

namespace tessera {

class RpcEndpoint {
 public:
  using Handler = std::function<Task<Result<std::string>>(NodeId from, std::string payload)>;

  struct Stats {
    uint64_t calls = 0;
    uint64_t timeouts = 0;
    uint64_t broken = 0;  // calls ended early by a broken connection
    uint64_t responses_dropped = 0;  // late, duplicate or stale
    uint64_t requests_served = 0;
    uint64_t requests_unknown_method = 0;
    uint64_t requests_duplicate = 0;
  };
  static constexpr size_t kRecentRequestsMax = 4096;

  // Takes over net's receiver. rt and net must outlive the endpoint.
  RpcEndpoint(Runtime& rt, Network& net);
  RpcEndpoint(const RpcEndpoint&) = delete;
  RpcEndpoint& operator=(const RpcEndpoint&) = delete;
  ~RpcEndpoint();

  // Registers the handler for method; requests for an unknown method get
  // kNotFound. One-way messages reach the same handler; its result is dropped.
  void serve(std::string method, Handler handler);

  // Sends payload to `to` and waits at most deadline for the response.
  Task<Result<std::string>> call(NodeId to, std::string method, std::string payload,
                                 Duration deadline);

  // Fire and forget.
  void notify(NodeId to, std::string method, std::string payload);

  NodeId self() const { return net_.self(); }
  Runtime& runtime() { return rt_; }
  const Stats& stats() const { return stats_; }

 private:
  struct PendingCall;
  void on_message(NodeId from, Message msg);
  void on_request(NodeId from, Message msg);
  void on_response(NodeId from, Message msg);
  void on_link_broken(NodeId peer);
  void complete(uint64_t call_id, Result<std::string> result);

  Runtime& rt_;
  Network& net_;
  std::map<std::string, Handler> handlers_;
  std::map<uint64_t, std::shared_ptr<PendingCall>> pending_;
  // (sender, call id) of recent requests, and their order of arrival.
  std::set<std::pair<uint32_t, uint64_t>> recent_;
  std::deque<std::pair<uint32_t, uint64_t>> recent_order_;
  uint64_t next_call_id_;
  Stats stats_;
  // Timers posted by this endpoint may outlive it (the runtime outlives the
  // app); they check this flag before touching the endpoint.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Typed helpers: Protobuf in, Protobuf out. The request is taken by value:
// a lazily started task must not point at its caller's temporaries.
template <typename Response, typename Request>
Task<Result<Response>> call_message(RpcEndpoint& rpc, NodeId to, std::string method,
                                    Request request, Duration deadline) {
  Result<std::string> raw = co_await rpc.call(to, std::move(method), request.SerializeAsString(),
                                              deadline);
  if (!raw.is_ok()) co_return raw.status();
  Response response;
  if (!response.ParseFromString(raw.value())) {
    co_return Status(Code::kCorrupt, "response does not parse as " + response.GetTypeName());
  }
  co_return response;
}

// Parses payload as Request, awaits fn(context, request) -> Task<Status>
// or Task<Result<Response>>, and serializes the answer. fn must outlive
// the call (it is the handler's own).
template <typename Request, typename Context, typename Fn>
Task<Result<std::string>> call_typed(const Fn& fn, Context context, std::string payload) {
  Request request;
  if (!request.ParseFromString(payload)) {
    co_return Status(Code::kInvalidArgument, "request does not parse as " + request.GetTypeName());
  }
  auto result = co_await fn(context, std::move(request));
  if constexpr (std::is_same_v<decltype(result), Status>) {
    if (!result.is_ok()) co_return result;
    co_return std::string();
  } else {
    if (!result.is_ok()) co_return result.status();
    co_return result.value().SerializeAsString();
  }
}

// Wraps fn(from, Request) as a Handler (see call_typed).
template <typename Request, typename Fn>
RpcEndpoint::Handler typed_handler(Fn fn) {
  return [fn](NodeId from, std::string payload) { return call_typed<Request, NodeId>(fn, from, std::move(payload)); };
}

}  // namespace tessera

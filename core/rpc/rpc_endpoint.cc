#include "core/rpc/rpc_endpoint.h"

#include <coroutine>
#include <optional>
#include <utility>
#include <vector>

namespace tessera {

struct RpcEndpoint::PendingCall {
  NodeId to;
  std::optional<Result<std::string>> result;
  std::coroutine_handle<> waiter;
};

RpcEndpoint::RpcEndpoint(Runtime& rt, Network& net)
    : rt_(rt), net_(net), next_call_id_((rt.random().next() >> 1) | 1) {
  // A random start makes ids of this incarnation disjoint (in practice)
  // from the ids of a previous one, whose responses may still arrive.
  net_.set_receiver([this](NodeId from, Message msg) { on_message(from, std::move(msg)); });
  net_.set_link_broken([this](NodeId peer) { on_link_broken(peer); });
}

RpcEndpoint::~RpcEndpoint() {
  *alive_ = false;
  net_.set_receiver(nullptr);
  net_.set_link_broken(nullptr);
}

void RpcEndpoint::serve(std::string method, Handler handler) {
  ASSERT(handler != nullptr);
  handlers_[std::move(method)] = std::move(handler);
}

Task<Result<std::string>> RpcEndpoint::call(NodeId to, std::string method, std::string payload,
                                            Duration deadline) {
  ASSERT(deadline.us > 0);
  const uint64_t call_id = next_call_id_++;
  auto pending = std::make_shared<PendingCall>();
  pending->to = to;
  pending_.emplace(call_id, pending);
  ++stats_.calls;

  Message msg;
  msg.call_id = call_id;
  msg.method = std::move(method);
  msg.payload = std::move(payload);
  net_.send(to, std::move(msg));

  rt_.post_after(deadline, [this, alive = alive_, call_id] {
    if (!*alive) return;
    if (pending_.count(call_id) == 0) return;
    ++stats_.timeouts;
    complete(call_id, Status(Code::kTimeout, "rpc deadline exceeded"));
  });

  struct Awaiter {
    PendingCall& p;
    bool await_ready() const noexcept { return p.result.has_value(); }
    void await_suspend(std::coroutine_handle<> h) noexcept { p.waiter = h; }
    void await_resume() const noexcept {}
  };
  co_await Awaiter{*pending};
  ASSERT(pending->result.has_value());
  co_return std::move(*pending->result);
}

void RpcEndpoint::notify(NodeId to, std::string method, std::string payload) {
  Message msg;
  msg.method = std::move(method);
  msg.payload = std::move(payload);
  net_.send(to, std::move(msg));
}

void RpcEndpoint::on_message(NodeId from, Message msg) {
  if (msg.is_response) {
    on_response(from, std::move(msg));
  } else {
    on_request(from, std::move(msg));
  }
}

void RpcEndpoint::on_request(NodeId from, Message msg) {
  auto it = handlers_.find(msg.method);
  if (it == handlers_.end()) {
    ++stats_.requests_unknown_method;
    if (msg.call_id != 0) {
      Message reply;
      reply.call_id = msg.call_id;
      reply.is_response = true;
      reply.status_code = static_cast<int32_t>(Code::kNotFound);
      reply.status_message = "no handler for method " + msg.method;
      net_.send(from, std::move(reply));
    }
    return;
  }
  if (msg.call_id != 0) {
    const auto id = std::make_pair(from.value, msg.call_id);
    if (!recent_.insert(id).second) {
      ++stats_.requests_duplicate;
      return;
    }
    recent_order_.push_back(id);
    if (recent_order_.size() > kRecentRequestsMax) {
      recent_.erase(recent_order_.front());
      recent_order_.pop_front();
    }
  }
  ++stats_.requests_served;
  // The handler runs as its own root task so a slow handler never blocks
  // delivery of other messages.
  rt_.spawn([](RpcEndpoint* self, Handler handler, NodeId from, uint64_t call_id,
               std::string payload) -> Task<void> {
    Result<std::string> r = co_await handler(from, std::move(payload));
    if (call_id == 0) co_return;
    Message reply;
    reply.call_id = call_id;
    reply.is_response = true;
    if (r.is_ok()) {
      reply.payload = std::move(r).value();
    } else {
      reply.status_code = static_cast<int32_t>(r.status().code());
      reply.status_message = r.status().message();
      reply.status_reason = r.status().reason();
    }
    self->net_.send(from, std::move(reply));
  }(this, it->second, from, msg.call_id, std::move(msg.payload)));
}

void RpcEndpoint::on_response(NodeId from, Message msg) {
  auto it = pending_.find(msg.call_id);
  if (it == pending_.end() || it->second->to != from) {
    ++stats_.responses_dropped;
    return;
  }
  if (msg.status_code == 0) {
    complete(msg.call_id, std::move(msg.payload));
    return;
  }
  // The code came off the wire: map anything we do not know to kInternal.
  const bool known = msg.status_code > 0 && msg.status_code <= static_cast<int32_t>(kCodeLast);
  const Code code = known ? static_cast<Code>(msg.status_code) : Code::kInternal;
  complete(msg.call_id, Status(code, msg.status_message, msg.status_reason));
}

void RpcEndpoint::on_link_broken(NodeId peer) {
  // Ids first: completing a call resumes its caller, which may call again.
  std::vector<uint64_t> ended;
  for (const auto& [id, pending] : pending_) {
    if (pending->to == peer) ended.push_back(id);
  }
  for (uint64_t id : ended) {
    if (pending_.count(id) == 0) continue;
    ++stats_.broken;
    complete(id, Status(Code::kTimeout, "connection to node " + std::to_string(peer.value) + " broke: no answer"));
  }
}

void RpcEndpoint::complete(uint64_t call_id, Result<std::string> result) {
  auto it = pending_.find(call_id);
  ASSERT(it != pending_.end());
  auto pending = it->second;
  pending_.erase(it);
  ASSERT(!pending->result.has_value());
  pending->result.emplace(std::move(result));
  if (pending->waiter) pending->waiter.resume();
}

}  // namespace tessera

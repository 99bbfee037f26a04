// How a replica that starts with an empty log tells a group starting for
// the first time from a group it must rejoin (its disk was lost or
// replaced). Only in the first case may it vote before a leader has sent
// it the log: a rejoining replica's vote could elect a leader that lacks
// an entry committed with that replica's lost copy, and lose it.
//
// The test is on what the group holds, not on a timeout: the replica asks
// every voter how far its log reaches, and votes once all of them answer
// that theirs is empty too. An entry committed before the disk was lost
// lives on a quorum, so on at least one voter that answers. A voter that
// does not answer keeps it waiting: safety over availability, as it must
// be. (etcd asks the operator instead, --initial-cluster-state.)
#include <algorithm>

#include "consensus.pb.h"
#include "core/consensus/raft_replica.h"

namespace tessera {

void RaftReplica::serve_log_extent() {
  rpc_.serve("raft.log_extent", [this](NodeId, std::string) -> Task<Result<std::string>> {
    if (!raft_) co_return Status(Code::kUnavailable, "metadata replica not started");
    proto::RaftLogExtent extent;
    extent.set_last_index(raft_->last_index());
    extent.set_term(raft_->term());
    co_return extent.SerializeAsString();
  });
}

// Still recovering with nothing in its log, and no leader heard.
bool RaftReplica::empty_and_unreached() const {
  return raft_->recovering() && raft_->leader() == 0 && raft_->last_index() == 0;
}

// Asks again every election timeout until a leader has reached this
// replica (it then catches up and votes) or every voter's log is empty.
Task<void> RaftReplica::await_fresh_group() {
  std::shared_ptr<bool> alive = alive_;
  const Duration period = config_.tick * config_.election_ticks;
  while (true) {
    co_await sleep(rt_, period);
    if (!*alive || halted_ || !empty_and_unreached()) co_return;
    std::optional<uint64_t> top_term = co_await voters_all_empty(period);
    if (!*alive) co_return;
    if (!top_term || !empty_and_unreached()) continue;  // a leader may have reached it meanwhile
    raft_->end_recovery(*top_term);
    kick();
    co_return;
  }
}

// The highest term among the other voters when every one of them answers
// with an empty log; nullopt when any holds entries or does not answer.
Task<std::optional<uint64_t>> RaftReplica::voters_all_empty(Duration deadline) {
  std::vector<Task<Result<proto::RaftLogExtent>>> asks;
  for (raft::PeerId p : raft_->config().voters()) {
    if (p == raft_->id()) continue;
    asks.push_back(call_message<proto::RaftLogExtent>(rpc_, raft_node(p), "raft.log_extent",
                                                      proto::RaftLogExtent(), deadline));
  }
  std::vector<Result<proto::RaftLogExtent>> answers = co_await when_all(rt_, std::move(asks));
  uint64_t top = 0;
  for (const auto& a : answers) {
    if (!a.is_ok() || a.value().last_index() != 0) co_return std::nullopt;
    top = std::max(top, a.value().term());
  }
  co_return top;
}

}  // namespace tessera

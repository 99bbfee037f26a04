// RaftReplica's membership changes: a dead voter replaced by an empty
// replica, one committed step at a time (the thesis's single-server
// changes): the new one joins as a learner, is promoted once it holds
// the whole committed log, and only then does the old one go. Each step
// reads the configuration in force, so a repeat after a leader change or
// a timeout resumes where the last one stopped.
#include <algorithm>

#include "core/consensus/raft_replica.h"

namespace tessera {
namespace {

bool has(const google::protobuf::RepeatedField<uint32_t>& ids, raft::PeerId p) {
  return std::find(ids.begin(), ids.end(), p) != ids.end();
}

void drop(google::protobuf::RepeatedField<uint32_t>* ids, raft::PeerId p) {
  ids->erase(std::remove(ids->begin(), ids->end(), p), ids->end());
}

constexpr Duration kCatchUpDefault = Duration::seconds(60);

}  // namespace

// "raft.replace" answers at once: the leader runs the replacement in the
// background, and a caller asks again until it is done (ok), still going
// (InProgress) or failed (its status, once; the next ask starts over).
void RaftReplica::serve_membership() {
  rpc_.serve("raft.replace", [this](NodeId, std::string payload) -> Task<Result<std::string>> {
    proto::RaftReplace request;
    if (!request.ParseFromString(payload)) co_return Status(Code::kInvalidArgument, "not a RaftReplace");
    if (!is_leader() || halted_) co_return not_leader();
    const NodeId remove(request.remove()), add(request.add());
    if (replacing_) {
      if (replacing_->first != remove || replacing_->second != add) {
        co_return Status(Code::kFailedPrecondition, "another replacement is in progress on this leader");
      }
      co_return Status(Code::kUnavailable, "the replacement is in progress", kInProgress);
    }
    if (replaced_ && replaced_->first == std::make_pair(remove, add)) {
      Status last = std::move(replaced_->second);
      replaced_.reset();
      if (!last.is_ok()) co_return last;
    }
    const proto::RaftConfig& c = raft_->config();
    if (!has(c.voters(), raft_peer(remove)) && has(c.voters(), raft_peer(add))) co_return std::string();
    const Duration catch_up =
        request.catch_up_ms() > 0 ? Duration::millis(static_cast<int64_t>(request.catch_up_ms())) : kCatchUpDefault;
    replacing_.emplace(remove, add);
    rt_.spawn(run_replace(remove, add, catch_up));
    co_return Status(Code::kUnavailable, "the replacement has started", kInProgress);
  });
}

Task<void> RaftReplica::run_replace(NodeId remove, NodeId add, Duration catch_up) {
  std::shared_ptr<bool> alive = alive_;
  Status s = co_await replace(remove, add, catch_up);
  if (!*alive) co_return;
  replacing_.reset();
  replaced_.emplace(std::make_pair(remove, add), std::move(s));
}

Task<Status> RaftReplica::replace(NodeId remove, NodeId add, Duration deadline) {
  const Instant give_up = rt_.now() + deadline;
  const raft::PeerId gone = raft_peer(remove), fresh = raft_peer(add);
  if (gone == fresh) co_return Status(Code::kInvalidArgument, "a replica cannot replace itself");
  for (;;) {
    if (!is_leader() || halted_) co_return not_leader();
    if (gone == raft_->id()) {
      co_return Status(Code::kFailedPrecondition, "node " + std::to_string(remove.value) +
                                                      " leads the group: stop it, then ask the next leader");
    }
    proto::RaftConfig next = raft_->config();
    const bool gone_votes = has(next.voters(), gone), fresh_votes = has(next.voters(), fresh);
    const bool fresh_learns = has(next.learners(), fresh);
    if (!gone_votes && fresh_votes) co_return Status::ok();  // done (now, or by an earlier call)
    if (!gone_votes && !fresh_learns) {
      co_return Status(Code::kInvalidArgument, "node " + std::to_string(remove.value) + " is not a voter of the group");
    }
    if (fresh_votes) {
      drop(next.mutable_voters(), gone);  // 3. the old one goes
    } else if (fresh_learns) {
      Status caught = co_await catch_up(fresh, give_up);
      if (!caught.is_ok()) co_return caught;
      next = raft_->config();  // 2. promoted, with no wait between the check and the change
      drop(next.mutable_learners(), fresh);
      next.add_voters(fresh);
    } else {
      next.add_learners(fresh);  // 1. it joins, without a vote, and receives the log
    }
    Status changed = co_await change_config(std::move(next));
    // The learner fell behind again between the check and the change.
    if (changed.code() == Code::kFailedPrecondition && fresh_learns && rt_.now() < give_up) continue;
    if (!changed.is_ok()) co_return changed;
  }
}

// Until the learner holds everything committed (checked every tick).
Task<Status> RaftReplica::catch_up(raft::PeerId learner, Instant give_up) {
  for (;;) {
    if (!is_leader() || halted_) co_return not_leader();
    if (raft_->match_of(learner) >= raft_->commit_index()) co_return Status::ok();
    if (rt_.now() >= give_up) {
      co_return Status(Code::kUnavailable, "node " + std::to_string(raft_node(learner).value) +
                                               " has not caught up with the log yet (it stays a learner; ask again)");
    }
    co_await sleep(rt_, config_.tick);
  }
}

Task<Status> RaftReplica::change_config(proto::RaftConfig next) {
  Status s = raft_->propose_config(std::move(next));
  if (s.reason() == "NotLeader") co_return not_leader();
  if (!s.is_ok()) co_return s;
  co_return co_await await_entry(raft_->last_index());
}

}  // namespace tessera

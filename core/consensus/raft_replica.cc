#include "core/consensus/raft_replica.h"

#include "core/consensus/raft_keys.h"
#include "io_abstraction/assert.h"

namespace tessera {
namespace {

using namespace raft_keys;

// The metadata layer's "may have taken effect" (kNoAnswer in metadata_store.h).
Status no_answer(const char* what) { return Status(Code::kUnavailable, what, "NoAnswer"); }

}  // namespace

struct RaftReplica::Waiter {
  std::optional<Status> result;
  detail::Wakeup done;
};

RaftReplica::RaftReplica(Runtime& rt, RpcEndpoint& rpc, Kv& kv, RaftReplicaConfig config)
    : rt_(rt), rpc_(rpc), kv_(kv), config_(std::move(config)) {
  ASSERT(!config_.voters.empty());
  rpc_.serve("raft.msg", [this](NodeId, std::string payload) -> Task<Result<std::string>> {
    raft::Msg m;
    if (raft_ && !halted_ && !installing_ && m.ParseFromString(payload)) {
      raft_->step(m);
      if (raft_->diverged_at()) {
        halted_ = true;  // never apply past a conflict with a committed entry
        if (config_.on_diverged) config_.on_diverged(rpc_.self(), *raft_->diverged_at());
      }
      kick();
    }
    co_return std::string();
  });
  serve_membership();
  serve_log_extent();
  rpc_.serve("raft.snapshot", [this](NodeId, std::string payload) -> Task<Result<std::string>> {
    proto::RaftSnapshotChunk chunk;
    if (!chunk.ParseFromString(payload)) co_return Status(Code::kInvalidArgument, "not a snapshot chunk");
    Status s = co_await install_chunk(std::move(chunk));
    if (!s.is_ok()) co_return s;
    co_return std::string();
  });
}

RaftReplica::~RaftReplica() { *alive_ = false; }

std::optional<NodeId> RaftReplica::leader_hint() const {
  if (!raft_ || raft_->leader() == 0) return std::nullopt;
  return raft_node(raft_->leader());
}

std::string RaftReplica::describe() const {
  if (!raft_) return "starting";
  if (halted_) return "halted: it could not write its log, or its log conflicts with a committed entry";
  if (raft_->recovering()) {
    return "recovering (empty or damaged log): casts no vote until a leader has sent it the log, "
           "or every voter answers that its log is empty too (a new group)";
  }
  if (raft_->role() == raft::Role::kLeader) return "leader";
  if (raft_->leader() == 0) return "votes, no leader heard yet";
  return "caught up, follower of node " + std::to_string(raft_node(raft_->leader()).value);
}

Status RaftReplica::not_leader() const {
  const auto hint = leader_hint();
  return Status(Code::kUnavailable, hint ? "leader=" + std::to_string(hint->value) : "no leader", "NotLeader");
}

Task<Status> RaftReplica::start() {
  Status s = co_await load();
  if (!s.is_ok()) co_return s;
  tick_loop();
  if (raft_->recovering() && raft_->last_index() == 0) rt_.spawn(await_fresh_group());
  kick();
  co_return Status::ok();
}

// Reads hard state, compaction point, applied index and log; a corrupt
// entry ends the log there, and the replica recovers from a leader.
Task<Status> RaftReplica::load() {
  raft::Restored restored;
  if ((co_await kv_.get(kInstalling)).is_ok()) {
    // A snapshot was half installed: nothing here can be trusted but the
    // term and vote. Start over from a leader.
    Status wiped = co_await wipe_state();
    if (!wiped.is_ok()) co_return wiped;
    KvBatch done;
    done.remove(kInstalling);
    if (Status s = co_await kv_.write(std::move(done), Durability::kSync); !s.is_ok()) co_return s;
    restored.recovering = true;
  }
  auto hard = co_await kv_.get(kHard);
  if (hard.is_ok()) ASSERT(restored.hard_state.ParseFromString(hard.value()));
  auto snap = co_await kv_.get(kSnap);
  if (snap.is_ok()) {
    ASSERT(restored.snapshot.ParseFromString(snap.value()));
  } else {
    for (NodeId v : config_.voters) restored.snapshot.mutable_config()->add_voters(raft_peer(v));
  }
  auto applied = co_await kv_.get(kApplied);
  applied_ = applied.is_ok() ? from_be64(applied.value()) : 0;
  std::string from = log_key(restored.snapshot.index() + 1);
  const std::string end = kLogEnd;
  while (true) {
    auto rows = co_await kv_.scan(from, end, 1024);
    if (!rows.is_ok()) co_return rows.status();
    for (auto& [key, value] : rows.value()) {
      raft::Entry e;
      const uint64_t want = restored.snapshot.index() + 1 + restored.entries.size();
      if (!e.ParseFromString(value) || !raft::entry_intact(e) || e.index() != want) {
        restored.recovering = true;  // what follows is rebuilt from a leader
        break;
      }
      restored.entries.push_back(std::move(e));
    }
    if (restored.recovering || rows.value().size() < 1024) break;
    from = rows.value().back().first + std::string(1, '\0');
  }
  durable_last_ = restored.snapshot.index() + restored.entries.size();
  if (restored.recovering) {  // what follows a corrupt entry goes, so no stale entry outlives it
    Status s = co_await erase_range(log_key(durable_last_ + 1), kLogEnd, Durability::kSync);
    if (!s.is_ok()) co_return s;
  }
  // Empty: a new group, or a replica whose disk was lost or replaced. It
  // abstains until it hears a leader, or learns the group is new.
  if (!hard.is_ok()) restored.recovering = true;
  applied_ = std::max(applied_, restored.snapshot.index());
  restored.applied = std::min(applied_, durable_last_);
  raft::Options opt;
  opt.id = raft_peer(rpc_.self());
  opt.election_ticks = config_.election_ticks;
  opt.heartbeat_ticks = config_.heartbeat_ticks;
  opt.broken = config_.broken;
  raft_ = std::make_unique<raft::Raft>(opt, rt_.random(), std::move(restored));
  co_return Status::ok();
}

void RaftReplica::tick_loop() {
  std::weak_ptr<bool> alive = alive_;
  rt_.post_after(config_.tick, [this, alive] {
    if (alive.expired()) return;
    if (halted_) return;
    raft_->tick();
    kick();
    tick_loop();
  });
}

void RaftReplica::kick() {
  dirty_ = true;
  if (pumping_ || !raft_ || halted_ || installing_) return;
  pumping_ = true;
  rt_.spawn(pump());
}

// One ready at a time: while its write is in flight, new input piles up
// and goes out together in the next (group commit).
Task<void> RaftReplica::pump() {
  std::shared_ptr<bool> alive = alive_;
  while (dirty_ && !halted_) {
    dirty_ = false;
    raft::Ready rd = raft_->ready();
    if (rd.empty()) continue;
    if (!co_await persist(rd)) break;
    if (!*alive) co_return;
    send_all(rd.messages);
    if (!co_await apply(rd.committed)) break;
    if (!*alive) co_return;
    answer_reads(rd.reads);
    fail_orphaned_proposals();
    for (raft::PeerId peer : rd.snapshot_needed) rt_.spawn(send_snapshot(peer));
    if (!co_await maybe_compact()) break;
    if (!*alive) co_return;
    if (is_leader() && raft_->term() != leader_term_seen_) {
      leader_term_seen_ = raft_->term();
      if (config_.on_leader) config_.on_leader(rpc_.self(), leader_term_seen_);
    }
  }
  pumping_ = false;
}

// A proposal of a term this replica no longer leads may still commit under
// the next leader, or not: its caller learns that it cannot know. (A
// leader's proposals wait for their outcome however long, so its state
// machine never runs ahead of a proposal it gave up on.)
void RaftReplica::fail_orphaned_proposals() {
  const bool leading = is_leader();
  for (auto it = proposals_.begin(); it != proposals_.end();) {
    if (leading && it->second.first == raft_->term()) {
      ++it;
      continue;
    }
    it->second.second->result = no_answer("the metadata leader changed before the write committed");
    it->second.second->done.fire(rt_);
    it = proposals_.erase(it);
  }
}

Task<bool> RaftReplica::persist(const raft::Ready& rd) {
  KvBatch batch;
  if (rd.truncate_from) {
    for (uint64_t i = *rd.truncate_from; i <= durable_last_; ++i) batch.remove(log_key(i));
    durable_last_ = std::min(durable_last_, *rd.truncate_from - 1);
  }
  for (const raft::Entry& e : rd.entries) batch.put(log_key(e.index()), e.SerializeAsString());
  if (rd.hard_state) {
    proto::RaftHardState hs = *rd.hard_state;
    if (config_.votes_not_persisted) hs.set_vote(0);
    batch.put(kHard, hs.SerializeAsString());
  }
  if (batch.empty()) co_return true;
  Status s = co_await kv_.write(std::move(batch), Durability::kSync);
  if (!s.is_ok()) {
    halted_ = true;  // a replica that cannot persist must not vote or acknowledge
    co_return false;
  }
  if (!rd.entries.empty()) {
    durable_last_ = rd.entries.back().index();
    raft_->persisted(rd.entries.back().index(), rd.entries.back().term());
  }
  co_return true;
}

void RaftReplica::send_all(std::vector<raft::Msg>& messages) {
  for (raft::Msg& m : messages) rpc_.notify(raft_node(m.to()), "raft.msg", m.SerializeAsString());
}

Task<bool> RaftReplica::apply(const std::vector<raft::Entry>& committed) {
  if (committed.empty()) co_return true;
  KvBatch batch;
  for (const raft::Entry& e : committed) {
    if (e.type() != raft::Entry::NORMAL) continue;
    proto::KvCommand command;
    ASSERT(command.ParseFromString(e.data()));  // checked by its CRC on the way in
    for (const proto::KvOp& op : command.ops()) {
      if (op.remove()) {
        batch.remove(op.key());
      } else {
        batch.put(op.key(), op.value());
      }
    }
  }
  batch.put(kApplied, be64(committed.back().index()));
  // Buffered: the log is durable, and a restart replays from the applied index.
  Status s = co_await kv_.write(std::move(batch), Durability::kBuffered);
  if (!s.is_ok()) {
    halted_ = true;
    co_return false;
  }
  for (const raft::Entry& e : committed) {
    if (config_.on_apply) config_.on_apply(rpc_.self(), e);
    auto it = proposals_.find(e.index());
    if (it == proposals_.end()) continue;
    const bool ours = it->second.first == e.term();
    it->second.second->result = ours ? Status::ok() : not_leader();  // another leader's entry won
    it->second.second->done.fire(rt_);
    proposals_.erase(it);
  }
  applied_ = committed.back().index();
  finish_applied();
  co_return true;
}

void RaftReplica::answer_reads(const std::vector<raft::ReadState>& reads) {
  for (const raft::ReadState& rs : reads) {
    auto it = reads_.find(rs.id);
    if (it == reads_.end()) continue;
    std::shared_ptr<Waiter> w = it->second;
    reads_.erase(it);
    if (rs.index == 0) {
      w->result = not_leader();
      w->done.fire(rt_);
    } else {
      awaiting_apply_.emplace(rs.index, w);
    }
  }
  finish_applied();
}

void RaftReplica::finish_applied() {
  while (!awaiting_apply_.empty() && awaiting_apply_.begin()->first <= applied_) {
    auto w = awaiting_apply_.begin()->second;
    awaiting_apply_.erase(awaiting_apply_.begin());
    if (!w->result) w->result = Status::ok();
    w->done.fire(rt_);
  }
}

std::shared_ptr<RaftReplica::Waiter> RaftReplica::wait(Duration deadline) {
  auto w = std::make_shared<Waiter>();
  std::weak_ptr<Waiter> weak = w;
  Runtime* rt = &rt_;
  rt_.post_after(deadline, [weak, rt] {
    auto w = weak.lock();
    if (!w || w->done.fired) return;
    w->result = no_answer("no answer from the metadata group in time");
    w->done.fire(*rt);
  });
  return w;
}

Task<Status> RaftReplica::propose(std::string command) {
  if (!raft_ || halted_) co_return Status(Code::kUnavailable, "metadata replica not started", "NotLeader");
  auto index = raft_->propose(std::move(command));
  if (!index.is_ok()) co_return not_leader();
  co_return co_await await_entry(index.value());
}

Task<Status> RaftReplica::await_entry(uint64_t index) {
  auto w = std::make_shared<Waiter>();
  proposals_[index] = {raft_->term(), w};
  kick();
  co_await w->done.wait();
  co_return *w->result;
}

Task<Status> RaftReplica::read_barrier(Duration deadline) {
  if (!raft_ || halted_) co_return Status(Code::kUnavailable, "metadata replica not started", "NotLeader");
  if (config_.reads_from_any_replica) co_return Status::ok();
  const uint64_t id = next_read_id_++;
  if (!raft_->read_index(id).is_ok()) co_return not_leader();
  auto w = wait(deadline);
  reads_[id] = w;
  kick();
  co_await w->done.wait();
  reads_.erase(id);
  co_return *w->result;
}

}  // namespace tessera

// RaftReplica: the thin driver of one Raft replica (raft.h) over Runtime,
// RpcEndpoint and Kv. It ticks, carries messages ("raft.msg", one-way),
// persists hard state and log entries in one synced kv write per ready
// (commands proposed meanwhile share that fsync: group commit), applies
// committed commands to the same kv, and answers proposals and read
// barriers once applied.
//
// The state machine is the kv itself: a command is a KvCommand (a batch
// of puts and deletes), applied atomically together with the applied
// index. Replaying a suffix of such commands over a state that already
// holds some of them ends in the same state, so a restart replays from
// the applied index and nothing is applied twice in effect.
//
// Kv layout: the log under "\0raft/" (below every state-machine key, so
// metadata scans never see it); the state machine everywhere else.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "core/consensus/raft.h"
#include "core/rpc/rpc_endpoint.h"
#include "io_abstraction/combinators.h"
#include "io_abstraction/kv.h"
#include "io_abstraction/runtime.h"

namespace tessera {

// Raft's peer ids are 1-based (0 = none); node ids start at 0.
inline raft::PeerId raft_peer(NodeId n) { return n.value + 1; }
inline NodeId raft_node(raft::PeerId p) { return NodeId(p - 1); }

struct RaftReplicaConfig {
  std::vector<NodeId> voters;  // the group as it first starts
  Duration tick = Duration::millis(50);
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  // The log is compacted once it holds compact_every applied entries,
  // down to the last compact_keep (for followers a little behind); one
  // further behind gets a snapshot, in chunks of snapshot_chunk_bytes.
  uint64_t compact_every = 20000;
  uint64_t compact_keep = 2000;
  size_t snapshot_chunk_bytes = 2u << 20;
  Duration snapshot_chunk_deadline = Duration::seconds(10);
  raft::BrokenRaft broken;              // test only
  bool votes_not_persisted = false;     // test only: the vote never reaches disk
  bool reads_from_any_replica = false;  // test only: barriers pass at once, anywhere
  // Observers for the simulator's replica checker: this replica became
  // leader of a term; it applied an entry.
  std::function<void(NodeId self, uint64_t term)> on_leader;
  std::function<void(NodeId self, const raft::Entry& entry)> on_apply;
  std::function<void(NodeId self, uint64_t index)> on_diverged;
  std::function<void(NodeId self, uint64_t index)> on_snapshot_installed;
};

class RaftReplica {
 public:
  RaftReplica(Runtime& rt, RpcEndpoint& rpc, Kv& kv, RaftReplicaConfig config);
  ~RaftReplica();
  RaftReplica(const RaftReplica&) = delete;
  RaftReplica& operator=(const RaftReplica&) = delete;

  // Loads the persisted state and starts ticking. Calls before it finish
  // fail with kUnavailable.
  Task<Status> start();
  // Proposes command; ok once it is committed and applied here. NotLeader
  // (definitely not applied: retry at leader_hint()), or NoAnswer when this
  // replica stops leading before the outcome is known (it may still commit).
  Task<Status> propose(std::string command);
  // Ok once this replica's state holds every write committed before the
  // call began (read index); NotLeader or NoAnswer otherwise.
  Task<Status> read_barrier(Duration deadline);
  // On the leader: replaces the voter `remove` by `add` (RaftReplace in
  // consensus.proto), each step committed before the next; served as
  // "raft.replace" (which starts it and reports on it). NotLeader
  // elsewhere; kUnavailable when add has not caught up by deadline (it
  // stays a learner; ask again).
  Task<Status> replace(NodeId remove, NodeId add, Duration deadline);
  static constexpr char kInProgress[] = "InProgress";

  bool started() const { return raft_ != nullptr; }
  bool is_leader() const { return raft_ && raft_->role() == raft::Role::kLeader; }
  std::optional<NodeId> leader_hint() const;
  const raft::Raft* raft() const { return raft_.get(); }
  uint64_t applied_index() const { return applied_; }
  bool halted() const { return halted_; }
  // What an operator needs to know of this replica, for a log line:
  // "leader", "caught up, follower of node N", "recovering ..." (it votes
  // in no election until a leader has sent it the log), "halted ...".
  std::string describe() const;
  NodeId id() const { return rpc_.self(); }

 private:
  struct Waiter;
  Task<Status> load();
  void kick();
  Task<void> pump();
  Task<bool> persist(const raft::Ready& rd);
  void send_all(std::vector<raft::Msg>& messages);
  Task<bool> apply(const std::vector<raft::Entry>& committed);
  void answer_reads(const std::vector<raft::ReadState>& reads);
  void finish_applied();
  void fail_orphaned_proposals();
  void tick_loop();
  std::shared_ptr<Waiter> wait(Duration deadline);
  // raft_membership.cc
  void serve_membership();
  // raft_bootstrap.cc
  void serve_log_extent();
  bool empty_and_unreached() const;
  Task<void> await_fresh_group();
  Task<std::optional<uint64_t>> voters_all_empty(Duration deadline);
  Task<void> run_replace(NodeId remove, NodeId add, Duration catch_up);
  Task<Status> change_config(proto::RaftConfig next);
  Task<Status> await_entry(uint64_t index);
  Task<Status> catch_up(raft::PeerId learner, Instant give_up);
  // raft_snapshot.cc
  Task<bool> maybe_compact();
  Task<void> send_snapshot(raft::PeerId peer);
  Task<Status> install_chunk(proto::RaftSnapshotChunk chunk);
  Task<void> watch_install();
  Task<Status> wipe_state();
  Task<Status> erase_range(std::string begin, std::string end, Durability durability);
  Status not_leader() const;

  Runtime& rt_;
  RpcEndpoint& rpc_;
  Kv& kv_;
  RaftReplicaConfig config_;
  std::unique_ptr<raft::Raft> raft_;
  uint64_t leader_term_seen_ = 0;  // for on_leader
  uint64_t durable_last_ = 0;      // the log in the kv ends here
  uint64_t applied_ = 0;
  bool pumping_ = false, dirty_ = false, halted_ = false;
  bool installing_ = false;  // a snapshot is arriving: no apply, no steps
  bool reloading_ = false;   // giving up a stalled snapshot: no chunks either
  uint64_t next_chunk_ = 0;
  Instant last_chunk_at_;
  proto::RaftSnapshotPoint installing_point_;
  std::set<raft::PeerId> sending_snapshot_;
  uint64_t next_read_id_ = 1;
  // Proposals by index (with the term they were proposed in), reads by
  // id, and both waiting for an applied index.
  std::map<uint64_t, std::pair<uint64_t, std::shared_ptr<Waiter>>> proposals_;
  std::map<uint64_t, std::shared_ptr<Waiter>> reads_;
  std::multimap<uint64_t, std::shared_ptr<Waiter>> awaiting_apply_;
  std::optional<std::pair<NodeId, NodeId>> replacing_;  // (remove, add) running here
  std::optional<std::pair<std::pair<NodeId, NodeId>, Status>> replaced_;  // how the last one ended
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera

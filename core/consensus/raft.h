// Raft as a pure state machine (the Raft paper and Ongaro's thesis, in
// etcd/raft's shape): no IO, no clock, no coroutines. The driver
// (raft_replica.h) feeds it ticks, messages, "persisted through" and
// proposals, and carries out what ready() returns, in this order:
//   1. persist hard_state and entries (one synced write: group commit),
//      then call persisted(last index, its term);
//   2. send messages (a vote or an acknowledgement only ever leaves after
//      the state it depends on is durable);
//   3. apply committed entries in order (never past what is durable here);
//   4. answer reads whose read index is applied.
// Safety rules kept here: pre-vote and check-quorum; a leader commits only
// entries of its own term by counting (Figure 8) after a no-op opens the
// term; checksummed entries (a corrupt one is dropped, never applied);
// linearizable reads by read index; one membership change at a time,
// learners first.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus.pb.h"
#include "io_abstraction/random.h"
#include "io_abstraction/status.h"

namespace tessera::raft {

using PeerId = uint32_t;  // 1-based; 0 = none
using Entry = proto::RaftEntry;
using Msg = proto::RaftMessage;

enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };

// Deliberately broken rules the replica checker must catch (test only).
struct BrokenRaft {
  bool commit_without_quorum = false;  // the leader commits what it alone holds
  bool count_old_terms = false;        // commits an old-term entry by counting (Figure 8)
};

struct Options {
  PeerId id = 0;
  int election_ticks = 10;  // a follower campaigns after [e, 2e) silent ticks
  int heartbeat_ticks = 1;
  size_t append_entries_max = 512;
  size_t append_bytes_max = 1u << 20;
  BrokenRaft broken;
};

// What a replica finds on its disk at start.
struct Restored {
  proto::RaftHardState hard_state;
  proto::RaftSnapshotPoint snapshot;  // index 0: an empty state machine
  std::vector<Entry> entries;         // snapshot.index + 1, ... (checked)
  uint64_t applied = 0;               // the state machine holds this much
  // The replica lost state (a corrupt entry, a replaced disk): it neither
  // votes nor campaigns until a leader has brought it up to date.
  bool recovering = false;
};

struct ReadState {
  uint64_t id = 0;     // as given to read_index()
  uint64_t index = 0;  // a read may be answered once this is applied
};

struct Ready {
  std::optional<proto::RaftHardState> hard_state;
  // Log entries with index >= truncate_from are gone (durable ones too),
  // then entries are appended.
  std::optional<uint64_t> truncate_from;
  std::vector<Entry> entries;
  std::vector<Msg> messages;
  std::vector<Entry> committed;
  std::vector<ReadState> reads;
  std::vector<PeerId> snapshot_needed;  // followers behind the log's start
  bool empty() const {
    return !hard_state && !truncate_from && entries.empty() && messages.empty() && committed.empty() && reads.empty() &&
           snapshot_needed.empty();
  }
};

// The checksum entries carry.
uint32_t entry_crc(const Entry& e);
bool entry_intact(const Entry& e);

class Raft {
 public:
  Raft(Options options, Random& random, Restored restored);

  void tick();
  void step(const Msg& m);
  // Appends a command; its index, or kUnavailable (reason NotLeader).
  Result<uint64_t> propose(std::string data);
  // Starts a membership change (one at a time): add or remove one voter
  // or learner, or promote a caught-up learner.
  Status propose_config(proto::RaftConfig next);
  // A read-index round; its ReadState comes out of ready(), or never if
  // this replica loses leadership first (the caller times out and retries).
  Status read_index(uint64_t id);
  // The log is durable through index (which had term).
  void persisted(uint64_t index, uint64_t term);
  // The state machine was replaced by a snapshot through point.
  void restore(const proto::RaftSnapshotPoint& point);
  // Log entries through index (applied) may be dropped.
  void compact(uint64_t index);
  // The snapshot sent to peer (through index) is installed, or sending
  // it failed (it is asked for again once the peer answers).
  void snapshot_sent(PeerId peer, uint64_t index);
  void snapshot_failed(PeerId peer);
  // The configuration in force at index (>= first_index() - 1).
  proto::RaftConfig config_at(uint64_t index) const;
  Ready ready();

  Role role() const { return role_; }
  uint64_t term() const { return term_; }
  PeerId leader() const { return leader_; }
  PeerId id() const { return opt_.id; }
  uint64_t commit_index() const { return commit_; }
  uint64_t last_index() const { return first_index_ - 1 + log_.size(); }
  uint64_t first_index() const { return first_index_; }
  uint64_t term_at(uint64_t index) const;  // 0 when unknown (compacted or absent)
  const proto::RaftConfig& config() const { return config_; }
  // On a leader: how much of the log peer is known to hold (0: unknown).
  uint64_t match_of(PeerId peer) const {
    auto it = progress_.find(peer);
    return it == progress_.end() ? 0 : it->second.match;
  }
  const proto::RaftSnapshotPoint& snapshot_point() const { return snapshot_; }
  bool recovering() const { return recovering_; }
  // The driver learned that no group exists yet to recover from (every
  // voter's log is empty): vote and campaign, in a term above term_floor
  // (above every peer's), so a vote this replica cast before it lost its
  // disk is never cast again in the same term.
  void end_recovery(uint64_t term_floor);
  // A leader sent an entry that conflicts with one committed here: the
  // group broke Raft's safety (only a broken variant can). The replica
  // ignores the rest and must be rebuilt; its driver halts it.
  std::optional<uint64_t> diverged_at() const { return diverged_at_; }
  // Entries in [from, to] (to <= last_index()), for tests and snapshots.
  std::vector<Entry> entries(uint64_t from, uint64_t to) const;

 private:
  struct Progress {
    uint64_t match = 0;
    uint64_t next = 1;
    bool probing = true;  // one append in flight until the follower answers
    bool snapshotting = false;
    bool recent_active = false;  // heard from since the last quorum check
    uint64_t sent_commit = 0;    // the commit index it was last sent
  };
  struct PendingRead {
    uint64_t seq = 0;
    uint64_t index = 0;
    uint64_t id = 0;
    std::set<PeerId> acks;
  };

  // raft_election.cc
  void become_follower(uint64_t term, PeerId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void campaign();
  void request_votes(Msg::Type type, uint64_t term);
  void on_vote_request(const Msg& m);
  void on_vote_reply(const Msg& m);
  bool log_up_to_date(uint64_t last_term, uint64_t last_index) const;
  bool in_lease() const;
  void check_quorum();
  void reset_timeouts();
  bool step_term(const Msg& m);

  // raft_replication.cc
  void append_local(Entry e);
  void send_append(PeerId to);
  void broadcast_append();
  void broadcast_heartbeat();
  void on_append(const Msg& m);
  void truncate(uint64_t index);
  void on_append_reply(const Msg& m);
  void on_heartbeat(const Msg& m);
  void on_heartbeat_reply(const Msg& m);
  void maybe_commit();
  void release_reads();
  void apply_config(const proto::RaftConfig& config);
  void rebuild_config();
  void send(Msg m);
  bool is_voter(PeerId p) const;
  size_t quorum() const { return config_.voters_size() / 2 + 1; }

  Options opt_;
  Random& random_;
  Role role_ = Role::kFollower;
  uint64_t term_ = 0;
  PeerId vote_ = 0;
  PeerId leader_ = 0;
  uint64_t commit_ = 0;
  uint64_t stable_ = 0;  // durable through this index
  bool recovering_ = false;
  std::optional<uint64_t> diverged_at_;

  proto::RaftSnapshotPoint snapshot_;
  uint64_t first_index_ = 1;
  std::deque<Entry> log_;
  proto::RaftConfig config_;
  uint64_t config_index_ = 0;  // of the newest config entry in the log

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  std::set<PeerId> votes_for_, votes_against_;

  std::map<PeerId, Progress> progress_;
  uint64_t read_seq_ = 0;
  std::deque<PendingRead> reads_;

  // Outputs since the last ready().
  proto::RaftHardState last_hard_;
  std::optional<uint64_t> truncate_from_;
  uint64_t unstable_from_ = 1;  // entries from here on are not yet handed out
  uint64_t applied_out_ = 0;    // committed entries handed out through here
  std::vector<Msg> out_;
  std::vector<ReadState> reads_out_;
  std::vector<PeerId> snapshot_out_;
};

}  // namespace tessera::raft

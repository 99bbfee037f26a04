// Log compaction and snapshots. The state machine is the kv itself, so a
// snapshot is a scan of it, streamed in chunks. The scan is fuzzy (applies
// go on while it runs), but every command is a batch of blind writes: a
// follower that installs the chunks and then replays the log from the
// snapshot's index ends in the leader's state. Installation is atomic to
// the follower: it serves nothing and applies nothing meanwhile, and a
// crash mid-way leaves a mark that makes it start over from a leader.
#include "consensus.pb.h"
#include "core/consensus/raft_keys.h"
#include "core/consensus/raft_replica.h"
#include "io_abstraction/assert.h"

namespace tessera {

using namespace raft_keys;

// Drops the applied log but its last compact_keep entries. The synced
// write also makes every buffered apply before it durable, so the log is
// never cut past what the state machine holds after a crash.
Task<bool> RaftReplica::maybe_compact() {
  const uint64_t first = raft_->first_index();
  if (applied_ < first + config_.compact_every) co_return true;
  const uint64_t upto = applied_ - config_.compact_keep;
  raft_->compact(upto);
  KvBatch batch;
  for (uint64_t i = first; i <= upto; ++i) batch.remove(log_key(i));
  batch.put(kSnap, raft_->snapshot_point().SerializeAsString());
  Status s = co_await kv_.write(std::move(batch), Durability::kSync);
  if (!s.is_ok()) halted_ = true;
  co_return s.is_ok();
}

Task<void> RaftReplica::send_snapshot(raft::PeerId peer) {
  if (!sending_snapshot_.insert(peer).second) co_return;
  std::shared_ptr<bool> alive = alive_;
  const uint64_t term = raft_->term();
  proto::RaftSnapshotPoint point;
  point.set_index(applied_);
  point.set_term(raft_->term_at(applied_));
  *point.mutable_config() = raft_->config_at(applied_);
  std::string from = kStateBegin;
  bool ok = true;
  for (uint64_t chunk = 0; ok; ++chunk) {
    proto::RaftSnapshotChunk c;
    *c.mutable_point() = point;
    c.set_chunk(chunk);
    c.set_term(term);
    size_t bytes = 0;
    bool more = true;
    while (more && bytes < config_.snapshot_chunk_bytes) {
      auto rows = co_await kv_.scan(from, std::string(), 256);
      if (!*alive) co_return;
      if (!rows.is_ok()) {
        ok = false;
        break;
      }
      for (auto& [key, value] : rows.value()) {
        bytes += key.size() + value.size();
        c.add_keys(key);
        c.add_values(value);
      }
      more = rows.value().size() == 256;
      if (!rows.value().empty()) from = rows.value().back().first + std::string(1, '\0');
    }
    if (!ok) break;
    c.set_last(!more);
    auto r =
        co_await rpc_.call(raft_node(peer), "raft.snapshot", c.SerializeAsString(), config_.snapshot_chunk_deadline);
    if (!*alive) co_return;
    const bool past_it = r.code() == Code::kAlreadyExists;  // the follower needs none
    ok = (r.is_ok() || past_it) && is_leader() && raft_->term() == term;
    if (ok && (c.last() || past_it)) break;
  }
  sending_snapshot_.erase(peer);
  if (ok) {
    raft_->snapshot_sent(peer, point.index());
  } else {
    raft_->snapshot_failed(peer);
  }
  kick();
}

// A snapshot whose chunks stop coming (its leader died or was deposed)
// is given up: the replica reloads as one that lost its state (the mark
// is on disk), takes raft messages again, and the leader it finds sends
// a snapshot of its own. Until then it steps no message: its log is gone.
Task<void> RaftReplica::watch_install() {
  std::shared_ptr<bool> alive = alive_;
  const Duration stalled = config_.tick * (config_.election_ticks * 4);
  last_chunk_at_ = rt_.now();
  while (installing_) {
    const Duration quiet_for = rt_.now() - last_chunk_at_;
    if (quiet_for < stalled) {
      co_await sleep(rt_, stalled - quiet_for);
      if (!*alive) co_return;
      continue;
    }
    reloading_ = true;
    Status reloaded = co_await load();
    if (!*alive) co_return;
    reloading_ = false;
    if (!reloaded.is_ok()) {
      halted_ = true;
      co_return;
    }
    installing_ = false;
    kick();
  }
}

// Deletes every key in [begin, end) (end "" = no bound), a page at a time.
Task<Status> RaftReplica::erase_range(std::string begin, std::string end, Durability durability) {
  while (true) {
    auto rows = co_await kv_.scan(begin, end, 1024);
    if (!rows.is_ok()) co_return rows.status();
    if (rows.value().empty()) co_return Status::ok();
    KvBatch batch;
    for (auto& [key, value] : rows.value()) batch.remove(key);
    if (Status s = co_await kv_.write(std::move(batch), durability); !s.is_ok()) co_return s;
  }
}

Task<Status> RaftReplica::wipe_state() {
  if (Status s = co_await erase_range(kStateBegin, std::string(), Durability::kBuffered); !s.is_ok()) co_return s;
  if (Status s = co_await erase_range(kLogPrefix, kLogEnd, Durability::kBuffered); !s.is_ok()) co_return s;
  KvBatch batch;
  batch.remove(kSnap);
  batch.remove(kApplied);
  co_return co_await kv_.write(std::move(batch), Durability::kSync);
}

Task<Status> RaftReplica::install_chunk(proto::RaftSnapshotChunk chunk) {
  if (!raft_ || halted_ || reloading_) co_return Status(Code::kUnavailable, "replica not running");
  if (chunk.term() < raft_->term()) co_return Status(Code::kFailedPrecondition, "snapshot from an old leader");
  if (chunk.chunk() == 0) {
    // Nothing new here: the leader goes on with the log from its point.
    // (Mid-install the state is wiped: a new leader's snapshot starts over.)
    if (!installing_ && chunk.point().index() <= applied_) {
      co_return Status(Code::kAlreadyExists, "already past the snapshot");
    }
    const bool watched = installing_;
    installing_ = true;
    if (!watched) rt_.spawn(watch_install());
    installing_point_ = chunk.point();
    next_chunk_ = 0;
    KvBatch mark;
    mark.put(kInstalling, chunk.point().SerializeAsString());
    if (Status s = co_await kv_.write(std::move(mark), Durability::kSync); !s.is_ok()) co_return s;
    if (Status s = co_await wipe_state(); !s.is_ok()) co_return s;
  } else if (!installing_ || chunk.chunk() != next_chunk_ ||
             chunk.point().SerializeAsString() != installing_point_.SerializeAsString()) {
    co_return Status(Code::kFailedPrecondition, "snapshot chunk out of order");
  }
  ASSERT(chunk.keys_size() == chunk.values_size());
  last_chunk_at_ = rt_.now();
  KvBatch batch;
  for (int i = 0; i < chunk.keys_size(); ++i) batch.put(chunk.keys(i), chunk.values(i));
  ++next_chunk_;
  if (chunk.last()) {
    batch.put(kSnap, chunk.point().SerializeAsString());
    batch.put(kApplied, be64(chunk.point().index()));
    batch.remove(kInstalling);
  }
  Status s = co_await kv_.write(std::move(batch), chunk.last() ? Durability::kSync : Durability::kBuffered);
  if (!s.is_ok() || !chunk.last()) co_return s;
  installing_ = false;
  applied_ = chunk.point().index();
  durable_last_ = chunk.point().index();
  raft_->restore(chunk.point());
  if (config_.on_snapshot_installed) config_.on_snapshot_installed(rpc_.self(), applied_);
  kick();
  co_return Status::ok();
}

}  // namespace tessera

#include "core/consensus/raft.h"

#include <isa-l/crc.h>

#include <algorithm>

#include "io_abstraction/assert.h"

namespace tessera::raft {

uint32_t entry_crc(const Entry& e) {
  const uint64_t head[3] = {e.term(), e.index(), static_cast<uint64_t>(e.type())};
  uint32_t crc = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<uint64_t*>(head)), sizeof(head), 0);
  return crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(e.data().data())),
                     static_cast<int>(e.data().size()), crc);
}

bool entry_intact(const Entry& e) { return e.crc() == entry_crc(e); }

Raft::Raft(Options options, Random& random, Restored restored)
    : opt_(std::move(options)), random_(random), recovering_(restored.recovering) {
  ASSERT(opt_.id != 0 && opt_.election_ticks > opt_.heartbeat_ticks && opt_.heartbeat_ticks > 0);
  term_ = restored.hard_state.term();
  vote_ = restored.hard_state.vote();
  snapshot_ = restored.snapshot;
  first_index_ = snapshot_.index() + 1;
  for (Entry& e : restored.entries) {
    ASSERT(e.index() == first_index_ + log_.size() && entry_intact(e));
    log_.push_back(std::move(e));
  }
  ASSERT(restored.applied <= last_index());
  applied_out_ = std::max(snapshot_.index(), restored.applied);
  commit_ = std::clamp(restored.hard_state.commit(), applied_out_, last_index());
  stable_ = last_index();
  unstable_from_ = last_index() + 1;
  last_hard_ = restored.hard_state;
  rebuild_config();
  reset_timeouts();
}

uint64_t Raft::term_at(uint64_t index) const {
  if (index == snapshot_.index()) return snapshot_.term();
  if (index < first_index_ || index > last_index()) return 0;
  return log_[index - first_index_].term();
}

std::vector<Entry> Raft::entries(uint64_t from, uint64_t to) const {
  ASSERT(from >= first_index_ && to <= last_index());
  std::vector<Entry> out;
  for (uint64_t i = from; i <= to; ++i) out.push_back(log_[i - first_index_]);
  return out;
}

bool Raft::is_voter(PeerId p) const {
  return std::find(config_.voters().begin(), config_.voters().end(), p) != config_.voters().end();
}

void Raft::tick() {
  ++election_elapsed_;
  if (role_ == Role::kLeader) {
    if (++heartbeat_elapsed_ >= opt_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      broadcast_heartbeat();
    }
    if (election_elapsed_ >= opt_.election_ticks) {
      election_elapsed_ = 0;
      check_quorum();
    }
    return;
  }
  if (election_elapsed_ >= randomized_timeout_ && is_voter(opt_.id) && !recovering_) campaign();
}

void Raft::step(const Msg& m) {
  if (m.to() != opt_.id || diverged_at_ || !step_term(m)) return;
  switch (m.type()) {
    case Msg::APPEND:
    case Msg::HEARTBEAT:
      if (role_ != Role::kFollower) become_follower(term_, m.from());
      leader_ = m.from();
      election_elapsed_ = 0;
      if (m.type() == Msg::APPEND) {
        on_append(m);
      } else {
        on_heartbeat(m);
      }
      break;
    case Msg::VOTE:
    case Msg::PRE_VOTE:
      on_vote_request(m);
      break;
    case Msg::VOTE_REPLY:
    case Msg::PRE_VOTE_REPLY:
      on_vote_reply(m);
      break;
    case Msg::APPEND_REPLY:
      if (role_ == Role::kLeader) on_append_reply(m);
      break;
    case Msg::HEARTBEAT_REPLY:
      if (role_ == Role::kLeader) on_heartbeat_reply(m);
      break;
    default:
      break;
  }
}

Result<uint64_t> Raft::propose(std::string data) {
  if (role_ != Role::kLeader) return Status(Code::kUnavailable, "not the leader", "NotLeader");
  Entry e;
  e.set_type(Entry::NORMAL);
  e.set_data(std::move(data));
  append_local(std::move(e));
  return last_index();
}

Status Raft::read_index(uint64_t id) {
  if (role_ != Role::kLeader) return Status(Code::kUnavailable, "not the leader", "NotLeader");
  reads_.push_back(PendingRead{++read_seq_, 0, id, {}});
  heartbeat_elapsed_ = opt_.heartbeat_ticks;  // the round goes out with the next ready()
  release_reads();
  return Status::ok();
}

void Raft::persisted(uint64_t index, uint64_t term) {
  if (index <= stable_ || index > last_index() || term_at(index) != term) return;  // stale
  stable_ = index;
  if (role_ == Role::kLeader) maybe_commit();
}

void Raft::restore(const proto::RaftSnapshotPoint& point) {
  if (point.index() <= commit_) return;  // nothing new
  snapshot_ = point;
  log_.clear();
  first_index_ = point.index() + 1;
  commit_ = stable_ = applied_out_ = point.index();
  unstable_from_ = first_index_;
  truncate_from_ = 1;
  rebuild_config();
  recovering_ = false;
  if (leader_ != 0) {
    Msg r;
    r.set_type(Msg::APPEND_REPLY);
    r.set_to(leader_);
    r.set_term(term_);
    r.set_index(point.index());
    send(std::move(r));
  }
}

void Raft::compact(uint64_t index) {
  ASSERT(index <= applied_out_ && index <= stable_);
  if (index <= snapshot_.index()) return;
  const proto::RaftConfig at_index = config_at(index);
  const uint64_t term = term_at(index);
  snapshot_.set_index(index);
  snapshot_.set_term(term);
  *snapshot_.mutable_config() = at_index;
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(index + 1 - first_index_));
  first_index_ = index + 1;
}

proto::RaftConfig Raft::config_at(uint64_t index) const {
  ASSERT(index + 1 >= first_index_ && index <= last_index());
  proto::RaftConfig at_index = snapshot_.config();
  for (uint64_t i = first_index_; i <= index; ++i) {
    const Entry& e = log_[i - first_index_];
    if (e.type() == Entry::CONFIG) ASSERT(at_index.ParseFromString(e.data()));
  }
  return at_index;
}

void Raft::snapshot_failed(PeerId peer) {
  auto it = progress_.find(peer);
  if (it == progress_.end()) return;
  it->second.snapshotting = false;
  it->second.probing = true;
}

void Raft::snapshot_sent(PeerId peer, uint64_t index) {
  auto it = progress_.find(peer);
  if (role_ != Role::kLeader || it == progress_.end()) return;
  Progress& pr = it->second;
  pr.snapshotting = false;
  pr.match = std::max(pr.match, index);
  pr.next = pr.match + 1;
  pr.probing = true;
  send_append(peer);
}

Ready Raft::ready() {
  if (role_ == Role::kLeader && heartbeat_elapsed_ >= opt_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
  if (role_ == Role::kLeader) broadcast_append();
  Ready rd;
  proto::RaftHardState hs;
  hs.set_term(term_);
  hs.set_vote(vote_);
  hs.set_commit(std::min(commit_, last_index()));
  if (hs.SerializeAsString() != last_hard_.SerializeAsString()) {
    rd.hard_state = hs;
    last_hard_ = hs;
  }
  rd.truncate_from = truncate_from_;
  truncate_from_.reset();
  for (uint64_t i = std::max(unstable_from_, first_index_); i <= last_index(); ++i) {
    rd.entries.push_back(log_[i - first_index_]);
  }
  unstable_from_ = last_index() + 1;
  // Applied after this ready's entries are durable: the whole log is then.
  const uint64_t apply_to = std::min(commit_, last_index());
  for (uint64_t i = applied_out_ + 1; i <= apply_to; ++i) rd.committed.push_back(log_[i - first_index_]);
  applied_out_ = std::max(applied_out_, apply_to);
  rd.messages = std::move(out_);
  rd.reads = std::move(reads_out_);
  rd.snapshot_needed = std::move(snapshot_out_);
  out_.clear();
  reads_out_.clear();
  snapshot_out_.clear();
  return rd;
}

void Raft::send(Msg m) {
  m.set_from(opt_.id);
  out_.push_back(std::move(m));
}

void Raft::rebuild_config() {
  for (uint64_t i = last_index(); i >= first_index_ && i > 0; --i) {
    const Entry& e = log_[i - first_index_];
    if (e.type() != Entry::CONFIG) continue;
    proto::RaftConfig c;
    ASSERT(c.ParseFromString(e.data()));
    config_index_ = i;
    apply_config(c);
    return;
  }
  config_index_ = snapshot_.index();
  apply_config(snapshot_.config());
}

}  // namespace tessera::raft

// Log replication, the commit rule, read-index rounds and membership.
#include <algorithm>

#include "core/consensus/raft.h"
#include "io_abstraction/assert.h"

namespace tessera::raft {

void Raft::append_local(Entry e) {
  ASSERT(role_ == Role::kLeader);
  e.set_term(term_);
  e.set_index(last_index() + 1);
  e.set_crc(entry_crc(e));
  const bool config = e.type() == Entry::CONFIG;
  log_.push_back(std::move(e));
  if (config) rebuild_config();
}

void Raft::send_append(PeerId to) {
  Progress& pr = progress_.at(to);
  if (pr.snapshotting) return;
  if (pr.next < first_index_) {  // what it needs is compacted away
    pr.snapshotting = true;
    snapshot_out_.push_back(to);
    return;
  }
  Msg m;
  m.set_type(Msg::APPEND);
  m.set_to(to);
  m.set_term(term_);
  m.set_index(pr.next - 1);
  m.set_log_term(term_at(pr.next - 1));
  m.set_commit(commit_);
  size_t bytes = 0;
  for (uint64_t i = pr.next; i <= last_index() && static_cast<size_t>(m.entries_size()) < opt_.append_entries_max;
       ++i) {
    const Entry& e = log_[i - first_index_];
    if (m.entries_size() > 0 && bytes + e.data().size() > opt_.append_bytes_max) break;
    bytes += e.data().size();
    *m.add_entries() = e;
  }
  // Optimistic: the next append follows this one without waiting for it.
  if (!pr.probing) pr.next += static_cast<uint64_t>(m.entries_size());
  send(std::move(m));
}

// Sends what each follower lacks, and the commit index to those that have
// everything but not yet that.
void Raft::broadcast_append() {
  for (auto& [peer, pr] : progress_) {
    if (pr.snapshotting || pr.probing) continue;
    if (pr.next <= last_index() || pr.sent_commit < commit_) {
      pr.sent_commit = commit_;
      send_append(peer);
    }
  }
}

void Raft::broadcast_heartbeat() {
  for (auto& [peer, pr] : progress_) {
    Msg m;
    m.set_type(Msg::HEARTBEAT);
    m.set_to(peer);
    m.set_term(term_);
    // Never more than it is known to hold: its log may still differ after.
    m.set_commit(std::min(pr.match, commit_));
    m.set_read_seq(read_seq_);
    send(std::move(m));
  }
}

void Raft::on_append(const Msg& m) {
  Msg r;
  r.set_type(Msg::APPEND_REPLY);
  r.set_to(m.from());
  r.set_term(term_);
  if (m.index() < commit_) {
    r.set_index(commit_);
    return send(std::move(r));
  }
  if (term_at(m.index()) != m.log_term() || (m.index() > 0 && m.log_term() == 0)) {
    if (m.index() == commit_ && m.index() > 0) {  // the leader disagrees with a committed entry
      diverged_at_ = m.index();
      return;
    }
    r.set_reject(true);
    r.set_index(m.index());
    r.set_reject_hint(last_index());
    return send(std::move(r));
  }
  for (const Entry& e : m.entries()) {
    if (!entry_intact(e)) return;  // corrupt in flight: the leader sends it again
  }
  for (const Entry& e : m.entries()) {
    if (e.index() <= last_index()) {
      if (term_at(e.index()) == e.term()) continue;
      if (e.index() <= commit_) {
        diverged_at_ = e.index();
        return;
      }
      truncate(e.index());
    }
    ASSERT(e.index() == last_index() + 1);
    log_.push_back(e);
    if (e.type() == Entry::CONFIG) rebuild_config();
  }
  const uint64_t last_new = m.index() + static_cast<uint64_t>(m.entries_size());
  commit_ = std::max(commit_, std::min(m.commit(), last_new));
  if (recovering_ && last_new >= m.commit()) recovering_ = false;  // caught up with a leader
  r.set_index(last_new);
  send(std::move(r));
}

// Drops the log from index on: entries a new leader does not have.
void Raft::truncate(uint64_t index) {
  ASSERT(index > commit_ && index >= first_index_);  // committed entries never change
  log_.erase(log_.begin() + static_cast<std::ptrdiff_t>(index - first_index_), log_.end());
  stable_ = std::min(stable_, index - 1);
  unstable_from_ = std::min(unstable_from_, index);
  truncate_from_ = std::min(truncate_from_.value_or(index), index);
  if (config_index_ >= index) rebuild_config();
}

void Raft::on_append_reply(const Msg& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  if (m.reject()) {
    if (m.index() <= pr.match) {
      // Its log is shorter than what it once matched: it lost its disk
      // and is recovering. Send it everything again from where it ends.
      // (Otherwise the reject is stale; and a follower whose committed
      // entries conflict with ours is not answered, so this never loops.)
      if (m.reject_hint() >= pr.match) return;
      pr.match = m.reject_hint();
      pr.next = pr.match + 1;
      pr.probing = true;
      return send_append(m.from());
    }
    if (pr.probing && m.index() + 1 != pr.next) return;  // stale
    pr.next = std::max<uint64_t>(pr.match + 1, std::min(m.index(), m.reject_hint() + 1));
    pr.probing = true;
    return send_append(m.from());
  }
  if (m.index() < pr.match) return;  // stale
  pr.match = m.index();
  pr.next = std::max(pr.next, pr.match + 1);
  pr.probing = false;
  maybe_commit();
  if (role_ == Role::kLeader && pr.next <= last_index()) send_append(m.from());
}

void Raft::on_heartbeat(const Msg& m) {
  commit_ = std::max(commit_, std::min(m.commit(), last_index()));
  Msg r;
  r.set_type(Msg::HEARTBEAT_REPLY);
  r.set_to(m.from());
  r.set_term(term_);
  r.set_read_seq(m.read_seq());
  send(std::move(r));
}

void Raft::on_heartbeat_reply(const Msg& m) {
  auto it = progress_.find(m.from());
  if (it == progress_.end()) return;
  Progress& pr = it->second;
  pr.recent_active = true;
  // Behind: a lost append shows up as a gap (a reject) and a probe.
  if (pr.match < last_index()) send_append(m.from());
  if (!is_voter(m.from())) return;
  for (PendingRead& r : reads_) {
    if (r.seq <= m.read_seq()) r.acks.insert(m.from());
  }
  release_reads();
}

void Raft::maybe_commit() {
  std::vector<uint64_t> matches;
  for (PeerId p : config_.voters()) {
    matches.push_back(p == opt_.id ? stable_ : progress_.count(p) ? progress_.at(p).match : 0);
  }
  if (matches.empty()) return;
  std::sort(matches.rbegin(), matches.rend());
  uint64_t q = matches[quorum() - 1];
  if (opt_.broken.commit_without_quorum) q = stable_;
  const bool own_term = term_at(q) == term_ || opt_.broken.count_old_terms;
  if (q <= commit_ || !own_term) return;
  commit_ = q;
  release_reads();
  // A leader the committed configuration left steps down.
  if (!is_voter(opt_.id) && commit_ >= config_index_) become_follower(term_, 0);
}

void Raft::release_reads() {
  if (role_ != Role::kLeader || term_at(commit_) != term_) return;  // the no-op is not yet committed
  while (!reads_.empty()) {
    const PendingRead& r = reads_.front();
    if (r.acks.size() + (is_voter(opt_.id) ? 1 : 0) < quorum()) break;
    reads_out_.push_back(ReadState{r.id, commit_});
    reads_.pop_front();
  }
}

void Raft::apply_config(const proto::RaftConfig& config) {
  config_ = config;
  if (role_ != Role::kLeader) return;
  std::set<PeerId> members(config.voters().begin(), config.voters().end());
  members.insert(config.learners().begin(), config.learners().end());
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = members.count(it->first) ? std::next(it) : progress_.erase(it);
  }
  for (PeerId p : members) {
    if (p != opt_.id && !progress_.count(p)) progress_[p] = Progress{0, last_index() + 1, true, false, true, 0};
  }
}

namespace {
std::set<PeerId> members_of(const proto::RaftConfig& c) {
  std::set<PeerId> out(c.voters().begin(), c.voters().end());
  out.insert(c.learners().begin(), c.learners().end());
  return out;
}
}  // namespace

Status Raft::propose_config(proto::RaftConfig next) {
  if (role_ != Role::kLeader) return Status(Code::kUnavailable, "not the leader", "NotLeader");
  if (config_index_ > commit_) return Status(Code::kUnavailable, "a membership change is in progress");
  const std::set<PeerId> before = members_of(config_), after = members_of(next);
  std::set<PeerId> changed;
  std::set_symmetric_difference(before.begin(), before.end(), after.begin(), after.end(),
                                std::inserter(changed, changed.end()));
  std::set<PeerId> voters_before(config_.voters().begin(), config_.voters().end());
  std::set<PeerId> voters_after(next.voters().begin(), next.voters().end());
  std::set<PeerId> voters_changed;
  std::set_symmetric_difference(voters_before.begin(), voters_before.end(), voters_after.begin(), voters_after.end(),
                                std::inserter(voters_changed, voters_changed.end()));
  if (changed.size() + voters_changed.size() == 0 || voters_changed.size() > 1 || changed.size() > 1) {
    return Status(Code::kInvalidArgument, "a membership change adds, removes or promotes exactly one server");
  }
  if (voters_after.empty()) return Status(Code::kInvalidArgument, "a group needs at least one voter");
  for (PeerId p : voters_changed) {
    const bool promoted = voters_after.count(p) && before.count(p);
    if (promoted && progress_.at(p).match < commit_) {
      return Status(Code::kFailedPrecondition, "the learner has not caught up yet");
    }
    if (voters_after.count(p) && !before.count(p)) {
      return Status(Code::kInvalidArgument, "a new server joins as a learner first");
    }
  }
  Entry e;
  e.set_type(Entry::CONFIG);
  e.set_data(next.SerializeAsString());
  append_local(std::move(e));
  return Status::ok();
}

}  // namespace tessera::raft

// Elections: pre-vote (a partitioned replica cannot disrupt a healthy
// leader by bumping terms), check-quorum (a leader that stops hearing a
// quorum steps down, and replicas that hear a leader ignore votes), and
// the up-to-date rule on logs.
#include <algorithm>

#include "core/consensus/raft.h"
#include "io_abstraction/assert.h"

namespace tessera::raft {

void Raft::reset_timeouts() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  randomized_timeout_ = opt_.election_ticks + static_cast<int>(random_.below(opt_.election_ticks));
}

void Raft::become_follower(uint64_t term, PeerId leader) {
  if (term > term_) {
    term_ = term;
    vote_ = 0;
  }
  role_ = Role::kFollower;
  leader_ = leader;
  reset_timeouts();
  // Reads in flight can no longer be confirmed here: fail them now.
  for (const PendingRead& r : reads_) reads_out_.push_back(ReadState{r.id, 0});
  reads_.clear();
  progress_.clear();
}

void Raft::end_recovery(uint64_t term_floor) {
  ASSERT(recovering_ && last_index() == 0);
  recovering_ = false;
  if (term_floor >= term_) become_follower(term_floor + 1, 0);
}

void Raft::campaign() { become_pre_candidate(); }

void Raft::become_pre_candidate() {
  role_ = Role::kPreCandidate;
  leader_ = 0;
  reset_timeouts();
  votes_for_ = {opt_.id};
  votes_against_.clear();
  if (votes_for_.size() >= quorum()) return become_candidate();
  request_votes(Msg::PRE_VOTE, term_ + 1);  // the term it would campaign in; its own stays
}

void Raft::request_votes(Msg::Type type, uint64_t term) {
  for (PeerId p : config_.voters()) {
    if (p == opt_.id) continue;
    Msg m;
    m.set_type(type);
    m.set_to(p);
    m.set_term(term);
    m.set_index(last_index());
    m.set_log_term(term_at(last_index()));
    send(std::move(m));
  }
}

void Raft::become_candidate() {
  role_ = Role::kCandidate;
  ++term_;
  vote_ = opt_.id;
  leader_ = 0;
  reset_timeouts();
  votes_for_ = {opt_.id};
  votes_against_.clear();
  if (votes_for_.size() >= quorum()) return become_leader();
  request_votes(Msg::VOTE, term_);
}

void Raft::become_leader() {
  ASSERT(role_ == Role::kCandidate);
  role_ = Role::kLeader;
  leader_ = opt_.id;
  reset_timeouts();
  progress_.clear();
  auto track = [&](PeerId p) {
    if (p != opt_.id) progress_[p] = Progress{0, last_index() + 1, true, false, true, 0};
  };
  for (PeerId p : config_.voters()) track(p);
  for (PeerId p : config_.learners()) track(p);
  // The no-op: once it commits, every entry of earlier terms has too, and
  // commit_ is a valid read index.
  Entry noop;
  noop.set_type(Entry::NOOP);
  append_local(std::move(noop));
  for (auto& [peer, pr] : progress_) send_append(peer);
  maybe_commit();
}

bool Raft::log_up_to_date(uint64_t last_term, uint64_t last_idx) const {
  const uint64_t my_term = term_at(last_index());
  return last_term > my_term || (last_term == my_term && last_idx >= last_index());
}

bool Raft::in_lease() const { return leader_ != 0 && election_elapsed_ < opt_.election_ticks; }

// Term rules common to every message; false when m is done with.
bool Raft::step_term(const Msg& m) {
  const bool vote_request = m.type() == Msg::VOTE || m.type() == Msg::PRE_VOTE;
  if (m.term() > term_) {
    if (vote_request && in_lease()) return false;  // a leader is alive: ignore
    if (m.type() == Msg::PRE_VOTE) return true;    // a pre-vote changes no term
    if (m.type() == Msg::PRE_VOTE_REPLY && !m.reject()) return true;
    const bool from_leader = m.type() == Msg::APPEND || m.type() == Msg::HEARTBEAT;
    become_follower(m.term(), from_leader ? m.from() : 0);
    return true;
  }
  if (m.term() < term_) {
    // An old leader or pre-candidate learns the term and stands down.
    if (m.type() == Msg::APPEND || m.type() == Msg::HEARTBEAT || m.type() == Msg::PRE_VOTE) {
      Msg r;
      r.set_type(m.type() == Msg::PRE_VOTE ? Msg::PRE_VOTE_REPLY : Msg::APPEND_REPLY);
      r.set_to(m.from());
      r.set_term(term_);
      r.set_reject(true);
      send(std::move(r));
    }
    return false;
  }
  return true;
}

void Raft::on_vote_request(const Msg& m) {
  const bool pre = m.type() == Msg::PRE_VOTE;
  const bool free_to_vote = pre ? m.term() > term_ : (vote_ == 0 || vote_ == m.from());
  const bool grant = free_to_vote && !recovering_ && log_up_to_date(m.log_term(), m.index());
  if (grant && !pre) {
    vote_ = m.from();
    election_elapsed_ = 0;
  }
  Msg r;
  r.set_type(pre ? Msg::PRE_VOTE_REPLY : Msg::VOTE_REPLY);
  r.set_to(m.from());
  r.set_term(grant && pre ? m.term() : term_);
  r.set_reject(!grant);
  send(std::move(r));
}

void Raft::on_vote_reply(const Msg& m) {
  const bool pre = m.type() == Msg::PRE_VOTE_REPLY;
  if (role_ != (pre ? Role::kPreCandidate : Role::kCandidate) || !is_voter(m.from())) return;
  if (m.reject()) {
    votes_against_.insert(m.from());
  } else {
    votes_for_.insert(m.from());
  }
  if (votes_for_.size() >= quorum()) {
    if (pre) return become_candidate();
    return become_leader();
  }
  if (votes_against_.size() >= quorum()) become_follower(term_, 0);
}

void Raft::check_quorum() {
  size_t active = is_voter(opt_.id) ? 1 : 0;
  for (auto& [peer, pr] : progress_) {
    if (pr.recent_active && is_voter(peer)) ++active;
    pr.recent_active = false;
  }
  if (active < quorum()) become_follower(term_, 0);
}

}  // namespace tessera::raft

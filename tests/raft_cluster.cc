#include "tests/raft_cluster.h"

#include "io_abstraction/assert.h"

namespace tessera::raft_test {

RaftCluster::RaftCluster(size_t voters, uint64_t seed, raft::BrokenRaft broken, bool votes_not_persisted)
    : seed_(seed), broken_(broken), votes_not_persisted_(votes_not_persisted), random_(mix_seed(seed, 0x52414654)) {
  replicas_.resize(voters);
  for (raft::PeerId p = 1; p <= voters; ++p) boot(p);
}

void RaftCluster::boot(raft::PeerId p) {
  Replica& r = replicas_[p - 1];
  r.random = std::make_unique<Random>(mix_seed(seed_, p * 7919 + now_));
  raft::Restored restored;
  restored.hard_state = r.disk.hard;
  for (raft::PeerId v = 1; v <= replicas_.size(); ++v) restored.snapshot.mutable_config()->add_voters(v);
  for (auto& [index, e] : r.disk.log) restored.entries.push_back(e);
  restored.applied = r.applied.size();
  raft::Options opt;
  opt.id = p;
  opt.election_ticks = 10;
  opt.heartbeat_ticks = 2;
  opt.append_entries_max = seed_ % 2 ? 1 : 64;  // odd seeds send one entry at a time
  opt.broken = broken_;
  r.raft = std::make_unique<raft::Raft>(opt, *r.random, std::move(restored));
}

void RaftCluster::crash(raft::PeerId p) {
  replicas_[p - 1].raft.reset();
  // Messages it had not yet sent are gone with it; in flight ones fly on.
}

void RaftCluster::restart(raft::PeerId p) {
  if (!replicas_[p - 1].raft) boot(p);
}

void RaftCluster::partition(std::set<raft::PeerId> side) { side_ = std::move(side); }

bool RaftCluster::cut(raft::PeerId a, raft::PeerId b) const {
  if (side_.empty()) return false;
  return side_.count(a) != side_.count(b);
}

std::optional<raft::PeerId> RaftCluster::leader() const {
  std::optional<raft::PeerId> best;
  uint64_t best_term = 0;
  for (raft::PeerId p = 1; p <= replicas_.size(); ++p) {
    const auto& r = replicas_[p - 1].raft;
    if (r && r->role() == raft::Role::kLeader && r->term() >= best_term) {
      best = p;
      best_term = r->term();
    }
  }
  return best;
}

std::optional<uint64_t> RaftCluster::propose(const std::string& data) {
  auto l = leader();
  if (!l) return std::nullopt;
  auto index = replica(*l)->propose(data);
  if (!index.is_ok()) return std::nullopt;
  return index.value();
}

bool RaftCluster::read(uint64_t id) {
  auto l = leader();
  if (!l || !replica(*l)->read_index(id).is_ok()) return false;
  read_floor_[id] = committed_max();
  return true;
}

void RaftCluster::step() {
  ++now_;
  for (raft::PeerId p = 1; p <= replicas_.size(); ++p) {
    if (replicas_[p - 1].raft && random_.below(3) == 0) replicas_[p - 1].raft->tick();
  }
  deliver();
  for (raft::PeerId p = 1; p <= replicas_.size(); ++p) {
    if (replicas_[p - 1].raft) handle_ready(p);
  }
  check_leaders();
}

void RaftCluster::deliver() {
  std::vector<InFlight> due, later;
  for (InFlight& f : net_) (f.due <= now_ ? due : later).push_back(std::move(f));
  net_ = std::move(later);
  for (InFlight& f : due) {
    if (f.msg.to() == 0 || f.msg.to() > replicas_.size()) continue;  // a server that does not exist
    raft::Raft* to = replicas_[f.msg.to() - 1].raft.get();
    if (to && !cut(f.msg.from(), f.msg.to())) to->step(f.msg);
  }
}

// The driver's contract, in its order: persist, send, apply, answer reads.
void RaftCluster::handle_ready(raft::PeerId p) {
  Replica& r = replicas_[p - 1];
  if (r.raft->diverged_at()) {
    violation("replica " + std::to_string(p) + " was sent an entry conflicting with its committed index " +
              std::to_string(*r.raft->diverged_at()));
  }
  raft::Ready rd = r.raft->ready();
  if (rd.truncate_from) r.disk.log.erase(r.disk.log.lower_bound(*rd.truncate_from), r.disk.log.end());
  for (const raft::Entry& e : rd.entries) r.disk.log[e.index()] = e;
  if (rd.hard_state) {
    r.disk.hard = *rd.hard_state;
    if (votes_not_persisted_) r.disk.hard.set_vote(0);
  }
  if (!rd.entries.empty()) r.raft->persisted(rd.entries.back().index(), rd.entries.back().term());
  for (raft::Msg& m : rd.messages) {
    if (random_.below(1000000) < faults_.loss_ppm) continue;
    const int copies = random_.below(1000000) < faults_.duplicate_ppm ? 2 : 1;
    for (int c = 0; c < copies; ++c) net_.push_back({now_ + 1 + random_.below(faults_.delay_max), m});
  }
  for (const raft::Entry& e : rd.committed) {
    if (e.index() != r.applied.size() + 1) {
      violation("replica " + std::to_string(p) + " applied index " + std::to_string(e.index()) + " out of order");
    }
    auto [it, fresh] = committed_.emplace(e.index(), std::make_pair(e.term(), e.crc()));
    if (!fresh && it->second != std::make_pair(e.term(), e.crc())) {
      violation("index " + std::to_string(e.index()) + " applied with two different entries");
    }
    r.applied.push_back(e);
  }
  for (const raft::ReadState& rs : rd.reads) {
    if (rs.index == 0) continue;  // failed: leadership lost
    ++reads_answered_;
    if (rs.index < read_floor_[rs.id]) {
      violation("read " + std::to_string(rs.id) + " at index " + std::to_string(rs.index) + " misses index " +
                std::to_string(read_floor_[rs.id]) + " committed before it began");
    }
  }
}

void RaftCluster::check_leaders() {
  for (raft::PeerId p = 1; p <= replicas_.size(); ++p) {
    const auto& r = replicas_[p - 1].raft;
    if (!r || r->role() != raft::Role::kLeader) continue;
    auto [it, fresh] = leader_of_term_.emplace(r->term(), p);
    if (!fresh && it->second != p) {
      violation("two leaders in term " + std::to_string(r->term()) + ": " + std::to_string(it->second) + " and " +
                std::to_string(p));
    }
  }
}

}  // namespace tessera::raft_test

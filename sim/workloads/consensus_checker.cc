#include "sim/workloads/consensus_checker.h"

namespace tessera::sim {

void ConsensusChecker::leader(NodeId node, uint64_t term) {
  auto [it, fresh] = leaders_.emplace(term, node);
  if (!fresh && it->second != node) {
    violations_.add("consensus", "two leaders in term " + std::to_string(term) + ": nodes " +
                                     std::to_string(it->second.value) + " and " + std::to_string(node.value));
  }
}

void ConsensusChecker::applied(NodeId node, const raft::Entry& e) {
  auto [it, fresh] = entries_.emplace(e.index(), std::make_pair(e.term(), e.crc()));
  if (!fresh && it->second != std::make_pair(e.term(), e.crc())) {
    violations_.add("consensus", "node " + std::to_string(node.value) + " applied index " + std::to_string(e.index()) +
                                     " from term " + std::to_string(e.term()) + ", another replica the entry of term " +
                                     std::to_string(it->second.first));
  }
  uint64_t& last = applied_[node.value];
  // After a restart a replica replays from its applied index (which may be
  // behind what it applied before the crash): never ahead, never a gap.
  if (e.index() > last + 1 && last != 0) {
    violations_.add("consensus", "node " + std::to_string(node.value) + " applied index " + std::to_string(e.index()) +
                                     " after " + std::to_string(last));
  }
  last = e.index();
}

void ConsensusChecker::diverged(NodeId node, uint64_t index) {
  violations_.add("consensus", "a leader sent node " + std::to_string(node.value) +
                                   " an entry that conflicts with its committed index " + std::to_string(index));
}

void ConsensusChecker::installed(NodeId node, uint64_t index) {
  applied_[node.value] = index;
  ++snapshots_;
}

std::string ConsensusChecker::stats() const {
  return "raft_terms=" + std::to_string(leaders_.size()) + " raft_entries=" + std::to_string(entries_.size()) +
         " raft_snapshots=" + std::to_string(snapshots_);
}

}  // namespace tessera::sim

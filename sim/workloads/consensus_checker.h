// The replica checker of a simulated Raft group: at most one leader per
// term, and every applied index holds the same entry on every replica
// that applied it (the state machines, deterministic over the same
// entries, then hold the same state at the same index).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/consensus/raft.h"
#include "sim/workload.h"

namespace tessera::sim {

class ConsensusChecker {
 public:
  void leader(NodeId node, uint64_t term);
  void applied(NodeId node, const raft::Entry& entry);
  void diverged(NodeId node, uint64_t index);
  // A snapshot through index replaced node's state: it applies on from there.
  void installed(NodeId node, uint64_t index);
  const Violations& violations() const { return violations_; }
  std::string stats() const;
  // The leader of the newest term seen, if any.
  std::optional<NodeId> newest_leader() const {
    if (leaders_.empty()) return std::nullopt;
    return leaders_.rbegin()->second;
  }

 private:
  std::map<uint64_t, NodeId> leaders_;                         // term -> leader
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> entries_;  // index -> (term, crc)
  std::map<uint32_t, uint64_t> applied_;                       // node -> last applied index
  uint64_t snapshots_ = 0;
  Violations violations_;
};

}  // namespace tessera::sim

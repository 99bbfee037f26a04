// A cluster of pure Raft state machines (core/consensus/raft.h) over an
// in-memory network that loses, duplicates, delays and reorders, with
// crashes that keep only what was persisted, and partitions. It checks
// Raft's safety properties as it goes: at most one leader per term, every
// applied index holds the same entry everywhere, and a read index is never
// behind an entry committed before the read began.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/consensus/raft.h"

namespace tessera::raft_test {

struct Faults {
  uint32_t loss_ppm = 0;
  uint32_t duplicate_ppm = 0;
  uint32_t delay_max = 3;  // steps a message may wait
};

class RaftCluster {
 public:
  // votes_not_persisted: the driver never writes the vote (a broken rule).
  RaftCluster(size_t voters, uint64_t seed, raft::BrokenRaft broken = {}, bool votes_not_persisted = false);

  // One step: every replica ticks with probability 1/ticks_per_step's
  // inverse, then due messages are delivered and readies carried out.
  void step();
  void run(int steps) {
    for (int i = 0; i < steps && violations_.empty(); ++i) step();
  }
  void crash(raft::PeerId p);
  void restart(raft::PeerId p);
  // Messages between the two sides are dropped until heal().
  void partition(std::set<raft::PeerId> side);
  void heal() { side_.clear(); }
  void set_faults(Faults f) { faults_ = f; }

  // Proposes at the current leader, if any; the index, or nullopt.
  std::optional<uint64_t> propose(const std::string& data);
  bool read(uint64_t id);  // starts a read-index round at the leader
  std::optional<raft::PeerId> leader() const;

  raft::Raft* replica(raft::PeerId p) { return replicas_[p - 1].raft.get(); }
  size_t size() const { return replicas_.size(); }
  // Entries applied by p, in order.
  const std::vector<raft::Entry>& applied(raft::PeerId p) const { return replicas_[p - 1].applied; }
  const std::vector<std::string>& violations() const { return violations_; }
  uint64_t reads_answered() const { return reads_answered_; }
  uint64_t committed_max() const { return committed_.empty() ? 0 : committed_.rbegin()->first; }
  Random& random() { return random_; }

 private:
  struct Disk {
    proto::RaftHardState hard;
    std::map<uint64_t, raft::Entry> log;
  };
  struct Replica {
    std::unique_ptr<Random> random;
    std::unique_ptr<raft::Raft> raft;
    Disk disk;
    std::vector<raft::Entry> applied;  // durable with the state machine
  };
  struct InFlight {
    uint64_t due = 0;
    raft::Msg msg;
  };

  void boot(raft::PeerId p);
  void handle_ready(raft::PeerId p);
  void deliver();
  bool cut(raft::PeerId a, raft::PeerId b) const;
  void check_leaders();
  void violation(std::string what) { violations_.push_back(std::move(what)); }

  uint64_t seed_;
  raft::BrokenRaft broken_;
  bool votes_not_persisted_;
  Random random_;
  Faults faults_;
  uint64_t now_ = 0;
  std::vector<Replica> replicas_;
  std::vector<InFlight> net_;
  std::set<raft::PeerId> side_;
  std::map<uint64_t, raft::PeerId> leader_of_term_;
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> committed_;  // index -> (term, crc)
  std::map<uint64_t, uint64_t> read_floor_;                      // read id -> committed at start
  uint64_t reads_answered_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace tessera::raft_test

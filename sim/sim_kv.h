// SimKv: the simulated ordered key-value store, with RocksDB's crash
// semantics: a kSync batch makes itself and every earlier batch durable; a
// crash keeps a random-length prefix of the unsynced batches (a suffix is
// lost, never a middle).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "io_abstraction/kv.h"
#include "io_abstraction/random.h"
#include "sim/sim_runtime.h"

namespace tessera::sim {

class SimKv final : public Kv {
 public:
  SimKv(SimRuntime& rt, Duration latency, uint64_t seed)
      : rt_(rt), latency_(latency), random_(seed) {}

  Task<Result<std::string>> get(std::string key) override;
  Task<Status> write(KvBatch batch, Durability durability) override;
  Task<Result<std::vector<KvPair>>> scan(std::string begin, std::string end,
                                         size_t limit) override;

  // Keeps durable state and a random prefix of unsynced batches.
  void crash();
  // The kv's disk is lost (call after crash(): the node is down).
  void wipe() {
    current_.clear();
    durable_.clear();
    unsynced_.clear();
  }
  size_t unsynced_batches() const { return unsynced_.size(); }
  size_t size() const { return current_.size(); }
  // A hash of what reads see for keys >= begin (checkers compare replicas).
  uint64_t hash_from(const std::string& begin) const;

 private:
  static void apply(std::map<std::string, std::string>& map, const KvBatch& batch);

  SimRuntime& rt_;
  Duration latency_;
  Random random_;
  std::map<std::string, std::string> current_;  // what reads see
  std::map<std::string, std::string> durable_;  // what survives a crash
  std::vector<KvBatch> unsynced_;
};

}  // namespace tessera::sim

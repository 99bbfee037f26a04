// A workload: the application every virtual node runs, the clients that
// drive it, and the checkers that judge the run. The runner calls the hooks
// in this order: factory (boot), on_crash (any number), begin_liveness,
// stop_issuing, start_verification after drain_time, then check.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replay.pb.h"
#include "scenario.pb.h"
#include "sim/cluster.h"

namespace tessera::sim {

// Violations found by checkers. Each message starts with the checker's
// name. Only the first few are kept; all are counted.
class Violations {
 public:
  static constexpr size_t kKeptMax = 20;
  void add(const std::string& checker, const std::string& what) {
    ++count_;
    if (kept_.size() < kKeptMax) kept_.push_back(checker + ": " + what);
  }
  void merge(const Violations& other) {
    count_ += other.count_;
    for (const auto& v : other.kept_) {
      if (kept_.size() < kKeptMax) kept_.push_back(v);
    }
  }
  uint64_t count() const { return count_; }
  const std::vector<std::string>& kept() const { return kept_; }

 private:
  uint64_t count_ = 0;
  std::vector<std::string> kept_;
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual AppFactory factory() = 0;
  virtual void on_crash(uint32_t node, Instant now) {}
  // The cluster the workload runs on, before any node boots (checkers that
  // need the ground truth: which disks live, which nodes are up).
  virtual void attach(SimCluster& cluster) {}
  // The nodes of the workload's metadata group, and the one leading it now.
  virtual std::vector<uint32_t> metadata_group() const { return {}; }
  virtual std::optional<uint32_t> metadata_leader(SimCluster& cluster) { return std::nullopt; }
  // A voter of the metadata group that is up and does not lead.
  virtual std::optional<uint32_t> metadata_follower(SimCluster& cluster) { return std::nullopt; }
  // The operator's answer to the death of replica gone: an admin call
  // that gives its place to a spare.
  virtual void replace_metadata_replica(SimCluster& cluster, uint32_t gone, Duration catch_up) {}
  virtual void begin_liveness(Instant now) {}
  virtual void stop_issuing() {}
  // How long in-flight work may take to finish after stop_issuing.
  virtual Duration drain_time() const = 0;
  // After the drain: final reads that prove durability, given
  // verification_time() of virtual time before check().
  virtual void start_verification(SimCluster& cluster) {}
  virtual Duration verification_time() const { return Duration{0}; }
  virtual void check(SimCluster& cluster, Violations& out) = 0;
  // One line of workload counters for the summary.
  virtual std::string stats() const = 0;
};

// The broken variants a scenario's workload knows by name (--broken-variant).
std::vector<std::string> broken_variants(const proto::Scenario& scenario);
std::unique_ptr<Workload> make_workload(const proto::Scenario& scenario, uint32_t node_count,
                                        const proto::RunOptions& options);

}  // namespace tessera::sim

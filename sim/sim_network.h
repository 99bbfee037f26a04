// SimNetwork: the simulated network between all virtual nodes. Per-link
// latency by link class (same rack, same zone, cross zone), loss,
// duplication, reordering (extra delay), and partitions (symmetric or
// one-way), and connections a crash breaks (see NetworkModel's
// crashes_unnoticed). Every random decision for a message comes from the sender's
// own stream, so adding a node does not reshuffle the others.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "io_abstraction/network.h"
#include "io_abstraction/random.h"
#include "scenario.pb.h"
#include "sim/sim_world.h"

namespace tessera::sim {

struct NodeLocation {
  uint32_t zone = 0;
  uint32_t rack = 0;  // global rack index
};

class SimNetwork {
 public:
  struct Stats {
    uint64_t sent = 0;
    uint64_t delivered = 0;
    uint64_t lost = 0;
    uint64_t partitioned = 0;
    uint64_t duplicated = 0;
    uint64_t reordered = 0;
    uint64_t to_down_node = 0;
    uint64_t links_broken = 0;  // a sender told its connection broke
  };

  SimNetwork(SimWorld& world, const proto::NetworkModel& model,
             std::vector<NodeLocation> locations, uint64_t seed);

  void send(uint32_t from, uint32_t to, Message msg);
  void set_receiver(uint32_t node, Network::Receiver receiver);
  void set_link_broken(uint32_t node, Network::LinkBroken on_broken);
  // The node's process ended (its connections die with it) or started.
  void node_stopped(uint32_t node);
  void node_started(uint32_t node);

  // Cuts side_a (nodes with side_a[i] true) from the rest; one_way drops
  // only A -> B. Returns an id for heal_partition.
  uint64_t add_partition(std::vector<bool> side_a, bool one_way);
  void heal_partition(uint64_t id);
  void heal_partitions() { partitions_.clear(); }
  // Faults healed: loss_ppm and link_loss stop when the model says so.
  void heal_loss() { loss_stopped_ = model_.loss_stops_at_heal(); }
  size_t partition_count() const { return partitions_.size(); }
  bool blocked(uint32_t from, uint32_t to) const;

  const Stats& stats() const { return stats_; }
  const NodeLocation& location(uint32_t node) const { return locations_[node]; }
  uint32_t node_count() const { return static_cast<uint32_t>(locations_.size()); }

 private:
  struct Partition {
    uint64_t id;
    std::vector<bool> side_a;
    bool one_way;
  };
  Duration latency(uint32_t from, uint32_t to);
  void deliver_later(uint32_t from, uint32_t to, Duration delay, Message msg);
  // Tells node `at`, after delay, that its connection to peer broke.
  void report_broken(uint32_t at, uint32_t peer, Duration delay);

  SimWorld& world_;
  uint32_t link_loss_ppm(uint32_t from, uint32_t to) const;
  proto::NetworkModel model_;
  bool loss_stopped_ = false;
  std::vector<NodeLocation> locations_;
  std::vector<Random> streams_;  // one per sender
  std::vector<Network::Receiver> receivers_;
  std::vector<Network::LinkBroken> link_broken_;
  std::vector<bool> down_;
  // connected_[to]: the nodes with a connection open to `to`.
  std::vector<std::set<uint32_t>> connected_;
  std::vector<Partition> partitions_;
  uint64_t next_partition_id_ = 1;
  Stats stats_;
};

// The Network one node sees.
class SimNodeNetwork final : public Network {
 public:
  SimNodeNetwork(SimNetwork& net, uint32_t node) : net_(net), node_(node) {}
  NodeId self() const override { return NodeId(node_); }
  void send(NodeId to, Message msg) override { net_.send(node_, to.value, std::move(msg)); }
  void set_receiver(Receiver receiver) override { net_.set_receiver(node_, std::move(receiver)); }
  void set_link_broken(LinkBroken on_broken) override { net_.set_link_broken(node_, std::move(on_broken)); }

 private:
  SimNetwork& net_;
  uint32_t node_;
};

}  // namespace tessera::sim

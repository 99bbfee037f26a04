// SimCluster: builds a topology of zones > racks > nodes > disks inside one
// SimWorld and runs one application per node. A crash ends the node's
// incarnation: its tasks, callbacks and application object are destroyed,
// its disks and kv lose what was not durable; restart boots a fresh
// application over the same disks and kv.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io_abstraction/kv.h"
#include "io_abstraction/network.h"
#include "scenario.pb.h"
#include "sim/sim_disk.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "sim/sim_world.h"

namespace tessera::sim {

// What one node's application gets to work with.
struct NodeContext {
  NodeId id;
  uint32_t incarnation;
  NodeLocation location;
  Runtime& runtime;
  Network& network;
  std::vector<Disk*> disks;
  Kv& kv;
};

class NodeApp {
 public:
  virtual ~NodeApp() = default;
};

using AppFactory = std::function<std::unique_ptr<NodeApp>(NodeContext&)>;

// Checks a topology before anything is built; returns "" when it is valid,
// else a message naming the problem.
std::string validate_topology(const proto::Topology& topology);

class SimCluster {
 public:
  // topology must be valid (validate_topology).
  SimCluster(SimWorld& world, const proto::Scenario& scenario, uint64_t seed);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  // Boots every node with factory; also used on every restart.
  void boot_all(AppFactory factory);
  void crash(uint32_t node);
  // A crash that also loses the node's kv: it restarts with it empty.
  void lose_kv(uint32_t node) { nodes_[node]->kv->wipe(); }
  void restart(uint32_t node);
  // Stops every node without crash effects (end of a run).
  void shutdown();

  bool up(uint32_t node) const { return nodes_[node]->app != nullptr; }
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }
  uint32_t zone_count() const { return zones_; }
  SimNetwork& network() { return network_; }
  SimDisk& disk(uint32_t node, uint32_t d) { return *nodes_[node]->disks[d]; }
  SimKv& kv(uint32_t node) { return *nodes_[node]->kv; }
  SimRuntime& runtime(uint32_t node) { return *nodes_[node]->runtime; }
  uint32_t disks_per_node() const { return disks_per_node_; }
  NodeApp* app(uint32_t node) { return nodes_[node]->app.get(); }
  const NodeLocation& location(uint32_t node) const { return network_.location(node); }

  // Called with the node index after each crash (checkers forget its work).
  void on_crash(std::function<void(uint32_t)> observer) { crash_observers_.push_back(std::move(observer)); }

 private:
  struct Node {
    std::unique_ptr<SimRuntime> runtime;
    std::unique_ptr<SimNodeNetwork> network;
    std::vector<std::unique_ptr<SimDisk>> disks;
    std::unique_ptr<SimKv> kv;
    std::unique_ptr<NodeApp> app;
  };
  void boot(uint32_t node);
  void stop(uint32_t node);

  SimWorld& world_;
  uint32_t zones_;
  uint32_t disks_per_node_;
  SimNetwork network_;
  std::vector<std::unique_ptr<Node>> nodes_;
  AppFactory factory_;
  std::vector<std::function<void(uint32_t)>> crash_observers_;
};

// Node locations for a topology, node index order zone-major.
std::vector<NodeLocation> layout(const proto::Topology& topology);

}  // namespace tessera::sim

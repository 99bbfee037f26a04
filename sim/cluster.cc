#include "sim/cluster.h"

#include <utility>

namespace tessera::sim {
namespace {
// A bound on cluster size keeps one run inside memory and time budgets.
constexpr uint64_t kNodesMax = 100000;
constexpr uint32_t kDisksPerNodeMax = 64;
constexpr Duration kKvLatency = Duration::micros(20);
}  // namespace

std::string validate_topology(const proto::Topology& t) {
  if (t.zones() == 0) return "topology: zones must be at least 1";
  if (t.racks_per_zone() == 0) return "topology: racks_per_zone must be at least 1";
  if (t.nodes_per_rack() == 0) return "topology: nodes_per_rack must be at least 1";
  const uint64_t nodes = uint64_t{t.zones()} * t.racks_per_zone() * t.nodes_per_rack();
  if (nodes > kNodesMax) {
    return "topology: " + std::to_string(nodes) + " nodes exceeds the maximum of " +
           std::to_string(kNodesMax);
  }
  if (t.disks_per_node() > kDisksPerNodeMax) {
    return "topology: disks_per_node " + std::to_string(t.disks_per_node()) +
           " exceeds the maximum of " + std::to_string(kDisksPerNodeMax);
  }
  if (t.disks_per_node() > 0 && t.disk_capacity_bytes() == 0) {
    return "topology: disk_capacity_bytes must be set when nodes have disks";
  }
  return "";
}

std::vector<NodeLocation> layout(const proto::Topology& t) {
  std::vector<NodeLocation> out;
  for (uint32_t z = 0; z < t.zones(); ++z) {
    for (uint32_t r = 0; r < t.racks_per_zone(); ++r) {
      for (uint32_t n = 0; n < t.nodes_per_rack(); ++n) {
        out.push_back(NodeLocation{z, z * t.racks_per_zone() + r});
      }
    }
  }
  return out;
}

SimCluster::SimCluster(SimWorld& world, const proto::Scenario& scenario, uint64_t seed)
    : world_(world),
      zones_(scenario.topology().zones()),
      disks_per_node_(scenario.topology().disks_per_node()),
      network_(world, scenario.network(), layout(scenario.topology()), seed) {
  ASSERT(validate_topology(scenario.topology()).empty());
  const uint32_t count = network_.node_count();
  nodes_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    auto node = std::make_unique<Node>();
    node->runtime = std::make_unique<SimRuntime>(world_, i, mix_seed(seed, 0x52540000000000ull + i));
    node->network = std::make_unique<SimNodeNetwork>(network_, i);
    for (uint32_t d = 0; d < disks_per_node_; ++d) {
      node->disks.push_back(std::make_unique<SimDisk>(
          *node->runtime, scenario.disk(), scenario.topology().disk_capacity_bytes(),
          mix_seed(seed, (0x44495300000000ull + i) * kDisksPerNodeMax + d)));
    }
    node->kv = std::make_unique<SimKv>(*node->runtime, kKvLatency,
                                       mix_seed(seed, 0x4B560000000000ull + i));
    nodes_.push_back(std::move(node));
  }
}

SimCluster::~SimCluster() { shutdown(); }

void SimCluster::boot_all(AppFactory factory) {
  factory_ = std::move(factory);
  for (uint32_t i = 0; i < size(); ++i) boot(i);
}

void SimCluster::boot(uint32_t i) {
  Node& node = *nodes_[i];
  ASSERT(node.app == nullptr);
  std::vector<Disk*> disks;
  for (auto& d : node.disks) disks.push_back(d.get());
  NodeContext ctx{NodeId(i), world_.incarnation(i), network_.location(i), *node.runtime,
                  *node.network, std::move(disks), *node.kv};
  network_.node_started(i);
  node.app = factory_(ctx);
  ASSERT(node.app != nullptr);
}

void SimCluster::stop(uint32_t i) {
  Node& node = *nodes_[i];
  // Tasks first: their frames may point into the app.
  node.runtime->stop();
  node.app.reset();
  network_.set_receiver(i, nullptr);
  network_.set_link_broken(i, nullptr);
  network_.node_stopped(i);
}

void SimCluster::crash(uint32_t i) {
  ASSERT(i < size());
  if (!up(i)) return;
  stop(i);
  for (auto& d : nodes_[i]->disks) d->crash();
  nodes_[i]->kv->crash();
  for (auto& observer : crash_observers_) observer(i);
}

void SimCluster::restart(uint32_t i) {
  ASSERT(i < size());
  if (up(i)) return;
  boot(i);
  // A restarted gateway knows no disk state and a restarted storage node
  // reports anew: the checkers time what placement could know from here.
  for (auto& node : nodes_) {
    for (auto& d : node->disks) d->restart_death_clock();
  }
}

void SimCluster::shutdown() {
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (up(i)) stop(i);
  }
}

}  // namespace tessera::sim

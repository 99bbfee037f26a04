#include "prod/server/roles.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/node/node.h"
#include "prod/asio_runtime.h"
#include "prod/file_disk.h"
#include "prod/local_network.h"
#include "prod/rocks_kv.h"
#include "prod/server/front_end.h"
#include "prod/tcp_network.h"

namespace tessera::prod {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kDefaultCapacity = 1ull << 40;

int fail(const std::string& msg) {
  std::cerr << "tessera-server: " << msg << "\n";
  return 2;
}

// Opens <root>/diskNN for NN in [0, n).
Result<std::vector<std::unique_ptr<FileDisk>>> open_disks(boost::asio::io_context& io, const fs::path& root,
                                                          uint32_t n) {
  std::vector<std::unique_ptr<FileDisk>> disks;
  for (uint32_t d = 0; d < n; ++d) {
    char name[16];
    std::snprintf(name, sizeof name, "disk%02u", d);
    auto disk = FileDisk::open(io, (root / name).string());
    if (!disk.is_ok()) return disk.status();
    disks.push_back(std::move(disk).value());
  }
  return disks;
}

std::vector<Disk*> raw(const std::vector<std::unique_ptr<FileDisk>>& disks) {
  std::vector<Disk*> out;
  for (const auto& d : disks) out.push_back(d.get());
  return out;
}

GatewayConfig gateway_config(uint32_t k, uint32_t m, FailureDomain level, uint32_t part_mib, uint32_t disks) {
  GatewayConfig config;
  config.storage_classes = {StorageClass{"STANDARD", k, m, level},
                            StorageClass{"REDUCED_REDUNDANCY", std::min(k, disks - 2), 2, level}};
  config.part_bytes = uint64_t{part_mib == 0 ? 8 : part_mib} << 20;
  return config;
}

// Fill of each local disk, for /metrics.
std::map<std::string, double> disk_fill(const std::vector<std::unique_ptr<FileDisk>>& disks) {
  std::map<std::string, double> g;
  for (const auto& d : disks) {
    std::error_code ec;
    const auto space = fs::space(d->root(), ec);
    if (!ec && space.capacity > 0) {
      g["tessera_disk_fill_ratio{disk=\"" + fs::path(d->root()).filename().string() + "\"}"] =
          1.0 - static_cast<double>(space.available) / static_cast<double>(space.capacity);
    }
  }
  return g;
}

// The embedded node: storage on the local disks, the gateway with its
// metadata in RocksDB, all background work, no peers.
NodePlan embedded_plan(const ServerOptions& o, const std::vector<std::unique_ptr<FileDisk>>& disks) {
  NodePlan plan;
  plan.roles = NodeRoles{true, false, true};
  for (uint32_t d = 0; d < o.disks; ++d) {
    std::error_code ec;
    const auto space = fs::space(disks[d]->root(), ec);
    plan.cluster_disks.push_back(DiskInfo{DiskRef{0, d}, 0, d, ec ? kDefaultCapacity : space.capacity, 0, true});
  }
  plan.gateway = gateway_config(o.k, o.m, FailureDomain::kDisk, o.part_mib, o.disks);
  plan.gateway.stripes.fragment_deadline = Duration::seconds(60);  // local disks: no network to time out
  plan.background = true;
  plan_background(o, plan);
  return plan;
}

// The embedded default's metadata group: 3 replicas (nodes 1-3 on the
// same loop), each on its own RocksDB inside a different disk directory
// (hidden from the fragment listing), so losing any one disk directory
// loses no metadata.
struct EmbeddedGroup {
  std::vector<std::unique_ptr<RocksKv>> kvs;
  std::vector<std::unique_ptr<LocalNetwork>> networks;
  std::vector<std::unique_ptr<Node>> replicas;
  std::vector<NodeId> ids;
};

Result<std::unique_ptr<EmbeddedGroup>> start_embedded_group(boost::asio::io_context& io, AsioRuntime& rt,
                                                             LocalHub& hub, const fs::path& data, uint32_t disks) {
  auto group = std::make_unique<EmbeddedGroup>();
  group->ids = {NodeId(1), NodeId(2), NodeId(3)};
  for (uint32_t i = 0; i < 3; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "disk%02u/.metadata", i * disks / 3);
    auto kv = RocksKv::open(io, (data / name).string());
    if (!kv.is_ok()) return kv.status();
    group->kvs.push_back(std::move(kv).value());
    group->networks.push_back(std::make_unique<LocalNetwork>(hub, group->ids[i]));
    NodePlan plan;
    plan.roles.metadata = true;
    plan.metadata_group = group->ids;
    plan.raft.tick = Duration::millis(50);
    group->replicas.push_back(
        std::make_unique<Node>(NodeIo{rt, *group->networks[i], {}, group->kvs[i].get()}, std::move(plan)));
  }
  return group;
}

}  // namespace

int run_embedded(const ServerOptions& o) {
  if (o.k < 1 || o.m < 1 || o.k + o.m > o.disks || o.k + o.m > 32) {
    return fail("need 1 <= k, 1 <= m, k + m <= 32 and k + m <= --disks (" + std::to_string(o.disks) + ")");
  }
  const fs::path data = o.data_dir;
  boost::asio::io_context io;
  AsioRuntime rt(io, 2, os_random_seed());
  LocalHub hub(io);
  LocalNetwork net(hub, NodeId(0));
  auto disks = open_disks(io, data, o.disks);
  if (!disks.is_ok()) return fail(disks.status().to_string());
  // A data directory from before the group keeps its one metadata copy.
  const bool single = fs::exists(data / "metadata") || o.disks < 3;
  std::unique_ptr<RocksKv> kv;
  std::unique_ptr<EmbeddedGroup> group;
  NodePlan plan = embedded_plan(o, disks.value());
  if (single) {
    auto opened = RocksKv::open(io, (data / "metadata").string());
    if (!opened.is_ok()) return fail(opened.status().message());
    kv = std::move(opened).value();
  } else {
    auto started = start_embedded_group(io, rt, hub, data, o.disks);
    if (!started.is_ok()) return fail(started.status().message());
    group = std::move(started).value();
    plan.metadata_group = group->ids;
    for (auto& replica : group->replicas) rt.spawn(log_replica_state(rt, *replica->replica()));
  }
  Node node(NodeIo{rt, net, raw(disks.value()), kv.get()}, std::move(plan));
  const auto& disk_list = disks.value();
  std::vector<const RaftReplica*> replicas;
  if (group) {
    for (const auto& replica : group->replicas) replicas.push_back(replica->replica());
  }
  auto front = start_front_end(io, rt, o, node, o.listen, o.port, [&disk_list] { return disk_fill(disk_list); },
                               std::move(replicas));
  if (!front.is_ok()) return fail(front.status().message());
  std::cout << "Tessera S3 on http://" << o.listen << ":" << front.value().server->port() << " (data in "
            << data.string() << ", " << o.k << "+" << o.m << " over " << o.disks << " disks, metadata "
            << (single ? "in one copy" : "in 3 replicas") << "; tessera-admin key in "
            << (std::getenv("TESSERA_ADMIN_KEY") ? "TESSERA_ADMIN_KEY" : (data / "admin-key").string()) << ")\n"
            << std::flush;
  serve_until_signal(io, rt, front.value().server.get());
  return 0;
}

namespace {

// A cluster node's plan: its role from the file, heartbeats between
// storage nodes and gateways, and for a gateway every storage disk and the
// metadata node; the gateway with the lowest id runs the background work.
NodePlan cluster_plan(const ServerOptions& o, const proto::ClusterFile& cluster, const proto::ClusterNode& self) {
  NodePlan plan;
  plan.roles = NodeRoles{self.role() == "storage", self.role() == "metadata", self.role() == "gateway"};
  plan.heartbeat.interval = Duration::millis(500);
  uint32_t lead_gateway = self.id(), total_disks = 0;
  for (const auto& n : cluster.nodes()) {
    // Storage nodes heartbeat the gateways; a gateway hears them all.
    if (n.id() != self.id() && ((plan.roles.gateway && n.role() == "storage") ||
                                (plan.roles.storage && n.role() == "gateway"))) {
      plan.heartbeat_peers.push_back(NodeId(n.id()));
    }
    if (n.role() == "metadata") plan.metadata_node = NodeId(n.id());
    if (n.role() == "gateway") lead_gateway = std::min(lead_gateway, n.id());
    if (n.role() != "storage") continue;
    for (uint32_t d = 0; d < n.disks(); ++d, ++total_disks) {
      const uint64_t capacity = n.disk_capacity_bytes() == 0 ? kDefaultCapacity : n.disk_capacity_bytes();
      plan.cluster_disks.push_back(DiskInfo{DiskRef{n.id(), d}, n.zone(), n.rack(), capacity, 0, true});
    }
  }
  std::vector<NodeId> metadata_nodes;
  for (const auto& n : cluster.nodes()) {
    if (n.role() == "metadata") metadata_nodes.push_back(NodeId(n.id()));
  }
  if (metadata_nodes.size() >= 3) {  // a Raft group: every metadata node a replica
    plan.metadata_node.reset();
    plan.metadata_group = metadata_nodes;
    plan.raft.tick = Duration::millis(100);  // elections after 1-2 s of silence
  }
  if (!plan.roles.gateway) plan.metadata_node.reset();
  plan.gateway = gateway_config(cluster.k(), cluster.m(), *parse_failure_domain(cluster.failure_domain()),
                                static_cast<uint32_t>(cluster.part_mib()), total_disks);
  plan.gateway.stripes.fragment_deadline = Duration::seconds(10);
  plan.gateway.stripes.hedge_after = Duration::millis(200);
  plan.background = plan.roles.gateway && lead_gateway == self.id();
  plan_background(o, plan);
  return plan;
}

}  // namespace

int run_cluster_node(const ServerOptions& o, const proto::ClusterFile& cluster, uint32_t node_id) {
  const proto::ClusterNode* self = nullptr;
  for (const auto& n : cluster.nodes()) {
    if (n.id() == node_id) self = &n;
  }
  if (self == nullptr) return fail("node " + std::to_string(node_id) + " is not in the cluster file");
  boost::asio::io_context io;
  AsioRuntime rt(io, 2, os_random_seed());
  TcpNetwork net(io, NodeId(node_id));
  if (Status s = net.listen(self->address(), static_cast<uint16_t>(self->port())); !s.is_ok()) {
    return fail(s.message());
  }
  for (const auto& n : cluster.nodes()) {
    if (n.id() != node_id) net.add_peer(NodeId(n.id()), n.address(), static_cast<uint16_t>(n.port()));
  }
  const fs::path node_dir = fs::path(o.data_dir) / ("node" + std::to_string(node_id));
  std::error_code mkdir_ec;
  fs::create_directories(node_dir, mkdir_ec);
  if (mkdir_ec) return fail("cannot create " + node_dir.string() + ": " + mkdir_ec.message());
  NodePlan plan = cluster_plan(o, cluster, *self);
  plan.incarnation = static_cast<uint64_t>(rt.unix_ms());
  std::vector<std::unique_ptr<FileDisk>> disks;
  if (plan.roles.storage) {
    auto opened = open_disks(io, node_dir, self->disks());
    if (!opened.is_ok()) return fail(opened.status().to_string());
    disks = std::move(opened).value();
  }
  std::unique_ptr<RocksKv> kv;
  if (plan.roles.metadata || (plan.roles.gateway && !plan.metadata_node && plan.metadata_group.empty())) {
    auto opened = RocksKv::open(io, (node_dir / "metadata").string());
    if (!opened.is_ok()) return fail(opened.status().to_string());
    kv = std::move(opened).value();
  }
  const size_t cluster_disks = plan.cluster_disks.size();
  Node node(NodeIo{rt, net, raw(disks), kv.get()}, std::move(plan));
  const std::string where = self->address() + ":" + std::to_string(self->port());
  if (node.replica()) rt.spawn(log_replica_state(rt, *node.replica()));
  if (!node.gateway()) {
    std::cout << "Tessera " << self->role() << " node " << node_id << " on " << where << " (in " << node_dir.string()
              << ")\n"
              << std::flush;
    serve_until_signal(io, rt, nullptr);
    return 0;
  }
  const std::string s3_address = self->s3_address().empty() ? "127.0.0.1" : self->s3_address();
  auto front = start_front_end(io, rt, o, node, s3_address, static_cast<uint16_t>(self->s3_port()), nullptr);
  if (!front.is_ok()) return fail(front.status().message());
  std::cout << "Tessera S3 on http://" << s3_address << ":" << front.value().server->port() << " (gateway node "
            << node_id << ", " << cluster.k() << "+" << cluster.m() << " over "
            << cluster_disks << " disks)\n"
            << std::flush;
  serve_until_signal(io, rt, front.value().server.get());
  return 0;
}

}  // namespace tessera::prod

#include "prod/server/roles.h"

#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <iostream>
#include <algorithm>
#include <set>

#include "core/gateway/object_gateway.h"
#include "core/metadata/metadata_service.h"
#include "core/metadata/remote_metadata_store.h"
#include "core/membership/heartbeat.h"
#include "core/repair/repairer.h"
#include "core/scrub/scrubber.h"
#include "core/storage/storage_service.h"
#include "prod/asio_runtime.h"
#include "prod/file_disk.h"
#include "prod/local_network.h"
#include "prod/rocks_kv.h"
#include "prod/s3/http_server.h"
#include "prod/tcp_network.h"

namespace tessera::prod {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kDefaultCapacity = 1ull << 40;

void log(const std::string& level, const std::string& msg) {
  std::cerr << "{\"level\":\"" << level << "\",\"msg\":" << s3::json_string(msg) << "}" << std::endl;
}

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

// Runs the loop until SIGINT/SIGTERM, then drains in-flight requests.
void serve_until_signal(boost::asio::io_context& io, AsioRuntime& rt, s3::HttpServer* server) {
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void()> drain = [&] {
    if (server == nullptr || server->in_flight() == 0) {
      io.stop();
      return;
    }
    rt.post_after(Duration::millis(50), drain);
  };
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    log("info", "shutting down: draining in-flight requests");
    if (server) server->begin_shutdown();
    drain();
  });
  io.run();
  rt.stop();
  log("info", "stopped");
}

// Scrub on this node's disks (nullptr when --scrub-mib-s is 0); each pass
// ends with a log line.
std::unique_ptr<Scrubber> start_scrubber(AsioRuntime& rt, StorageService& storage, std::vector<Disk*> disks,
                                         const ServerOptions& o) {
  if (o.scrub_mib_s == 0) return nullptr;
  auto scrubber = std::make_unique<Scrubber>(
      rt, storage, std::move(disks),
      ScrubConfig{uint64_t{o.scrub_mib_s} << 20, Duration::seconds(std::max<uint32_t>(1, o.scrub_interval_s))});
  rt.spawn(scrubber->run([](const Scrubber::Progress& p) {
    log(p.corrupt_found > 0 ? "warn" : "info",
        "scrub pass " + std::to_string(p.passes) + ": " + std::to_string(p.pass_blobs_done) +
            " fragments checked, " + std::to_string(p.corrupt_found) + " found corrupt since start");
  }));
  return scrubber;
}

void add_scrub_metrics(const Scrubber& scrubber, std::map<std::string, double>& g) {
  const auto& p = scrubber.progress();
  g["tessera_scrub_passes_total"] = static_cast<double>(p.passes);
  g["tessera_scrub_fragments_checked_total"] = static_cast<double>(p.blobs_checked);
  g["tessera_scrub_bytes_checked_total"] = static_cast<double>(p.bytes_checked);
  g["tessera_scrub_corrupt_found_total"] = static_cast<double>(p.corrupt_found);
  g["tessera_scrub_pass_progress_ratio"] =
      p.pass_blobs_total == 0 ? 1.0 : static_cast<double>(p.pass_blobs_done) / static_cast<double>(p.pass_blobs_total);
}

void add_repair_metrics(const Repairer& repairer, std::map<std::string, double>& g) {
  const auto& p = repairer.progress();
  g["tessera_repair_passes_total"] = static_cast<double>(p.passes);
  g["tessera_repair_in_pass"] = p.in_pass ? 1 : 0;
  g["tessera_repair_pass_stripes"] = static_cast<double>(p.pass_stripes_total);
  g["tessera_repair_pass_stripes_damaged"] = static_cast<double>(p.pass_stripes_damaged);
  g["tessera_repair_pass_stripes_done"] = static_cast<double>(p.pass_stripes_done);
  g["tessera_repair_stripes_repaired_total"] = static_cast<double>(p.stripes_repaired);
  g["tessera_repair_stripes_unrepairable_total"] = static_cast<double>(p.stripes_unrepairable);
  g["tessera_fragments_repaired_total{how=\"in_place\"}"] = static_cast<double>(p.fragments_rebuilt);
  g["tessera_fragments_repaired_total{how=\"moved\"}"] = static_cast<double>(p.fragments_moved);
  g["tessera_orphan_fragments_pending"] = static_cast<double>(p.orphans_pending);
  g["tessera_orphan_fragments_deleted_total"] = static_cast<double>(p.orphans_deleted);
}

struct GatewayParts {
  std::unique_ptr<RocksKv> kv;
  std::unique_ptr<MetadataStore> metadata;
  std::unique_ptr<ObjectGateway> gateway;
  std::unique_ptr<Repairer> repairer;
  std::unique_ptr<s3::S3Service> s3;
  std::unique_ptr<s3::HttpServer> server;
};

// Where a gateway's metadata lives: RocksDB in a directory of its own
// process, or the metadata node of the cluster.
struct MetadataSource {
  fs::path local_dir;
  std::optional<NodeId> remote;
};

// A call to the metadata node waits at most this long.
constexpr Duration kMetadataDeadline = Duration::seconds(30);

// The S3 front end's bounds from the options; the per-request body bound
// is what the gateway holds of a body plus the HTTP layer's read buffers.
Result<s3::HttpLimits> http_limits(const ServerOptions& o, const ObjectGateway& gateway) {
  s3::HttpLimits l;
  l.idle_timeout_s = o.idle_timeout_s;
  l.header_timeout_s = o.header_timeout_s;
  l.body_timeout_s = o.body_timeout_s;
  l.send_timeout_s = o.send_timeout_s;
  l.connections_max = o.connections_max;
  l.body_buffer_bytes_max = uint64_t{o.body_buffer_mib} << 20;
  l.body_bytes_per_request_max = gateway.body_bytes_held_max() + (2u << 20);
  if (l.idle_timeout_s == 0 || l.header_timeout_s == 0 || l.body_timeout_s == 0 || l.send_timeout_s == 0 ||
      l.connections_max == 0) {
    return Status(Code::kInvalidArgument, "timeouts and --connections-max must be at least 1");
  }
  if (l.body_buffer_bytes_max < l.body_bytes_per_request_max) {
    return Status(Code::kInvalidArgument, "--body-buffer-mib must be at least " +
                                              std::to_string((l.body_bytes_per_request_max + (1u << 20) - 1) >> 20) +
                                              ": one upload holds that much (stripes in flight and read buffers)");
  }
  return l;
}

// The gateway role: its metadata, the object gateway and the S3 front end
// on address:port. With background, it also runs GC, repair and the orphan
// sweep (one gateway of a cluster does).
Result<GatewayParts> start_gateway(boost::asio::io_context& io, AsioRuntime& rt, RpcEndpoint& rpc,
                                   const ServerOptions& o, const MetadataSource& meta, bool background,
                                   std::vector<DiskInfo> disks, GatewayConfig config, const std::string& address,
                                   uint16_t port, std::function<std::map<std::string, double>()> extra_metrics) {
  GatewayParts p;
  if (meta.remote) {
    p.metadata = std::make_unique<RemoteMetadataStore>(rpc, *meta.remote, kMetadataDeadline);
  } else {
    auto kv = RocksKv::open(io, meta.local_dir.string());
    if (!kv.is_ok()) return kv.status();
    p.kv = std::move(kv).value();
    p.metadata = std::make_unique<KvMetadataStore>(rt, *p.kv);
  }
  p.gateway = std::make_unique<ObjectGateway>(rt, rpc, *p.metadata, std::move(disks), std::move(config));
  RepairConfig repair;
  repair.bytes_per_second = uint64_t{std::max<uint32_t>(1, o.repair_mib_s)} << 20;
  repair.orphan_grace = Duration::seconds(o.orphan_grace_s);
  p.repairer = std::make_unique<Repairer>(*p.gateway, repair);
  s3::S3Config s3_config;
  s3_config.users = o.users;
  s3_config.domain = o.domain;
  s3_config.region = o.region;
  s3_config.log_requests = o.log_requests;
  p.s3 = std::make_unique<s3::S3Service>(rt, *p.gateway, s3_config);
  auto limits = http_limits(o, *p.gateway);
  if (!limits.is_ok()) return limits.status();
  ObjectGateway* gateway = p.gateway.get();
  Repairer* repairer = p.repairer.get();
  p.server = std::make_unique<s3::HttpServer>(rt, io, *p.s3, limits.value(), [gateway, repairer, background,
                                                                              extra_metrics] {
    std::map<std::string, double> g = extra_metrics ? extra_metrics() : std::map<std::string, double>{};
    if (background) add_repair_metrics(*repairer, g);
    const auto& st = gateway->stats();
    g["tessera_fragments_written_total"] = static_cast<double>(st.fragments_written);
    g["tessera_fragment_write_failures_total"] = static_cast<double>(st.fragment_write_failures);
    g["tessera_fragments_read_total"] = static_cast<double>(st.fragments_read);
    g["tessera_fragment_read_failures_total"] = static_cast<double>(st.fragment_read_failures);
    g["tessera_stripes_decoded_total"] = static_cast<double>(st.parts_decoded);
    g["tessera_fragments_collected_total"] = static_cast<double>(st.fragments_collected);
    return g;
  });
  if (Status s = p.server->listen(address, port); !s.is_ok()) return s;
  // A pass every grace/2 (1 s to 10 s) deletes what has been garbage for grace.
  const Duration grace = Duration::seconds(o.gc_grace_s);
  const Duration interval = Duration::seconds(std::clamp<int64_t>(o.gc_grace_s / 2, 1, 10));
  if (background) rt.spawn(p.gateway->run_collector(interval, grace));
  if (background && o.repair_interval_s > 0) {
    rt.spawn(p.repairer->run(Duration::seconds(o.repair_interval_s), [](const Repairer::PassResult& r) {
      if (r.damaged == 0) return;
      log(r.unresolved > 0 ? "warn" : "info",
          "repair pass: " + std::to_string(r.damaged) + " damaged stripes, " + std::to_string(r.repaired) +
              " made whole, " + std::to_string(r.unresolved) + " not yet");
    }));
  }
  p.server->start();
  if (meta.remote) {
    // Ready while the metadata node answers: a load balancer then sends
    // nothing to a gateway that could only time out.
    rt.spawn([](AsioRuntime& rt, RemoteMetadataStore* md, s3::HttpServer* server) -> Task<void> {
      for (;;) {
        Status s = co_await md->probe(Duration::seconds(2));
        server->set_ready(s.is_ok());
        co_await sleep(rt, Duration::seconds(1));
      }
    }(rt, static_cast<RemoteMetadataStore*>(p.metadata.get()), p.server.get()));
  } else {
    p.server->set_ready(true);
  }
  return p;
}

GatewayConfig gateway_config(uint32_t k, uint32_t m, FailureDomain level, uint32_t part_mib, uint32_t disks) {
  GatewayConfig config;
  config.storage_classes = {StorageClass{"STANDARD", k, m, level},
                            StorageClass{"REDUCED_REDUNDANCY", std::min(k, disks - 2), 2, level}};
  config.part_bytes = uint64_t{part_mib == 0 ? 8 : part_mib} << 20;
  return config;
}

}  // namespace

int run_embedded(const ServerOptions& o) {
  if (o.k < 1 || o.m < 1 || o.k + o.m > o.disks || o.k + o.m > 32) {
    return fail("need 1 <= k, 1 <= m, k + m <= 32 and k + m <= --disks (" + std::to_string(o.disks) + ")");
  }
  const fs::path data = o.data_dir;
  boost::asio::io_context io;
  AsioRuntime rt(io, 2, os_random_seed());
  LocalNetwork net(io, NodeId(0));
  RpcEndpoint rpc(rt, net);
  auto disks = open_disks(io, data, o.disks);
  if (!disks.is_ok()) return fail(disks.status().to_string());
  StorageService storage(rt, rpc, raw(disks.value()));
  auto scrubber = start_scrubber(rt, storage, raw(disks.value()), o);
  std::vector<DiskInfo> infos;
  for (uint32_t d = 0; d < o.disks; ++d) {
    std::error_code ec;
    const auto space = fs::space(disks.value()[d]->root(), ec);
    infos.push_back(DiskInfo{DiskRef{0, d}, 0, d, ec ? kDefaultCapacity : space.capacity, 0, true});
  }
  GatewayConfig config = gateway_config(o.k, o.m, FailureDomain::kDisk, o.part_mib, o.disks);
  config.fragment_deadline = Duration::seconds(60);  // local disks: no network to time out
  const auto& disk_list = disks.value();
  Scrubber* scrub = scrubber.get();
  auto gateway = start_gateway(io, rt, rpc, o, MetadataSource{data / "metadata", std::nullopt}, true, infos, config,
                               o.listen, o.port, [&disk_list, scrub] {
    std::map<std::string, double> g;
    if (scrub) add_scrub_metrics(*scrub, g);
    for (const auto& d : disk_list) {
      std::error_code ec;
      const auto space = fs::space(d->root(), ec);
      if (!ec && space.capacity > 0) {
        g["tessera_disk_fill_ratio{disk=\"" + fs::path(d->root()).filename().string() + "\"}"] =
            1.0 - static_cast<double>(space.available) / static_cast<double>(space.capacity);
      }
    }
    return g;
  });
  if (!gateway.is_ok()) return fail(gateway.status().message());
  std::cout << "Tessera S3 on http://" << o.listen << ":" << gateway.value().server->port() << " (data in "
            << data.string() << ", " << o.k << "+" << o.m << " over " << o.disks << " disks)\n"
            << std::flush;
  serve_until_signal(io, rt, gateway.value().server.get());
  return 0;
}

std::string validate_cluster(const proto::ClusterFile& c) {
  if (c.nodes().empty()) return "the cluster file names no nodes";
  std::set<uint32_t> ids;
  uint32_t gateways = 0, metadata_nodes = 0, disks = 0, storage_nodes = 0;
  for (const auto& n : c.nodes()) {
    if (!ids.insert(n.id()).second) return "node id " + std::to_string(n.id()) + " appears twice";
    if (n.role() == "gateway") {
      ++gateways;
      if (n.s3_port() == 0) return "gateway node " + std::to_string(n.id()) + " needs s3_port";
    } else if (n.role() == "storage") {
      ++storage_nodes;
      if (n.disks() == 0) return "storage node " + std::to_string(n.id()) + " needs disks";
      disks += n.disks();
    } else if (n.role() == "metadata") {
      ++metadata_nodes;
    } else {
      return "node " + std::to_string(n.id()) + ": role must be gateway, metadata or storage, not '" + n.role() +
             "'";
    }
    if (n.address().empty() || n.port() == 0 || n.port() > 65535) {
      return "node " + std::to_string(n.id()) + " needs address and port";
    }
  }
  if (metadata_nodes > 1) {
    return "at most one metadata node is supported (the metadata store is a single replica), found " +
           std::to_string(metadata_nodes);
  }
  if (gateways == 0) return "the cluster file names no gateway";
  if (metadata_nodes == 0 && gateways > 1) {
    return "without a metadata node the metadata lives inside the gateway, so there can be only one; found " +
           std::to_string(gateways) + " gateways";
  }
  if (c.k() < 1 || c.m() < 1 || c.k() + c.m() > 32) return "need 1 <= k, 1 <= m and k + m <= 32";
  if (!parse_failure_domain(c.failure_domain())) {
    return "failure_domain must be disk, node, rack or zone, not '" + c.failure_domain() + "'";
  }
  if (disks < c.k() + c.m()) {
    return "k + m = " + std::to_string(c.k() + c.m()) + " needs at least that many disks; the file has " +
           std::to_string(disks) + " on " + std::to_string(storage_nodes) + " storage nodes";
  }
  return "";
}

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
  std::vector<NodeId> peers;
  for (const auto& n : cluster.nodes()) {
    if (n.id() == node_id) continue;
    net.add_peer(NodeId(n.id()), n.address(), static_cast<uint16_t>(n.port()));
    // Storage nodes heartbeat the gateways; a gateway hears them all.
    if ((self->role() == "gateway" && n.role() == "storage") || (self->role() == "storage" && n.role() == "gateway")) {
      peers.push_back(NodeId(n.id()));
    }
  }
  RpcEndpoint rpc(rt, net);
  HeartbeatConfig hb;
  hb.interval = Duration::millis(500);
  Heartbeater heartbeats(rt, rpc, peers, static_cast<uint64_t>(rt.unix_ms()), hb);
  const fs::path node_dir = fs::path(o.data_dir) / ("node" + std::to_string(node_id));
  std::error_code mkdir_ec;
  fs::create_directories(node_dir, mkdir_ec);
  if (mkdir_ec) return fail("cannot create " + node_dir.string() + ": " + mkdir_ec.message());

  if (self->role() == "storage") {
    auto disks = open_disks(io, node_dir, self->disks());
    if (!disks.is_ok()) return fail(disks.status().to_string());
    StorageService storage(rt, rpc, raw(disks.value()));
    auto scrubber = start_scrubber(rt, storage, raw(disks.value()), o);
    std::cout << "Tessera storage node " << node_id << " on " << self->address() << ":" << self->port() << " ("
              << self->disks() << " disks in " << node_dir.string() << ")\n"
              << std::flush;
    serve_until_signal(io, rt, nullptr);
    return 0;
  }

  if (self->role() == "metadata") {
    auto kv = RocksKv::open(io, (node_dir / "metadata").string());
    if (!kv.is_ok()) return fail(kv.status().to_string());
    KvMetadataStore store(rt, *kv.value());
    MetadataService service(rpc, store);
    std::cout << "Tessera metadata node " << node_id << " on " << self->address() << ":" << self->port() << " ("
              << (node_dir / "metadata").string() << ")\n"
              << std::flush;
    serve_until_signal(io, rt, nullptr);
    return 0;
  }

  // A gateway: with a metadata node it is one of several; the one with the
  // lowest id runs GC, repair and the orphan sweep.
  MetadataSource meta{node_dir / "metadata", std::nullopt};
  uint32_t lead_gateway = node_id;
  for (const auto& n : cluster.nodes()) {
    if (n.role() == "metadata") meta.remote = NodeId(n.id());
    if (n.role() == "gateway") lead_gateway = std::min(lead_gateway, n.id());
  }
  std::vector<DiskInfo> infos;
  uint32_t total_disks = 0;
  for (const auto& n : cluster.nodes()) {
    if (n.role() != "storage") continue;
    for (uint32_t d = 0; d < n.disks(); ++d, ++total_disks) {
      const uint64_t capacity = n.disk_capacity_bytes() == 0 ? kDefaultCapacity : n.disk_capacity_bytes();
      infos.push_back(DiskInfo{DiskRef{n.id(), d}, n.zone(), n.rack(), capacity, 0, true});
    }
  }
  GatewayConfig config = gateway_config(cluster.k(), cluster.m(), *parse_failure_domain(cluster.failure_domain()),
                                        static_cast<uint32_t>(cluster.part_mib()), total_disks);
  config.fragment_deadline = Duration::seconds(10);
  config.hedge_after = Duration::millis(200);
  const std::string s3_address = self->s3_address().empty() ? "127.0.0.1" : self->s3_address();
  auto gateway = start_gateway(io, rt, rpc, o, meta, lead_gateway == node_id, infos, config, s3_address,
                               static_cast<uint16_t>(self->s3_port()), nullptr);
  if (!gateway.is_ok()) return fail(gateway.status().message());
  gateway.value().gateway->set_liveness(
      [&heartbeats](NodeId node) { return heartbeats.state(node) == PeerState::kUp; });
  std::cout << "Tessera S3 on http://" << s3_address << ":" << gateway.value().server->port() << " (gateway node "
            << node_id << ", " << cluster.k() << "+" << cluster.m() << " over " << total_disks << " disks)\n"
            << std::flush;
  serve_until_signal(io, rt, gateway.value().server.get());
  return 0;
}

}  // namespace tessera::prod

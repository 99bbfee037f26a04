#include "prod/server/front_end.h"

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <iostream>

#include "core/metadata/remote_metadata_store.h"

namespace tessera::prod {
namespace {

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
  g["tessera_stripes_lost"] = static_cast<double>(p.stripes_lost);
  g["tessera_stripes_marked_lost_total"] = static_cast<double>(p.stripes_marked_lost);
  g["tessera_fragments_repaired_total{how=\"in_place\"}"] = static_cast<double>(p.fragments_rebuilt);
  g["tessera_fragments_repaired_total{how=\"moved\"}"] = static_cast<double>(p.fragments_moved);
  g["tessera_orphan_fragments_pending"] = static_cast<double>(p.orphans_pending);
  g["tessera_orphan_fragments_deleted_total"] = static_cast<double>(p.orphans_deleted);
  g["tessera_repair_inventory_messages_total"] = static_cast<double>(p.inventory_messages);
  g["tessera_repair_inventory_bytes_total"] = static_cast<double>(p.inventory_bytes);
}

void add_cluster_map_metrics(const ClusterMap& map, std::map<std::string, double>& g) {
  g["tessera_cluster_map_version"] = static_cast<double>(map.version());
  for (const auto& [state, count] : map.counts()) {
    g[std::string("tessera_storage_nodes{state=\"") + node_state_name(state) + "\"}"] = static_cast<double>(count);
  }
}

void add_gateway_metrics(const ObjectGateway& gateway, const GarbageCollector& collector,
                         std::map<std::string, double>& g) {
  const auto& st = gateway.stats();
  g["tessera_fragments_written_total"] = static_cast<double>(st.fragments_written);
  g["tessera_fragment_write_failures_total"] = static_cast<double>(st.fragment_write_failures);
  g["tessera_fragments_read_total"] = static_cast<double>(st.fragments_read);
  g["tessera_fragment_read_failures_total"] = static_cast<double>(st.fragment_read_failures);
  g["tessera_stripes_decoded_total"] = static_cast<double>(st.parts_decoded);
  g["tessera_stripe_reads_failed_total"] = static_cast<double>(st.stripe_reads_failed);
  // Placement's view of the disks: what they hold (true after restarts and
  // GC: heartbeats carry it) and how many are gone.
  uint64_t used = 0;
  for (const DiskInfo& d : gateway.stripes().disks()) used += d.used_bytes;
  g["tessera_placement_used_bytes"] = static_cast<double>(used);
  g["tessera_placement_disks_gone"] = static_cast<double>(gateway.stripes().disks_gone());
  g["tessera_fragments_collected_total"] = static_cast<double>(collector.fragments_collected());
}

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

// Ready while the metadata answers and the storage nodes heard from can
// take a stripe: a load balancer then sends nothing to a gateway that
// could only time out or refuse. Checked every second, every 50 ms while
// not ready (a restarted gateway is ready as soon as it can serve).
Task<void> track_readiness(AsioRuntime& rt, RemoteMetadataStore* metadata, const Node& node,
                           s3::HttpServer* server) {
  std::string was = "starting";
  for (;;) {
    Status s;
    if (metadata) s = co_await metadata->probe(Duration::seconds(2));  // not `?:` (GCC 12)
    if (s.is_ok()) s = node.can_place_stripes();
    server->set_ready(s.is_ok());
    const std::string now = s.is_ok() ? "ready" : "not ready: " + s.message();
    if (now != was) log_line(s.is_ok() ? "info" : "warn", "gateway " + now);
    was = now;
    co_await sleep(rt, s.is_ok() ? Duration::seconds(1) : Duration::millis(50));
  }
}

}  // namespace

Task<void> log_replica_state(AsioRuntime& rt, const RaftReplica& replica) {
  std::string was = "starting";  // not logged: the first line is the server's banner
  for (;;) {
    const std::string now = replica.describe();
    if (now != was) log_line(replica.halted() ? "error" : "info", "metadata replica " + std::to_string(replica.id().value) + ": " + now);
    was = now;
    co_await sleep(rt, Duration::millis(100));
  }
}

namespace {

// Names the first lost objects; the count is in tessera_stripes_lost.
std::string lost_report_line(const std::vector<Repairer::LostStripe>& lost) {
  constexpr size_t kNamedMax = 20;
  std::string line = std::to_string(lost.size()) + " stripes are lost (fewer than k fragments exist anywhere); " +
                     "GETs of them fail with InternalError:";
  for (size_t i = 0; i < std::min(lost.size(), kNamedMax); ++i) {
    const Repairer::LostStripe& s = lost[i];
    line += " " + s.owner.bucket + "/" + s.owner.key;
    line += s.owner.upload_id.empty() ? " (version " + std::to_string(s.owner.version) + ")"
                                      : " (upload " + s.owner.upload_id + " part " + std::to_string(s.owner.upload_part) + ")";
    line += " stripe " + std::to_string(s.number) + ": " + std::to_string(s.fragments_left) + " of " +
            std::to_string(s.k) + ";";
  }
  if (lost.size() > kNamedMax) line += " and " + std::to_string(lost.size() - kNamedMax) + " more";
  return line;
}

}  // namespace

void log_line(const std::string& level, const std::string& msg) {
  std::cerr << "{\"level\":\"" << level << "\",\"msg\":" << s3::json_string(msg) << "}" << std::endl;
}

void plan_background(const ServerOptions& o, NodePlan& plan) {
  // A GC pass every grace/2 (1 s to 10 s) deletes what has been garbage for grace.
  plan.gc_grace = Duration::seconds(o.gc_grace_s);
  plan.gc_interval = Duration::seconds(std::clamp<int64_t>(o.gc_grace_s / 2, 1, 10));
  plan.repair.bytes_per_second = uint64_t{std::max<uint32_t>(1, o.repair_mib_s)} << 20;
  plan.repair.orphan_grace = Duration::seconds(o.orphan_grace_s);
  plan.repair_interval = Duration::seconds(o.repair_interval_s);
  plan.cluster_map.out_after = Duration::seconds(o.node_out_s);
  plan.on_repair_pass = [](const Repairer::PassResult& r) {
    if (!r.lost.empty()) log_line("error", lost_report_line(r.lost));
    if (r.damaged == 0) return;
    log_line(r.unresolved > 0 ? "warn" : "info", "repair pass: " + std::to_string(r.damaged) + " damaged stripes, " +
                                                     std::to_string(r.repaired) + " made whole, " +
                                                     std::to_string(r.unresolved) + " not yet");
  };
  plan.scrub = ScrubConfig{uint64_t{o.scrub_mib_s} << 20, Duration::seconds(std::max<uint32_t>(1, o.scrub_interval_s))};
  plan.on_scrub_pass = [](const Scrubber::Progress& p) {
    log_line(p.corrupt_found > 0 ? "warn" : "info", "scrub pass " + std::to_string(p.passes) + ": " +
                                                        std::to_string(p.pass_blobs_done) + " fragments checked, " +
                                                        std::to_string(p.corrupt_found) + " found corrupt since start");
  };
}

Result<FrontEnd> start_front_end(boost::asio::io_context& io, AsioRuntime& rt, const ServerOptions& o, Node& node,
                                 const std::string& address, uint16_t port,
                                 std::function<std::map<std::string, double>()> extra_metrics,
                                 std::vector<const RaftReplica*> replicas) {
  ObjectGateway* gateway = node.gateway();
  ASSERT(gateway != nullptr);
  FrontEnd f;
  s3::S3Config config;
  config.users = o.users;
  config.domain = o.domain;
  config.region = o.region;
  config.log_requests = o.log_requests;
  f.s3 = std::make_unique<s3::S3Service>(rt, *gateway, config);
  auto limits = http_limits(o, *gateway);
  if (!limits.is_ok()) return limits.status();
  f.server = std::make_unique<s3::HttpServer>(rt, io, *f.s3, limits.value(), [&node, extra_metrics] {
    std::map<std::string, double> g = extra_metrics ? extra_metrics() : std::map<std::string, double>{};
    if (node.scrubber()) add_scrub_metrics(*node.scrubber(), g);
    if (node.plan().background) add_repair_metrics(*node.repairer(), g);
    add_gateway_metrics(*node.gateway(), *node.collector(), g);
    if (node.cluster_map()) add_cluster_map_metrics(*node.cluster_map(), g);
    return g;
  });
  auto* remote = dynamic_cast<RemoteMetadataStore*>(node.metadata());
  f.admin = std::make_unique<AdminApi>(o.admin_key, AdminSources{&node, std::move(replicas), remote});
  AdminApi* admin = f.admin.get();
  f.server->add_side_route(AdminApi::kPrefix, [admin](s3::SideRequest r) { return admin->serve(std::move(r)); });
  if (Status s = f.server->listen(address, port); !s.is_ok()) return s;
  f.server->start();
  rt.spawn(track_readiness(rt, remote, node, f.server.get()));
  return f;
}

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
    log_line("info", "shutting down: draining in-flight requests");
    if (server) server->begin_shutdown();
    drain();
  });
  io.run();
  rt.stop();
  log_line("info", "stopped");
}

}  // namespace tessera::prod

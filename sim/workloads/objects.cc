#include "sim/workloads/objects.h"

#include <map>

#include "core/metadata/metadata_group_admin.h"
#include "core/node/node.h"
#include "sim/cluster.h"
#include "sim/workloads/ground_truth.h"
#include "sim/workloads/consensus_checker.h"
#include "sim/workloads/objects_checker.h"
#include "sim/workloads/objects_client.h"
#include "sim/workloads/repair_audit.h"
#include "sim/workloads/repair_budget.h"

namespace tessera::sim {
namespace {

constexpr uint32_t kFinalReadAttempts = 3;
constexpr uint32_t kVerifiersMax = 16;

constexpr uint32_t kMetadataNode = 1;

struct Shared {
  proto::ObjectsWorkload config;
  FailureDomain level;
  std::vector<DiskInfo> disks;  // every disk of the storage nodes
  std::vector<NodeId> storage_nodes;
  std::vector<NodeId> metadata_nodes;   // a Raft group (and its spares), or the one metadata node
  std::vector<NodeId> metadata_voters;  // the group as it first starts
  std::vector<NodeId> metadata_spares;  // not yet brought in, in order
  std::vector<std::string> replacement_failures;
  uint64_t replacements_done = 0;
  ObjectsChecker checker;
  ConsensusChecker consensus;
  bool accepting = true;
  uint64_t verified = 0;
  BrokenVariants broken;           // test only
  uint64_t garbage_collected = 0;  // garbage records whose fragments are gone
  // Verification with repair on: whether a pass found nothing damaged, and
  // the stripes referenced then (audited against the disks in check()).
  bool repair_converged = false;
  Duration verification_time;  // repair may take half of it, final reads the rest
  uint64_t repair_damaged_left = 0;
  double loss_after_heal = 0;        // per message, the worst link's
  uint64_t repair_passes_allowed = 0;  // after the heal (repair_budget.h)
  uint64_t repair_passes_used = 0;
  std::vector<Repairer::ReferencedStripe> audit;
  Repairer::Progress repair_progress;
  StripeStore::Stats stripes;  // the gateway's last incarnation's
  uint64_t disk_fill_peak_pct = 0;  // the fullest any storage disk was, of its capacity
};

HeartbeatConfig heartbeat_config(const proto::ObjectsWorkload& c) {
  HeartbeatConfig h;
  h.interval = Duration::millis(static_cast<int64_t>(c.heartbeat_interval_ms() == 0 ? 100 : c.heartbeat_interval_ms()));
  return h;
}

// Every node of the workload is a core Node, assembled as tessera-server
// assembles it: node 0 the gateway (which also runs the clients), node 1
// the metadata with metadata_node, the others storage.
NodePlan storage_plan(const NodeContext& ctx, const Shared& s) {
  NodePlan p;
  p.roles.storage = true;
  p.scrub =
      ScrubConfig{s.config.scrub_bytes_per_s(), Duration::millis(static_cast<int64_t>(s.config.scrub_interval_ms()))};
  p.heartbeat_peers = {NodeId(0)};
  p.heartbeat = heartbeat_config(s.config);
  p.incarnation = ctx.incarnation;
  p.broken = s.broken;
  return p;
}

// A replicated group gives an election time to end within a call.
Duration metadata_deadline(const proto::ObjectsWorkload& c) {
  const auto fragment = Duration::millis(static_cast<int64_t>(c.fragment_deadline_ms()));
  return c.metadata_replicas() > 0 ? std::max(fragment, Duration::seconds(1)) : fragment;
}

NodePlan metadata_plan(Shared& s) {
  NodePlan p;
  p.roles.metadata = true;
  if (s.config.metadata_replicas() == 0) return p;
  p.metadata_group = s.metadata_voters;
  p.metadata_deadline = metadata_deadline(s.config);
  p.raft.tick = Duration::millis(50);
  if (s.config.metadata_compact_every() > 0) {
    p.raft.compact_every = s.config.metadata_compact_every();
    p.raft.compact_keep = std::max<uint64_t>(1, s.config.metadata_compact_every() / 10);
    p.raft.snapshot_chunk_bytes = 16384;  // many chunks, each a chance to crash or lose
  }
  ConsensusChecker* checker = &s.consensus;
  p.raft.on_leader = [checker](NodeId self, uint64_t term) { checker->leader(self, term); };
  p.raft.on_apply = [checker](NodeId self, const raft::Entry& e) { checker->applied(self, e); };
  p.raft.on_diverged = [checker](NodeId self, uint64_t index) { checker->diverged(self, index); };
  p.raft.on_snapshot_installed = [checker](NodeId self, uint64_t index) { checker->installed(self, index); };
  p.broken = s.broken;
  return p;
}

// n replicas on nodes of their own: one per zone, round after round, then
// (with fewer zones) on further racks of each zone. Node 0 is the gateway.
std::vector<NodeId> spread_replicas(uint32_t n, const proto::Topology& t) {
  std::vector<NodeId> out;
  const uint32_t per_rack = t.nodes_per_rack(), per_zone = t.racks_per_zone() * per_rack;
  for (uint32_t round = 0; out.size() < n && round < per_zone; ++round) {
    const uint32_t in_zone = (round % t.racks_per_zone()) * per_rack + round / t.racks_per_zone();
    for (uint32_t z = 0; z < t.zones() && out.size() < n; ++z) {
      const uint32_t node = z * per_zone + in_zone;
      if (node != 0) out.push_back(NodeId(node));
    }
  }
  return out;
}

NodePlan gateway_plan(const NodeContext& ctx, Shared& s) {
  const auto& c = s.config;
  NodePlan p;
  p.roles.gateway = true;
  p.cluster_disks = s.disks;
  if (c.metadata_node()) p.metadata_node = NodeId(kMetadataNode);
  if (c.metadata_replicas() > 0) p.metadata_group = s.metadata_voters;
  p.metadata_deadline = metadata_deadline(c);
  p.gateway.storage_classes = {StorageClass{"STANDARD", c.k(), c.m(), s.level}};
  p.gateway.stripes.hedge_after = Duration::millis(static_cast<int64_t>(c.hedge_after_ms()));
  p.gateway.min_upload_part_bytes = c.upload_part_bytes();
  p.gateway.part_bytes = c.part_bytes();
  p.gateway.inline_bytes_max = c.inline_bytes_max();
  p.gateway.stripes.fragment_deadline = Duration::millis(static_cast<int64_t>(c.fragment_deadline_ms()));
  p.background = true;
  p.gc_interval = Duration::millis(static_cast<int64_t>(c.gc_interval_ms()));
  p.gc_grace = Duration::millis(static_cast<int64_t>(c.gc_grace_ms()));
  p.garbage_collected = &s.garbage_collected;
  p.repair.bytes_per_second = std::max<uint64_t>(1, c.repair_bytes_per_s());
  p.repair.orphan_grace = Duration::millis(static_cast<int64_t>(c.orphan_grace_ms()));
  p.repair_interval = Duration::millis(static_cast<int64_t>(c.repair_interval_ms()));
  p.heartbeat_peers = s.storage_nodes;
  p.heartbeat = heartbeat_config(c);
  p.cluster_map.out_after = Duration::millis(static_cast<int64_t>(c.node_out_after_ms()));
  p.incarnation = ctx.incarnation;
  p.broken = s.broken;
  return p;
}

class NodeOnly final : public NodeApp {
 public:
  NodeOnly(NodeContext& ctx, NodePlan plan)
      : node_(NodeIo{ctx.runtime, ctx.network, ctx.disks, &ctx.kv}, std::move(plan)) {}
  Node& node() { return node_; }

 private:
  Node node_;
};

// Node 0: the gateway, whose clients issue S3 requests through the same
// entrance tessera-server serves.
class GatewayApp final : public NodeApp {
 public:
  GatewayApp(NodeContext& ctx, Shared& shared)
      : rt_(ctx.runtime),
        shared_(shared),
        node_(NodeIo{ctx.runtime, ctx.network, {}, &ctx.kv}, gateway_plan(ctx, shared)),
        gateway_(*node_.gateway()),
        repairer_(*node_.repairer()),
        api_(ctx.runtime, gateway_, s3::S3ApiConfig{}),
        s3_(api_, kSimBucket, "sim"),
        client_(ctx.runtime, s3_, *node_.metadata(),
                ObjectsContext{shared.config, shared.checker, shared.disks, shared.level}) {
    api_.set_broken(shared.broken);
    rt_.spawn(boot());
  }

  // The operator's admin call: spare takes the place of gone.
  void replace_metadata_replica(NodeId gone, NodeId spare, Duration catch_up) {
    rt_.spawn([](GatewayApp& app, NodeId gone, NodeId spare, Duration catch_up) -> Task<void> {
      Status s = co_await tessera::replace_metadata_replica(app.node_.rpc(), app.shared_.metadata_nodes, gone, spare,
                                                            catch_up);
      if (s.is_ok()) {
        ++app.shared_.replacements_done;
      } else {
        app.shared_.replacement_failures.push_back("node " + std::to_string(spare.value) + " for node " +
                                                   std::to_string(gone.value) + ": " + s.to_string());
      }
    }(*this, gone, spare, catch_up));
  }

  void start_verification() {
    if (repair_on()) {
      rt_.spawn(converge_then_verify());
    } else {
      start_final_reads();
    }
  }

 private:
  Task<void> boot() {
    co_await client_.create_bucket();
    for (uint32_t i = 0; i < shared_.config.clients(); ++i) rt_.spawn(client());
  }

  // Ends when the workload stops issuing (or node 0 crashes).
  Task<void> client() {
    const auto& c = shared_.config;
    while (shared_.accepting) {
      co_await sleep(rt_, Duration::micros(static_cast<int64_t>(
                              rt_.random().between(c.interval_us() / 2, c.interval_us() + c.interval_us() / 2))));
      if (!shared_.accepting) break;
      co_await client_.one_operation();
    }
  }

  bool repair_on() const { return shared_.config.repair_interval_ms() > 0; }
  Duration repair_interval() const {
    return Duration::millis(static_cast<int64_t>(shared_.config.repair_interval_ms()));
  }

  // Drains garbage collection (with the orphan sweep on), waits for a
  // repair pass that began after the heal and found nothing damaged (and
  // no orphans left), keeps the stripes referenced then for the audit, and
  // reads every key back.
  Task<void> converge_then_verify() {
    const bool sweeping = shared_.config.orphan_grace_ms() > 0;
    const Instant give_up = rt_.now() + Duration::micros(shared_.verification_time.us / 2);
    while (sweeping && rt_.now() < give_up) {
      auto collected = co_await node_.collector()->collect(Duration::micros(0), 100);
      if (collected.is_ok() && collected.value() == 0) break;
    }
    const uint64_t first = repairer_.progress().passes;  // the next may already be under way
    shared_.repair_passes_allowed = repair_passes_allowed(
        {shared_.loss_after_heal, shared_.config.k(), shared_.config.m(),
         std::max<uint64_t>(1, repairer_.progress().pass_stripes_total)});
    while (repairer_.progress().passes < first + shared_.repair_passes_allowed && rt_.now() < give_up) {
      co_await sleep(rt_, repair_interval());
      const auto& p = repairer_.progress();
      if (!p.in_pass && p.passes > first + 1 && p.pass_stripes_damaged == 0 && (!sweeping || p.orphans_pending == 0)) {
        shared_.repair_converged = true;
        break;
      }
    }
    shared_.repair_passes_used = repairer_.progress().passes - first;
    shared_.repair_damaged_left = repairer_.progress().pass_stripes_damaged;
    // The listing for the audit crosses the same lossy network: a lost
    // message is retried, not taken for a leak or a loss.
    Status listed = Status(Code::kUnavailable, "not listed");
    for (uint32_t attempt = 0; attempt < kFinalReadAttempts && !listed.is_ok(); ++attempt) {
      shared_.audit.clear();
      listed = co_await repairer_.referenced_stripes(shared_.audit);
    }
    if (!listed.is_ok()) shared_.repair_converged = false;  // reported as not converged
    shared_.repair_progress = repairer_.progress();
    shared_.stripes = node_.gateway()->stripes().stats();
    start_final_reads();
  }

  void start_final_reads() {
    const uint32_t keys = shared_.config.keys();
    for (uint32_t v = 0; v < std::min(kVerifiersMax, keys); ++v) rt_.spawn(verify(v, kVerifiersMax));
  }

  Task<void> verify(uint32_t first, uint32_t stride) {
    for (uint32_t key = first; key < shared_.config.keys(); key += stride) {
      Result<std::string> r = Status(Code::kUnavailable, "not read");
      for (uint32_t attempt = 0; attempt < kFinalReadAttempts; ++attempt) {
        r = co_await client_.read(key);
        if (r.is_ok() || r.code() == Code::kNotFound) break;
      }
      shared_.checker.record_final(key, r, rt_.now());
      ++shared_.verified;
    }
  }

  Runtime& rt_;
  Shared& shared_;
  Node node_;
  ObjectGateway& gateway_;
  Repairer& repairer_;
  s3::S3Api api_;
  S3Client s3_;
  ObjectsClient client_;
};

// Each broken variant's name and the flag it sets.
const std::vector<std::pair<std::string, bool BrokenVariants::*>> kObjectsBrokenVariants = {
    {"placement_ignores_racks", &BrokenVariants::placement_ignores_racks},
    {"read_skips_checksum", &BrokenVariants::read_skips_checksum},
    {"commit_before_fragments", &BrokenVariants::commit_before_fragments},
    {"repair_rebuilds_wrong_bytes", &BrokenVariants::repair_rebuilds_wrong_bytes},
    {"get_ignores_conditions", &BrokenVariants::get_ignores_conditions},
    {"range_past_its_end", &BrokenVariants::range_past_its_end},
    {"placement_ignores_disk_state", &BrokenVariants::placement_ignores_disk_state},
    {"scrub_skips_verification", &BrokenVariants::scrub_skips_verification},
    {"gc_without_grace", &BrokenVariants::gc_without_grace},
    {"reads_from_any_replica", &BrokenVariants::reads_from_any_replica},
    {"commit_without_quorum", &BrokenVariants::commit_without_quorum},
    {"votes_not_persisted", &BrokenVariants::votes_not_persisted},
    {"count_old_terms", &BrokenVariants::count_old_terms},
};

// The chance a message is lost once faults heal, on the lossiest link.
double loss_after_heal(const proto::NetworkModel& n) {
  if (n.loss_stops_at_heal()) return 0;
  uint32_t link = 0;
  for (const auto& l : n.link_loss()) link = std::max(link, l.loss_ppm());
  return std::min(1.0, (n.loss_ppm() + link) / 1e6);
}

class ObjectsWorkloadImpl final : public Workload {
 public:
  ObjectsWorkloadImpl(const proto::Scenario& scenario, uint32_t nodes, const std::string& broken_variant) {
    shared_.config = scenario.workload().objects();
    for (const auto& [name, flag] : kObjectsBrokenVariants) shared_.broken.*flag = broken_variant == name;
    shared_.level = *parse_failure_domain(shared_.config.failure_domain());
    const auto locations = layout(scenario.topology());
    shared_.checker.set_late_commits(shared_.config.metadata_node() || shared_.config.metadata_replicas() > 0);
    shared_.checker.set_upload_part_bytes(std::max<uint64_t>(1, shared_.config.upload_part_bytes()));
    shared_.checker.set_gets_must_succeed(shared_.config.gets_must_succeed());
    if (shared_.config.puts_must_succeed_after_ms() > 0) {
      shared_.checker.require_puts_from(
          Instant{static_cast<int64_t>(shared_.config.puts_must_succeed_after_ms()) * 1000});
    }
    if (shared_.config.metadata_replicas() > 0) {
      const uint32_t voters = shared_.config.metadata_replicas();
      shared_.metadata_nodes = spread_replicas(voters + shared_.config.metadata_spares(), scenario.topology());
      shared_.metadata_voters.assign(shared_.metadata_nodes.begin(), shared_.metadata_nodes.begin() + voters);
      shared_.metadata_spares.assign(shared_.metadata_nodes.begin() + voters, shared_.metadata_nodes.end());
    } else if (shared_.config.metadata_node()) {
      shared_.metadata_nodes = {NodeId(kMetadataNode)};
    }
    for (uint32_t n = 1; n < nodes; ++n) {
      if (is_metadata(NodeId(n))) continue;
      shared_.storage_nodes.push_back(NodeId(n));
      for (uint32_t d = 0; d < scenario.topology().disks_per_node(); ++d) {
        shared_.disks.push_back(DiskInfo{DiskRef{n, d}, locations[n].zone, locations[n].rack,
                                         scenario.topology().disk_capacity_bytes(), 0, true});
      }
    }
    deadline_ = Duration::millis(static_cast<int64_t>(shared_.config.fragment_deadline_ms()));
    verification_ = Duration::millis(static_cast<int64_t>(scenario.liveness_ms()));
    shared_.verification_time = verification_;
    shared_.loss_after_heal = loss_after_heal(scenario.network());
  }

  void attach(SimCluster& cluster) override {
    SimCluster* c = &cluster;
    const Shared* s = &shared_;
    shared_.checker.set_placement_exists(
        [c, s](size_t size) { return placement_exists(*c, s->disks, s->config, s->level, size); });
  }

  AppFactory factory() override {
    return [this](NodeContext& ctx) -> std::unique_ptr<NodeApp> {
      if (ctx.id.value == 0) return std::make_unique<GatewayApp>(ctx, shared_);
      if (is_metadata(ctx.id)) return std::make_unique<NodeOnly>(ctx, metadata_plan(shared_));
      return std::make_unique<NodeOnly>(ctx, storage_plan(ctx, shared_));
    };
  }
  std::vector<uint32_t> metadata_group() const override {
    std::vector<uint32_t> out;
    for (NodeId n : shared_.metadata_nodes) out.push_back(n.value);
    return out;
  }
  std::optional<uint32_t> metadata_leader(SimCluster& cluster) override {
    std::optional<uint32_t> leader;
    uint64_t term = 0;
    for (NodeId n : shared_.metadata_nodes) {
      if (!cluster.up(n.value)) continue;
      RaftReplica* r = static_cast<NodeOnly*>(cluster.app(n.value))->node().replica();
      if (r && r->is_leader() && r->raft()->term() >= term) {
        leader = n.value;
        term = r->raft()->term();
      }
    }
    return leader;
  }
  std::optional<uint32_t> metadata_follower(SimCluster& cluster) override {
    const std::optional<uint32_t> leader = metadata_leader(cluster);
    if (!leader) return std::nullopt;
    const raft::Raft* raft = static_cast<NodeOnly*>(cluster.app(*leader))->node().replica()->raft();
    for (raft::PeerId p : raft->config().voters()) {
      const uint32_t n = raft_node(p).value;
      if (n != *leader && cluster.up(n)) return n;
    }
    return std::nullopt;
  }
  void replace_metadata_replica(SimCluster& cluster, uint32_t gone, Duration catch_up) override {
    if (shared_.metadata_spares.empty() || !cluster.up(0)) {
      shared_.replacement_failures.push_back("no spare replica, or no gateway, to replace node " +
                                             std::to_string(gone));
      return;
    }
    const NodeId spare = shared_.metadata_spares.front();
    shared_.metadata_spares.erase(shared_.metadata_spares.begin());
    static_cast<GatewayApp*>(cluster.app(0))->replace_metadata_replica(NodeId(gone), spare, catch_up);
  }
  void on_crash(uint32_t node, Instant now) override {
    if (node == 0) shared_.checker.gateway_crashed(now);
    const std::optional<NodeId> leader = shared_.consensus.newest_leader();
    if (shared_.metadata_nodes.size() > 1 && leader && leader->value == node) shared_.checker.leader_crashed(now);
  }
  void begin_liveness(Instant) override {
    if (shared_.config.quiet_after_heal()) shared_.accepting = false;
  }
  void stop_issuing() override { shared_.accepting = false; }
  // A PUT may take two placement rounds, a GET two fetch rounds.
  Duration drain_time() const override { return deadline_ * 6; }
  void start_verification(SimCluster& cluster) override {
    static_cast<GatewayApp*>(cluster.app(0))->start_verification();
  }
  Duration verification_time() const override { return verification_; }
  void check(SimCluster& cluster, Violations& out) override {
    check_disks(cluster, out);
    out.merge(shared_.checker.violations());
    out.merge(shared_.consensus.violations());
    check_replica_states(cluster, out);
    for (const std::string& failure : shared_.replacement_failures) {
      out.add("liveness", "a metadata replica was not replaced: " + failure);
    }
    if (shared_.verified != shared_.config.keys()) {
      out.add("liveness", "final reads verified " + std::to_string(shared_.verified) + " of " +
                              std::to_string(shared_.config.keys()) + " keys in the time allowed");
    }
    if (shared_.config.repair_interval_ms() > 0) {
      if (!shared_.repair_converged) {
        out.add("liveness", "repair did not converge: " + std::to_string(shared_.repair_damaged_left) +
                                " stripes still damaged, " + std::to_string(shared_.repair_progress.orphans_pending) +
                                " orphans pending after " + std::to_string(shared_.repair_progress.passes) +
                                " passes (allowed: " + std::to_string(shared_.repair_passes_allowed) +
                                " passes after the heal, for the loss that outlasts it, within half the "
                                "verification time)");
      }
      audit_stripes(shared_.audit, cluster, out);
      if (shared_.config.orphan_grace_ms() > 0) check_no_orphans(shared_.audit, cluster, out);
    }
  }
  std::string stats() const override {
    const auto& r = shared_.repair_progress;
    const std::string raft = shared_.metadata_nodes.size() > 1 ? " " + shared_.consensus.stats() : "";
    return shared_.checker.stats() + raft + " garbage_collected=" + std::to_string(shared_.garbage_collected) +
           " repair_passes=" + std::to_string(r.passes) + " passes_after_heal=" +
           std::to_string(shared_.repair_passes_used) + "/" + std::to_string(shared_.repair_passes_allowed) +
           " stripes_repaired=" + std::to_string(r.stripes_repaired) +
           " fragments_rebuilt=" + std::to_string(r.fragments_rebuilt) +
           " fragments_moved=" + std::to_string(r.fragments_moved) +
           " fragment_writes_moved=" + std::to_string(shared_.stripes.fragment_writes_moved) +
           " fragment_writes_lagged=" + std::to_string(shared_.stripes.fragment_writes_lagged) +
           " orphans_deleted=" + std::to_string(r.orphans_deleted) +
           " heals_on_read=" + std::to_string(r.stripes_healed_on_read) + "/" + std::to_string(r.heals_queued) +
           " stripes_audited=" + std::to_string(shared_.audit.size()) +
           " disk_fill_peak_pct=" + std::to_string(shared_.disk_fill_peak_pct);
  }

 private:
  // No fragment write to a disk dead longer than the gateway needs to
  // learn it (two heartbeats, or a write that fails at its deadline, twice
  // over): placement knows disk state. And the fullest any disk got.
  void check_disks(SimCluster& cluster, Violations& out) {
    const Duration learn = heartbeat_config(shared_.config).interval * 2 +
                           Duration::millis(static_cast<int64_t>(shared_.config.fragment_deadline_ms())) * 2;
    shared_.disk_fill_peak_pct = sim::check_disks(cluster, shared_.storage_nodes, learn, out);
  }

  // Replicas at the same applied index hold the same state machine.
  void check_replica_states(SimCluster& cluster, Violations& out) {
    std::map<uint64_t, std::pair<uint32_t, uint64_t>> by_index;  // applied -> (node, hash)
    for (NodeId n : shared_.metadata_nodes) {
      if (!cluster.up(n.value) || shared_.metadata_nodes.size() < 2) continue;
      RaftReplica* r = static_cast<NodeOnly*>(cluster.app(n.value))->node().replica();
      if (r == nullptr || !r->started()) continue;
      const uint64_t h = cluster.kv(n.value).hash_from(std::string(1, '\x01'));
      auto [it, fresh] = by_index.emplace(r->applied_index(), std::make_pair(n.value, h));
      if (!fresh && it->second.second != h) {
        out.add("consensus", "nodes " + std::to_string(it->second.first) + " and " + std::to_string(n.value) +
                                 " applied through index " + std::to_string(r->applied_index()) +
                                 " but hold different metadata");
      }
    }
  }

  bool is_metadata(NodeId n) const {
    return std::find(shared_.metadata_nodes.begin(), shared_.metadata_nodes.end(), n) != shared_.metadata_nodes.end();
  }

  Shared shared_;
  Duration deadline_;
  Duration verification_;
};

}  // namespace

std::vector<std::string> objects_broken_variants() {
  std::vector<std::string> out;
  for (const auto& [name, flag] : kObjectsBrokenVariants) out.push_back(name);
  return out;
}

std::unique_ptr<Workload> make_objects(const proto::Scenario& scenario, uint32_t nodes,
                                       const std::string& broken_variant) {
  return std::make_unique<ObjectsWorkloadImpl>(scenario, nodes, broken_variant);
}

}  // namespace tessera::sim

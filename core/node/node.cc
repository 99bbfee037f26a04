#include "core/node/node.h"

#include "core/metadata/remote_metadata_store.h"
#include "io_abstraction/assert.h"

namespace tessera {

Node::Node(NodeIo io, NodePlan plan) : io_(std::move(io)), plan_(std::move(plan)), rpc_(io_.rt, io_.network) {
  ASSERT(plan_.roles.storage || plan_.roles.metadata || plan_.roles.gateway);
  if (!plan_.heartbeat_peers.empty()) {
    heartbeats_ =
        std::make_unique<Heartbeater>(io_.rt, rpc_, plan_.heartbeat_peers, plan_.incarnation, plan_.heartbeat);
  }
  if (plan_.roles.storage) build_storage();
  if (plan_.roles.metadata) build_metadata();
  if (plan_.roles.gateway) build_gateway();
}

Node::~Node() = default;

proto::ScrubReport scrub_report(const Scrubber& scrubber, const ScrubConfig& config) {
  const Scrubber::Progress& p = scrubber.progress();
  proto::ScrubReport r;
  r.set_passes(p.passes);
  r.set_pass_fragments_done(p.pass_blobs_done);
  r.set_pass_fragments_total(p.pass_blobs_total);
  r.set_fragments_checked(p.blobs_checked);
  r.set_bytes_checked(p.bytes_checked);
  r.set_corrupt_found(p.corrupt_found);
  r.set_bytes_per_second(config.bytes_per_second);
  return r;
}

void Node::build_storage() {
  ASSERT(!io_.disks.empty());
  storage_ = std::make_unique<StorageService>(io_.rt, rpc_, io_.disks, !plan_.broken.read_skips_checksum);
  if (heartbeats_) {
    // Every beat tells the gateways what each disk holds and has room for.
    heartbeats_->set_report([this, disks = io_.disks](proto::Heartbeat& hb) {
      if (scrubber_) *hb.mutable_scrub() = scrub_report(*scrubber_, plan_.scrub);
      for (uint32_t i = 0; i < disks.size(); ++i) {
        proto::DiskReport* r = hb.add_disks();
        r->set_disk(i);
        auto space = disks[i]->space();
        r->set_gone(!space.is_ok() && space.code() == Code::kDiskGone);
        if (!space.is_ok()) continue;
        r->set_used_bytes(space.value().used_bytes);
        r->set_free_bytes(space.value().free_bytes);
      }
    });
  }
  if (plan_.scrub.bytes_per_second == 0) return;
  scrubber_ = std::make_unique<Scrubber>(io_.rt, *storage_, io_.disks, plan_.scrub);
  scrubber_->set_skip_verification(plan_.broken.scrub_skips_verification);
  io_.rt.spawn(scrubber_->run(plan_.on_scrub_pass));
}

void Node::build_metadata() {
  ASSERT(io_.kv != nullptr);
  if (plan_.metadata_group.empty()) {
    auto store = std::make_unique<KvMetadataStore>(io_.rt, *io_.kv);
    metadata_service_ = std::make_unique<MetadataService>(rpc_, *store);
    metadata_ = std::move(store);
  } else {
    build_metadata_replica();
  }
  io_.rt.spawn(
      metadata_service_->forget_once_records(MetadataService::kOnceForgetEvery, MetadataService::kOnceKeep));
}

void Node::build_metadata_replica() {
  RaftReplicaConfig config = plan_.raft;
  config.voters = plan_.metadata_group;
  config.broken.commit_without_quorum = plan_.broken.commit_without_quorum;
  config.broken.count_old_terms = plan_.broken.count_old_terms;
  config.votes_not_persisted = plan_.broken.votes_not_persisted;
  config.reads_from_any_replica = plan_.broken.reads_from_any_replica;
  replica_ = std::make_unique<RaftReplica>(io_.rt, rpc_, *io_.kv, std::move(config));
  replicated_kv_ = std::make_unique<ReplicatedKv>(*io_.kv, *replica_);
  // The leader's state machine is the single-replica store over the
  // replicated kv, entered through a read barrier.
  replica_store_ = std::make_unique<KvMetadataStore>(io_.rt, *replicated_kv_);
  RaftReplica* replica = replica_.get();
  const Duration barrier_deadline = plan_.metadata_deadline;
  metadata_service_ = std::make_unique<MetadataService>(
      rpc_, *replica_store_, [replica, barrier_deadline] { return replica->read_barrier(barrier_deadline); });
  // A replica whose kv cannot be read stays unstarted: it answers NotLeader.
  io_.rt.spawn([](RaftReplica& r) -> Task<void> { (void)co_await r.start(); }(*replica_));
}

void Node::build_gateway() {
  if (!plan_.metadata_group.empty()) {
    // Every call, even from a replica's own gateway, goes to the leader.
    auto remote = std::make_unique<RemoteMetadataStore>(rpc_, plan_.metadata_group, plan_.metadata_deadline);
    remote->set_reads_anywhere(plan_.broken.reads_from_any_replica);
    metadata_ = std::move(remote);
  } else if (plan_.metadata_node) {
    ASSERT(!plan_.roles.metadata);  // a metadata node's own gateway uses it directly
    metadata_ = std::make_unique<RemoteMetadataStore>(rpc_, *plan_.metadata_node, plan_.metadata_deadline);
  } else if (!metadata_) {
    ASSERT(io_.kv != nullptr);
    metadata_ = std::make_unique<KvMetadataStore>(io_.rt, *io_.kv);
  }
  GatewayConfig config = plan_.gateway;
  if (plan_.broken.placement_ignores_racks) {
    for (StorageClass& c : config.storage_classes) c.level = FailureDomain::kDisk;
  }
  const std::vector<StorageClass> classes = config.storage_classes;
  gateway_ = std::make_unique<ObjectGateway>(io_.rt, rpc_, *metadata_, plan_.cluster_disks, std::move(config));
  gateway_->set_broken(plan_.broken);
  if (heartbeats_) {
    // Placement and reads skip a node the failure detector does not hear;
    // repair rebuilds what a node out for good held.
    std::set<NodeId> storage_nodes;
    for (const DiskInfo& d : plan_.cluster_disks) storage_nodes.insert(NodeId(d.ref.node));
    cluster_map_ = std::make_unique<ClusterMap>(io_.rt, *heartbeats_,
                                                std::vector<NodeId>(storage_nodes.begin(), storage_nodes.end()),
                                                plan_.cluster_map, plan_.heartbeat.interval);
    const ClusterMap* map = cluster_map_.get();
    gateway_->set_liveness([map](NodeId node) { return map->state(node) == NodeState::kUp; });
    gateway_->stripes().set_node_out([map](NodeId node) { return map->state(node) == NodeState::kOut; });
    Heartbeater* detector = heartbeats_.get();
    // Storage nodes' beats carry their disks' fill and state.
    StripeStore* stripes = &gateway_->stripes();
    detector->set_on_beat([this, stripes](NodeId from, const proto::Heartbeat& hb) {
      stripes->report_disks(from, hb.disks());
      if (hb.has_scrub()) scrub_reports_[from] = hb.scrub();
    });
  }
  // Repair and GC share the gateway's stripe layer: one view of the disks.
  repairer_ = std::make_unique<Repairer>(gateway_->stripes(), *metadata_, classes, plan_.repair);
  collector_ = std::make_unique<GarbageCollector>(gateway_->stripes(), *metadata_);
  repairer_->set_broken_rebuild(plan_.broken.repair_rebuilds_wrong_bytes);
  // Heal on read: a stripe a GET found damaged is rebuilt at once.
  Repairer* repairer = repairer_.get();
  gateway_->set_on_damaged([repairer](const proto::ObjectVersion& v, const proto::StripeRecord& part) {
    repairer->queue_heal(v, part);
  });
  if (plan_.background) start_background();
}

Status Node::can_place_stripes() const {
  if (!gateway_ || !heartbeats_) return Status::ok();
  const Heartbeater* detector = heartbeats_.get();
  return gateway_->stripes().can_place(gateway_->config().storage_classes.at(0),
                                       [detector](NodeId node) { return detector->heard(node); });
}

void Node::start_background() {
  if (plan_.gc_interval.us > 0) {
    const Duration grace = plan_.broken.gc_without_grace ? Duration{0} : plan_.gc_grace;
    io_.rt.spawn(collector_->run(plan_.gc_interval, grace, plan_.garbage_collected));
  }
  if (plan_.repair_interval.us > 0) io_.rt.spawn(repairer_->run(plan_.repair_interval, plan_.on_repair_pass));
}

}  // namespace tessera

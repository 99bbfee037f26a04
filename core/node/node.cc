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

void Node::build_storage() {
  ASSERT(!io_.disks.empty());
  storage_ = std::make_unique<StorageService>(io_.rt, rpc_, io_.disks, !plan_.broken.read_skips_checksum);
  if (plan_.scrub.bytes_per_second == 0) return;
  scrubber_ = std::make_unique<Scrubber>(io_.rt, *storage_, io_.disks, plan_.scrub);
  io_.rt.spawn(scrubber_->run(plan_.on_scrub_pass));
}

void Node::build_metadata() {
  ASSERT(io_.kv != nullptr);
  metadata_ = std::make_unique<KvMetadataStore>(io_.rt, *io_.kv);
  metadata_service_ = std::make_unique<MetadataService>(rpc_, *metadata_);
}

void Node::build_gateway() {
  if (plan_.metadata_node) {
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
    // Placement and reads skip a node the failure detector does not hear.
    Heartbeater* detector = heartbeats_.get();
    gateway_->set_liveness([detector](NodeId node) { return detector->state(node) == PeerState::kUp; });
  }
  // Repair and GC share the gateway's stripe layer: one view of the disks.
  repairer_ = std::make_unique<Repairer>(gateway_->stripes(), *metadata_, classes, plan_.repair);
  collector_ = std::make_unique<GarbageCollector>(gateway_->stripes(), *metadata_);
  repairer_->set_broken_rebuild(plan_.broken.repair_rebuilds_wrong_bytes);
  if (plan_.background) start_background();
}

void Node::start_background() {
  if (plan_.gc_interval.us > 0) {
    io_.rt.spawn(collector_->run(plan_.gc_interval, plan_.gc_grace, plan_.garbage_collected));
  }
  if (plan_.repair_interval.us > 0) io_.rt.spawn(repairer_->run(plan_.repair_interval, plan_.on_repair_pass));
}

}  // namespace tessera

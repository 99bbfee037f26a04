// One node of a Tessera cluster, built from its roles and its IO. The same
// code assembles a node in tessera-server (Asio, TCP, files, RocksDB) and
// in the simulator (sim runtime, network, disks, kv): every service a role
// needs, the failure detector wired into placement and reads, and the
// background loops (scrub, garbage collection, repair with the orphan
// sweep). Front ends (S3 over HTTP, a simulated client) sit on gateway().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/broken_variants.h"
#include "core/consensus/raft_replica.h"
#include "core/consensus/replicated_kv.h"
#include "core/gateway/object_gateway.h"
#include "core/gc/garbage_collector.h"
#include "core/membership/cluster_map.h"
#include "core/membership/heartbeat.h"
#include "core/metadata/metadata_service.h"
#include "core/repair/repairer.h"
#include "core/rpc/rpc_endpoint.h"
#include "core/scrub/scrubber.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/disk.h"
#include "io_abstraction/kv.h"
#include "io_abstraction/network.h"
#include "io_abstraction/runtime.h"

namespace tessera {

struct NodeRoles {
  bool storage = false;   // serves its disks
  bool metadata = false;  // serves its kv as the cluster's metadata
  bool gateway = false;   // the object gateway
};

// What a node is: its roles and how they are set up.
struct NodePlan {
  NodeRoles roles;
  // Gateway: every storage disk of the cluster, and where the metadata is
  // (a metadata node, or this node's own kv).
  std::vector<DiskInfo> cluster_disks;
  std::optional<NodeId> metadata_node;
  // A replicated metadata group (Raft): its replicas. A metadata node of
  // the group serves as one of them; a gateway reaches the group's leader.
  std::vector<NodeId> metadata_group;
  RaftReplicaConfig raft;  // timing, and hooks the simulator's checker uses
  Duration metadata_deadline = Duration::seconds(30);
  GatewayConfig gateway;
  // Gateway: runs GC, repair and the orphan sweep (one gateway of a
  // cluster does). An interval of 0 turns its loop off.
  bool background = false;
  Duration gc_interval{0}, gc_grace{0};
  RepairConfig repair;
  Duration repair_interval{0};
  std::function<void(const Repairer::PassResult&)> on_repair_pass;
  uint64_t* garbage_collected = nullptr;  // counts collected garbage records when set
  // Storage: scrubbing at scrub.bytes_per_second (0: off).
  ScrubConfig scrub{0, Duration::seconds(1)};
  std::function<void(const Scrubber::Progress&)> on_scrub_pass;
  // Heartbeats to these peers, and a failure detector over what they send:
  // a gateway's placement and reads skip nodes it does not hear. Empty: no
  // failure detector (every node counts as up).
  std::vector<NodeId> heartbeat_peers;
  HeartbeatConfig heartbeat;
  // A gateway's view of its storage nodes over the detector: when a silent
  // node counts out, and repair rebuilds what it held.
  ClusterMapConfig cluster_map;
  uint64_t incarnation = 0;
  BrokenVariants broken;  // test only
};

// The IO a node runs on. kv is needed by the metadata role and by a gateway
// that keeps its metadata itself.
struct NodeIo {
  Runtime& rt;
  Network& network;
  std::vector<Disk*> disks;
  Kv* kv = nullptr;
};

class Node {
 public:
  // Builds every service of the plan's roles and starts their loops.
  Node(NodeIo io, NodePlan plan);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  RpcEndpoint& rpc() { return rpc_; }
  // nullptr when the node does not have that role.
  ObjectGateway* gateway() { return gateway_.get(); }
  MetadataStore* metadata() { return metadata_.get(); }
  Repairer* repairer() { return repairer_.get(); }
  GarbageCollector* collector() { return collector_.get(); }
  Scrubber* scrubber() { return scrubber_.get(); }
  StorageService* storage() { return storage_.get(); }
  Heartbeater* heartbeats() { return heartbeats_.get(); }
  // A gateway's storage nodes up, down or out (nullptr without a detector).
  const ClusterMap* cluster_map() const { return cluster_map_.get(); }
  RaftReplica* replica() { return replica_.get(); }
  const NodePlan& plan() const { return plan_; }
  // The disks this node serves (a storage node's; empty otherwise).
  const std::vector<Disk*>& local_disks() const { return io_.disks; }
  NodeId id() const { return rpc_.self(); }
  // A gateway: the scrub progress each storage node's heartbeats carried
  // last (empty without a failure detector).
  const std::map<NodeId, proto::ScrubReport>& scrub_reports() const { return scrub_reports_; }
  // Readiness of a gateway: ok once the storage nodes it has heard from
  // can take a stripe of its first storage class (always, without a
  // failure detector); else why not.
  Status can_place_stripes() const;

 private:
  void build_storage();
  void build_metadata();
  void build_metadata_replica();  // metadata as one replica of a Raft group
  void build_gateway();
  void start_background();

  NodeIo io_;
  NodePlan plan_;
  RpcEndpoint rpc_;
  std::unique_ptr<Heartbeater> heartbeats_;
  std::unique_ptr<ClusterMap> cluster_map_;
  std::unique_ptr<StorageService> storage_;
  std::unique_ptr<RaftReplica> replica_;
  std::unique_ptr<ReplicatedKv> replicated_kv_;
  std::unique_ptr<KvMetadataStore> replica_store_;  // the leader's state machine
  std::unique_ptr<Scrubber> scrubber_;
  std::unique_ptr<MetadataStore> metadata_;
  std::unique_ptr<MetadataService> metadata_service_;
  std::unique_ptr<ObjectGateway> gateway_;
  std::unique_ptr<Repairer> repairer_;
  std::unique_ptr<GarbageCollector> collector_;
  std::map<NodeId, proto::ScrubReport> scrub_reports_;
};

// What a storage node's heartbeats say of its scrubber.
proto::ScrubReport scrub_report(const Scrubber& scrubber, const ScrubConfig& config);

}  // namespace tessera

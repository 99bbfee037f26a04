// ClusterMap: the state of every storage node as the services of one node
// (placement, reads, repair) see it, derived from the failure detector:
//  up:   heard lately (within the detector's suspect window);
//  down: silent longer: placement skips it and reads take parity for its
//        fragments at once, but nothing is rebuilt (it may come back);
//  out:  silent for out_after without a break: repair rebuilds what its
//        disks held onto other disks, as for a dead disk.
// A node that is heard again before out_after (a restart, a flap) was never
// out, so flapping moves nothing (Ceph's down/out interval). At most
// out_percent_max of the nodes are out at once: a gateway cut off from
// most of the cluster does not start rebuilding everything (Ceph's
// mon_osd_min_in_ratio). The version changes whenever a node changes
// state, as a refresh (every tick) sees it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/membership/heartbeat.h"

namespace tessera {

enum class NodeState { kUp, kDown, kOut };
const char* node_state_name(NodeState state);

struct ClusterMapConfig {
  Duration out_after = Duration::micros(0);  // 0: a node is never out
  uint32_t out_percent_max = 25;
};

class ClusterMap {
 public:
  // nodes: the storage nodes the detector hears from. Starts the refresh
  // loop on rt, a refresh every tick.
  ClusterMap(Runtime& rt, const Heartbeater& detector, std::vector<NodeId> nodes, ClusterMapConfig config,
             Duration tick);
  ~ClusterMap();

  // Up and down are the detector's view now; out, as of the last refresh.
  NodeState state(NodeId node) const;
  uint64_t version() const { return version_; }
  // How many nodes are in each state, as of the last refresh.
  std::map<NodeState, uint32_t> counts() const;
  // Recomputes the states (the loop calls it every tick).
  void refresh();

 private:
  Task<void> refresh_loop();

  Runtime& rt_;
  const Heartbeater& detector_;
  std::vector<NodeId> nodes_;
  ClusterMapConfig config_;
  Duration tick_;
  std::map<NodeId, NodeState> states_;  // as of the last refresh
  std::set<NodeId> out_;
  uint64_t version_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tessera

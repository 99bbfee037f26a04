// Membership of a replicated metadata group, as an operator changes it:
// the client side of "raft.replace" (RaftReplica::replace), for the
// admin command and the simulator's replacement fault alike.
#pragma once

#include <vector>

#include "core/rpc/rpc_endpoint.h"

namespace tessera {

// Asks the group (trying its replicas, following NotLeader hints) to put
// the empty replica `add` in the place of the voter `remove`. Ok once the
// group's configuration has add and not remove; a call that stopped
// half way (a leader change, add still catching up) can simply be made
// again. add must already run the metadata replica role.
Task<Status> replace_metadata_replica(RpcEndpoint& rpc, std::vector<NodeId> group, NodeId remove, NodeId add,
                                      Duration catch_up);

}  // namespace tessera

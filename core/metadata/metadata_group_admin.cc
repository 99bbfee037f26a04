#include "core/metadata/metadata_group_admin.h"

#include <algorithm>

#include "consensus.pb.h"
#include "core/consensus/raft_replica.h"
#include "core/metadata/metadata_store.h"

namespace tessera {

Task<Status> replace_metadata_replica(RpcEndpoint& rpc, std::vector<NodeId> group, NodeId remove, NodeId add,
                                      Duration catch_up) {
  // After a partial run the new replica may be the one that leads; the
  // one replaced is likely dead, so it is asked last.
  if (std::find(group.begin(), group.end(), add) == group.end()) group.push_back(add);
  auto gone = std::find(group.begin(), group.end(), remove);
  if (gone != group.end()) std::rotate(gone, gone + 1, group.end());
  proto::RaftReplace request;
  request.set_remove(remove.value);
  request.set_add(add.value);
  request.set_catch_up_ms(static_cast<uint64_t>(catch_up.us / 1000));
  Runtime& rt = rpc.runtime();
  const Instant give_up = rt.now() + catch_up + Duration::seconds(30);
  const Duration wait = Duration::seconds(1);  // every answer is immediate
  Status last(Code::kUnavailable, "the metadata group has no leader");
  size_t next = 0;
  NodeId to = group[0];
  while (rt.now() < give_up) {
    auto r = co_await call_message<proto::RaftReplace>(rpc, to, "raft.replace", request, wait);
    if (r.is_ok()) co_return Status::ok();
    last = r.status();
    if (last.reason() == RaftReplica::kInProgress) {
      co_await sleep(rt, Duration::millis(100));  // the leader works on it: ask it again
      continue;
    }
    if (last.reason() != kNotLeader && last.code() != Code::kTimeout) co_return last;  // the leader's own answer
    const std::optional<uint32_t> hint = leader_hint_of(last);
    if (hint && NodeId(*hint) != to) {
      to = NodeId(*hint);
      if (std::find(group.begin(), group.end(), to) == group.end()) group.push_back(to);
      continue;
    }
    // No answer, or no leader known there: the next replica.
    if (++next % group.size() == 0) co_await sleep(rt, Duration::millis(200));  // an election may be on
    to = group[next % group.size()];
  }
  co_return last;
}

}  // namespace tessera

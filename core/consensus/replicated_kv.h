// ReplicatedKv: a Kv whose writes go through a Raft group (RaftReplica)
// and whose reads come from this replica's copy. Run a single-replica
// state machine over it (KvMetadataStore) on the leader only, after a
// read barrier per operation: then reads see every committed write, and a
// write returns once it is committed and applied here. A write on a
// replica that is not the leader fails with NotLeader and changes nothing.
#pragma once

#include "core/consensus/raft_replica.h"
#include "io_abstraction/kv.h"

namespace tessera {

class ReplicatedKv final : public Kv {
 public:
  ReplicatedKv(Kv& local, RaftReplica& replica) : local_(local), replica_(replica) {}

  Task<Result<std::string>> get(std::string key) override { return local_.get(std::move(key)); }
  Task<Result<std::vector<KvPair>>> scan(std::string begin, std::string end, size_t limit) override {
    return local_.scan(std::move(begin), std::move(end), limit);
  }
  // Every replicated write is durable on a quorum before it returns, so
  // the durability asked for is always met.
  Task<Status> write(KvBatch batch, Durability) override;

 private:
  Kv& local_;
  RaftReplica& replica_;
};

}  // namespace tessera

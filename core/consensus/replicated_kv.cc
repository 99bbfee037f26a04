#include "core/consensus/replicated_kv.h"

#include "consensus.pb.h"

namespace tessera {

Task<Status> ReplicatedKv::write(KvBatch batch, Durability) {
  proto::KvCommand command;
  for (const KvWrite& w : batch.writes()) {
    proto::KvOp* op = command.add_ops();
    op->set_key(w.key);
    if (w.op == KvWrite::Op::kDelete) {
      op->set_remove(true);
    } else {
      op->set_value(w.value);
    }
  }
  co_return co_await replica_.propose(command.SerializeAsString());
}

}  // namespace tessera

// KvMetadataStore's once-writes: a write sent with an OnceId records its
// reply in the same batch, so a client that got no answer can send it
// again (to the same replica or a new leader) and is answered from the
// record instead of the write being applied twice.
#include "core/metadata/kv_store_util.h"
#include "core/metadata/metadata_store.h"
#include "io_abstraction/assert.h"
#include "metadata_rpc.pb.h"

namespace tessera {

using namespace kv_store_util;

std::unique_ptr<KvMetadataStore> KvMetadataStore::once(OnceId id) {
  return std::unique_ptr<KvMetadataStore>(new KvMetadataStore(*this, id));
}

Task<Status> KvMetadataStore::commit(KvBatch batch, const google::protobuf::Message* reply) {
  if (once_) {
    ASSERT(!once_written_);  // every store call makes at most one write
    once_written_ = true;
    proto::MetaOnceRecord record;
    if (reply) record.set_reply(reply->SerializeAsString());
    record.set_applied_ms(static_cast<uint64_t>(rt_.unix_ms()));
    batch.put(keys::once(once_->client, once_->seq), record.SerializeAsString());
  }
  co_return co_await kv_.write(std::move(batch), Durability::kSync);
}

Task<Result<std::optional<std::string>>> KvMetadataStore::once_reply(OnceId id) {
  auto record = parse<proto::MetaOnceRecord>(co_await kv_.get(keys::once(id.client, id.seq)), "once");
  if (record.code() == Code::kNotFound) co_return std::optional<std::string>();
  if (!record.is_ok()) co_return record.status();
  co_return std::optional<std::string>(std::move(*record.value().mutable_reply()));
}

Task<Result<size_t>> KvMetadataStore::forget_once(uint64_t before_ms) {
  size_t removed = 0;
  std::string from = keys::once_range_begin();
  for (;;) {
    auto rows = co_await kv_.scan(from, keys::once_range_end(), kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    KvBatch batch;
    for (const auto& [k, v] : rows.value()) {
      proto::MetaOnceRecord record;
      // A record that does not parse is of no use to a repeat either.
      if (!record.ParseFromString(v) || record.applied_ms() < before_ms) batch.remove(k);
    }
    if (!batch.empty()) {
      removed += batch.writes().size();
      if (Status s = co_await kv_.write(std::move(batch), Durability::kSync); !s.is_ok()) co_return s;
    }
    if (rows.value().size() < kScanBatch) co_return removed;
    from = rows.value().back().first + std::string(1, '\0');
  }
}

}  // namespace tessera

#include "core/gateway/object_gateway.h"

#include <algorithm>

#include "core/codec/sha256.h"
#include "core/gateway/gateway_util.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

ObjectGateway::ObjectGateway(Runtime& rt, RpcEndpoint& rpc, MetadataStore& metadata,
                             std::vector<DiskInfo> disks, GatewayConfig config)
    : rt_(rt), rpc_(rpc), metadata_(metadata), disks_(std::move(disks)), config_(std::move(config)) {
  ASSERT(config_.part_bytes > 0);
  ASSERT(config_.inline_bytes_max < config_.part_bytes);
  ASSERT(!config_.storage_classes.empty());
  for (const StorageClass& c : config_.storage_classes) ASSERT(codec(c.k, c.m).is_ok());
}

Result<const ReedSolomon*> ObjectGateway::codec(uint32_t k, uint32_t m) {
  auto found = codecs_.find({k, m});
  if (found != codecs_.end()) return &found->second;
  auto created = ReedSolomon::create(k, m);
  if (!created.is_ok()) return created.status();
  return &codecs_.emplace(std::make_pair(k, m), std::move(created).value()).first->second;
}

Result<const StorageClass*> ObjectGateway::storage_class(const std::string& name) const {
  for (const StorageClass& c : config_.storage_classes) {
    if (c.name == name) return &c;
  }
  return Status(Code::kInvalidArgument, "no storage class " + name, "InvalidStorageClass");
}

Result<const StorageClass*> ObjectGateway::class_for(const proto::BucketRecord& bucket,
                                                     const std::string& requested) const {
  if (!requested.empty()) return storage_class(requested);
  if (!bucket.storage_class().empty()) return storage_class(bucket.storage_class());
  return &config_.storage_classes.front();
}

Task<Result<proto::ObjectVersion>> ObjectGateway::put_object(proto::BucketRecord b, std::string key,
                                                             ByteSource& body, CommitConditions conditions,
                                                             ObjectAttributes attrs) {
  ASSERT(!b.name().empty());
  const std::string& bucket = b.name();
  auto cls = class_for(b, attrs.storage_class());
  if (!cls.is_ok()) co_return cls.status();
  auto written = co_await write_stream(bucket, key, *cls.value(), 0, body, true);
  if (!written.is_ok()) co_return written.status();
  Written& w = written.value();
  proto::ObjectVersion version = std::move(attrs);
  add_trailers(body.trailers(), version.mutable_headers());
  version.set_bucket(bucket);
  version.set_key(key);
  version.set_size(w.size);
  version.set_etag(w.md5_hex);
  version.set_storage_class(cls.value()->name);
  version.set_modified_ms(rt_.unix_ms());
  if (w.inline_body) {
    proto::PartRecord* part = version.add_parts();
    part->set_number(1);
    part->set_size(w.size);
    part->set_inline_data(std::move(*w.inline_body));
  } else {
    for (const auto& stripe : w.stripes) *version.add_parts() = stripe;
  }
  // Every fragment of every stripe is durable before this commit.
  auto committed = co_await metadata_.commit_object(std::move(version), conditions);
  // Lost its condition, or the bucket went: the stripes are nobody's. A
  // commit that got no answer may have happened: its stripes are left
  // alone (if it did not, the orphan sweep finds them).
  if (!committed.is_ok() && !outcome_unknown(committed.status())) co_await discard(bucket, key, std::move(w.stripes));
  co_return committed;
}

Task<void> ObjectGateway::discard(const std::string& bucket, const std::string& key,
                                  std::vector<proto::PartRecord> stripes) {
  if (stripes.empty()) co_return;
  // Best effort: if even this fails, the orphan sweep finds the fragments.
  Status s = co_await metadata_.discard_stripes(bucket, key, std::move(stripes));
  (void)s;
}

Task<Result<proto::ObjectVersion>> ObjectGateway::head_object(std::string bucket, std::string key,
                                                              std::string version_id) {
  auto v = co_await metadata_.get_object(bucket, key, version_id);
  if (!v.is_ok()) co_return v.status();
  if (v.value().delete_marker()) {
    if (version_id.empty()) co_return Status(Code::kNotFound, "no key " + key + " in " + bucket, "NoSuchKey");
    co_return Status(Code::kInvalidArgument, "version " + version_id + " is a delete marker", "MethodNotAllowed");
  }
  co_return v;
}

Task<Result<DeleteResult>> ObjectGateway::delete_object(std::string bucket, std::string key,
                                                        std::string version_id) {
  co_return co_await metadata_.delete_object(std::move(bucket), std::move(key), std::move(version_id));
}

}  // namespace tessera

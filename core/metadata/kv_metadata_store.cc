#include "core/metadata/key_encoding.h"
#include "core/metadata/kv_store_util.h"
#include "core/metadata/metadata_store.h"
#include "core/metadata/metadata_wire.h"

namespace tessera {

using namespace kv_store_util;

Task<Status> KvMetadataStore::create_bucket(proto::BucketRecord bucket) {
  auto guard = co_await locks_.lock(bucket_lock(bucket.name()));
  auto existing = co_await kv_.get(keys::bucket(bucket.name()));
  if (existing.is_ok()) {
    co_return Status(Code::kAlreadyExists, "bucket " + bucket.name() + " exists", "BucketAlreadyExists");
  }
  if (existing.code() != Code::kNotFound) co_return existing.status();
  KvBatch batch;
  batch.put(keys::bucket(bucket.name()), bucket.SerializeAsString());
  co_return co_await commit(std::move(batch));
}

Task<Result<proto::BucketRecord>> KvMetadataStore::get_bucket(std::string name) {
  auto raw = co_await kv_.get(keys::bucket(name));
  if (raw.code() == Code::kNotFound) co_return Status(Code::kNotFound, "no bucket " + name, "NoSuchBucket");
  co_return parse<proto::BucketRecord>(raw, "bucket");
}

Task<Status> KvMetadataStore::delete_bucket(std::string name) {
  // Holding the bucket lock excludes commits to it while we check emptiness.
  auto guard = co_await locks_.lock(bucket_lock(name));
  auto existing = co_await get_bucket(name);
  if (!existing.is_ok()) co_return existing.status();
  auto any = co_await kv_.scan(keys::versions_prefix(name), keys::versions_range_end(name), 1);
  if (!any.is_ok()) co_return any.status();
  if (!any.value().empty()) {
    co_return Status(Code::kFailedPrecondition, "bucket " + name + " is not empty", "BucketNotEmpty");
  }
  KvBatch batch;
  batch.remove(keys::bucket(name));
  co_return co_await commit(std::move(batch));
}

Task<Result<std::vector<proto::BucketRecord>>> KvMetadataStore::list_buckets() {
  co_return co_await scan_records<proto::BucketRecord>(kv_, keys::bucket(""), keys::bucket_range_end(), "bucket");
}

Task<Status> KvMetadataStore::set_versioning(std::string name, proto::Versioning state) {
  auto guard = co_await locks_.lock(bucket_lock(name));
  auto bucket = co_await get_bucket(name);
  if (!bucket.is_ok()) co_return bucket.status();
  if (state == proto::VERSIONING_OFF && bucket.value().versioning() != proto::VERSIONING_OFF) {
    co_return Status(Code::kInvalidArgument, "versioning cannot be turned off once enabled; suspend it",
                     "IllegalVersioningConfigurationException");
  }
  bucket.value().set_versioning(state);
  KvBatch batch;
  batch.put(keys::bucket(name), bucket.value().SerializeAsString());
  co_return co_await commit(std::move(batch));
}

std::string KvMetadataStore::new_version_id() {
  const uint64_t a = rt_.random().next(), b = rt_.random().next();
  return hex_of(keys::big_endian(a, 8) + keys::big_endian(b, 8));
}

Task<Result<std::vector<proto::ObjectVersion>>> KvMetadataStore::key_versions(const std::string& bucket,
                                                                              const std::string& key) {
  const std::string prefix = keys::key_versions_prefix(bucket, key);
  co_return co_await scan_records<proto::ObjectVersion>(kv_, prefix, keys::prefix_successor(prefix), "object");
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::stage_commit(const proto::BucketRecord& bucket,
                                                                 proto::ObjectVersion version,
                                                                 const CommitConditions& conditions, KvBatch& batch) {
  const std::string& name = bucket.name();
  const std::string key = version.key();
  auto head = parse<proto::ObjectVersion>(co_await kv_.get(keys::head(name, key)), "object");
  if (!head.is_ok() && head.code() != Code::kNotFound) co_return head.status();
  const bool exists = head.is_ok() && !head.value().delete_marker();
  if (conditions.if_none_match_any && exists) {
    co_return Status(Code::kFailedPrecondition, "If-None-Match: * and the key exists", "PreconditionFailed");
  }
  if (conditions.if_match && (!exists || head.value().etag() != *conditions.if_match)) {
    co_return Status(Code::kFailedPrecondition, "If-Match: the key's ETag differs", "PreconditionFailed");
  }
  version.set_version(head.is_ok() ? head.value().version() + 1 : 1);
  if (bucket.versioning() == proto::VERSIONING_ENABLED) {
    version.set_version_id(new_version_id());
  } else {
    // The new "null" version replaces the old one.
    version.set_version_id(kNullVersionId);
    if (bucket.versioning() == proto::VERSIONING_OFF) {
      if (head.is_ok()) {
        batch.remove(keys::version(name, key, head.value().version()));
        stage_garbage(name, key, head.value().fragment_version(), head.value().stripes(), batch);
      }
    } else {
      auto all = co_await key_versions(name, key);
      if (!all.is_ok()) co_return all.status();
      for (const auto& v : all.value()) {
        if (v.version_id() != kNullVersionId) continue;
        batch.remove(keys::version(name, key, v.version()));
        stage_garbage(name, key, v.fragment_version(), v.stripes(), batch);
      }
    }
  }
  // A key's commits are numbered in order, each under the key's lock.
  ASSERT(version.version() == (head.is_ok() ? head.value().version() + 1 : 1));
  ASSERT(!version.version_id().empty() && version.bucket() == name);
  const std::string record = version.SerializeAsString();
  batch.put(keys::version(name, key, version.version()), record);
  batch.put(keys::head(name, key), record);
  co_return version;
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::commit_object(proto::ObjectVersion version,
                                                                  CommitConditions conditions) {
  const std::string bucket = version.bucket();
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  auto key_guard = co_await locks_.lock(key_lock(bucket, version.key()));
  KvBatch batch;
  auto staged = co_await stage_commit(b.value(), std::move(version), conditions, batch);
  if (!staged.is_ok()) co_return staged.status();
  Status s = co_await commit(std::move(batch), &staged.value());
  if (!s.is_ok()) co_return s;
  co_return staged;
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::get_object(std::string bucket, std::string key,
                                                               std::string version_id) {
  if (version_id.empty()) {
    auto raw = co_await kv_.get(keys::head(bucket, key));
    if (raw.code() == Code::kNotFound) {
      auto b = co_await get_bucket(bucket);
      if (!b.is_ok()) co_return b.status();
      co_return Status(Code::kNotFound, "no key " + key + " in " + bucket, "NoSuchKey");
    }
    co_return parse<proto::ObjectVersion>(raw, "object");
  }
  auto all = co_await key_versions(bucket, key);
  if (!all.is_ok()) co_return all.status();
  for (auto& v : all.value()) {
    if (v.version_id() == version_id) co_return std::move(v);
  }
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  co_return Status(Code::kNotFound, "no version " + version_id + " of " + key, "NoSuchVersion");
}

Task<Result<DeleteResult>> KvMetadataStore::delete_object(std::string bucket, std::string key, std::string version_id) {
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  auto key_guard = co_await locks_.lock(key_lock(bucket, key));
  KvBatch batch;
  DeleteResult out;
  if (version_id.empty() && b.value().versioning() != proto::VERSIONING_OFF) {
    proto::ObjectVersion marker;
    marker.set_bucket(bucket);
    marker.set_key(key);
    marker.set_delete_marker(true);
    marker.set_modified_ms(rt_.unix_ms());
    auto staged = co_await stage_commit(b.value(), std::move(marker), {}, batch);
    if (!staged.is_ok()) co_return staged.status();
    out.version_id = staged.value().version_id();
    out.delete_marker = true;
  } else {
    auto all = co_await key_versions(bucket, key);
    if (!all.is_ok()) co_return all.status();
    const std::string wanted = version_id.empty() ? std::string(kNullVersionId) : version_id;
    size_t at = 0;
    while (at < all.value().size() && all.value()[at].version_id() != wanted) ++at;
    if (at == all.value().size()) co_return out;  // nothing to delete: S3 answers 204
    const proto::ObjectVersion& gone = all.value()[at];
    batch.remove(keys::version(bucket, key, gone.version()));
    if (at == 0) {
      // The newest goes: the next one (if any) becomes the head.
      if (all.value().size() > 1) {
        batch.put(keys::head(bucket, key), all.value()[1].SerializeAsString());
      } else {
        batch.remove(keys::head(bucket, key));
      }
    }
    out.version_id = gone.version_id();
    out.delete_marker = gone.delete_marker();
    if (!gone.delete_marker()) {
      out.removed = gone;
      stage_garbage(bucket, key, gone.fragment_version(), gone.stripes(), batch);
    }
  }
  const proto::MetaDeleted reply = wire_deleted(out);
  Status s = co_await commit(std::move(batch), &reply);
  if (!s.is_ok()) co_return s;
  co_return out;
}

void KvMetadataStore::stage_garbage(const std::string& bucket, const std::string& key, uint64_t fragment_version,
                                    const google::protobuf::RepeatedPtrField<proto::StripeRecord>& stripes,
                                    KvBatch& batch) {
  proto::GarbageRecord g;
  for (const auto& s : stripes) {
    if (s.fragments_size() > 0) *g.add_stripes() = s;  // inline data needs no collecting
  }
  if (g.stripes_size() == 0) return;
  g.set_bucket(bucket);
  g.set_key(key);
  g.set_fragment_version(fragment_version);
  const uint64_t now = static_cast<uint64_t>(rt_.unix_ms());
  g.set_created_ms(now);
  batch.put(keys::garbage(now, rt_.random().next()), g.SerializeAsString());
}

Task<Status> KvMetadataStore::discard_stripes(std::string bucket, std::string key,
                                              std::vector<proto::StripeRecord> stripes) {
  google::protobuf::RepeatedPtrField<proto::StripeRecord> field(stripes.begin(), stripes.end());
  KvBatch batch;
  stage_garbage(bucket, key, 0, field, batch);
  if (batch.empty()) co_return Status::ok();
  co_return co_await commit(std::move(batch));
}

Task<Result<std::vector<GarbageEntry>>> KvMetadataStore::list_garbage(uint64_t before_ms, size_t limit) {
  auto rows = co_await kv_.scan(keys::garbage(0, 0), keys::garbage(before_ms + 1, 0), limit);
  if (!rows.is_ok()) co_return rows.status();
  std::vector<GarbageEntry> out;
  for (auto& [k, v] : rows.value()) {
    GarbageEntry e;
    e.id = k;
    if (!e.record.ParseFromString(v)) co_return Status(Code::kCorrupt, "garbage record does not parse");
    out.push_back(std::move(e));
  }
  co_return out;
}

Task<Status> KvMetadataStore::remove_garbage(std::vector<std::string> ids) {
  KvBatch batch;
  for (const std::string& id : ids) {
    if (id.empty() || id[0] != 'G') co_return Status(Code::kInvalidArgument, "not a garbage record id");
    batch.remove(id);
  }
  co_return co_await commit(std::move(batch));
}

}  // namespace tessera

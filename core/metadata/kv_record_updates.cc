// KvMetadataStore::update_bucket and update_object: settings of a stored
// record changed in place (a canned ACL, tags), under the same locks as the
// writes they race with, so a patch never resurrects a replaced version.
#include "core/metadata/kv_store_util.h"
#include "core/metadata/metadata_store.h"
#include "io_abstraction/assert.h"

namespace tessera {

using namespace kv_store_util;

Task<Status> KvMetadataStore::update_bucket(std::string name, proto::BucketPatch patch) {
  auto guard = co_await locks_.lock(bucket_lock(name));
  auto bucket = co_await get_bucket(name);
  if (!bucket.is_ok()) co_return bucket.status();
  if (patch.has_public_read()) bucket.value().set_public_read(patch.public_read());
  if (patch.has_tags()) *bucket.value().mutable_tags() = patch.tags().tags();
  ASSERT(bucket.value().name() == name);
  KvBatch batch;
  batch.put(keys::bucket(name), bucket.value().SerializeAsString());
  co_return co_await commit(std::move(batch));
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::update_object(std::string bucket, std::string key,
                                                                  std::string version_id, proto::ObjectPatch patch) {
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto key_guard = co_await locks_.lock(key_lock(bucket, key));
  auto found = co_await get_object(bucket, key, version_id);
  if (!found.is_ok()) co_return found.status();
  proto::ObjectVersion version = std::move(found).value();
  if (version.delete_marker() && version_id.empty()) {
    co_return Status(Code::kNotFound, "the newest version of " + key + " is a delete marker", "NoSuchKey");
  }
  if (version.delete_marker()) {
    co_return Status(Code::kInvalidArgument, "version " + version_id + " is a delete marker", "MethodNotAllowed");
  }
  if (patch.has_public_read()) version.set_public_read(patch.public_read());
  if (patch.has_tags()) *version.mutable_tags() = patch.tags().tags();
  ASSERT(version.bucket() == bucket && version.key() == key);
  KvBatch batch;
  if (Status s = co_await stage_version_rewrite(version, batch); !s.is_ok()) co_return s;
  if (Status s = co_await commit(std::move(batch), &version); !s.is_ok()) co_return s;
  co_return version;
}

Task<Status> KvMetadataStore::stage_version_rewrite(const proto::ObjectVersion& version, KvBatch& batch) {
  const std::string record = version.SerializeAsString();
  batch.put(keys::version(version.bucket(), version.key(), version.version()), record);
  auto head = parse<proto::ObjectVersion>(co_await kv_.get(keys::head(version.bucket(), version.key())), "object");
  if (!head.is_ok() && head.code() != Code::kNotFound) co_return head.status();
  if (head.is_ok() && head.value().version() == version.version()) {
    batch.put(keys::head(version.bucket(), version.key()), record);
  }
  co_return Status::ok();
}

}  // namespace tessera

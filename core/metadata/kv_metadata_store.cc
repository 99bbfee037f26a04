#include "core/metadata/key_encoding.h"
#include "core/metadata/metadata_store.h"

namespace tessera {
namespace {

namespace keys = metadata_keys;

// Bounds on one LIST: kv rows per scan call and scan calls per request.
constexpr size_t kScanBatch = 256;
constexpr uint32_t kMaxKeysMax = 1000;

template <typename Record>
Result<Record> parse(const Result<std::string>& raw, const char* what) {
  if (!raw.is_ok()) return raw.status();
  Record r;
  if (!r.ParseFromString(raw.value())) return Status(Code::kCorrupt, std::string(what) + " record does not parse");
  return r;
}

// Lock order: the bucket's lock, then the key's. Object writes hold the
// bucket lock shared (they run in parallel); create/delete bucket hold it
// exclusive, so a bucket cannot be deleted under a commit.
std::string bucket_lock(const std::string& bucket) { return "b:" + bucket; }
std::string key_lock(const std::string& bucket, const std::string& key) {
  return "k:" + bucket + std::string(1, '\0') + key;
}

}  // namespace

Task<Status> KvMetadataStore::create_bucket(proto::BucketRecord bucket) {
  auto guard = co_await locks_.lock(bucket_lock(bucket.name()));
  auto existing = co_await kv_.get(keys::bucket(bucket.name()));
  if (existing.is_ok()) co_return Status(Code::kAlreadyExists, "bucket " + bucket.name() + " exists");
  if (existing.code() != Code::kNotFound) co_return existing.status();
  KvBatch batch;
  batch.put(keys::bucket(bucket.name()), bucket.SerializeAsString());
  co_return co_await kv_.write(std::move(batch), Durability::kSync);
}

Task<Result<proto::BucketRecord>> KvMetadataStore::get_bucket(std::string name) {
  auto raw = co_await kv_.get(keys::bucket(name));
  if (raw.code() == Code::kNotFound) co_return Status(Code::kNotFound, "no bucket " + name);
  co_return parse<proto::BucketRecord>(raw, "bucket");
}

Task<Status> KvMetadataStore::delete_bucket(std::string name) {
  // Holding the bucket lock excludes commits to it while we check emptiness.
  auto guard = co_await locks_.lock(bucket_lock(name));
  auto existing = co_await get_bucket(name);
  if (!existing.is_ok()) co_return existing.status();
  auto any = co_await kv_.scan(keys::head_prefix(name), keys::head_range_end(name), 1);
  if (!any.is_ok()) co_return any.status();
  if (!any.value().empty()) co_return Status(Code::kFailedPrecondition, "bucket " + name + " is not empty");
  KvBatch batch;
  batch.remove(keys::bucket(name));
  co_return co_await kv_.write(std::move(batch), Durability::kSync);
}

Task<Result<std::vector<proto::BucketRecord>>> KvMetadataStore::list_buckets() {
  std::vector<proto::BucketRecord> out;
  std::string from = keys::bucket("");
  for (;;) {
    auto rows = co_await kv_.scan(from, keys::bucket_range_end(), kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    for (auto& [k, v] : rows.value()) {
      proto::BucketRecord r;
      if (!r.ParseFromString(v)) co_return Status(Code::kCorrupt, "bucket record does not parse");
      out.push_back(std::move(r));
    }
    if (rows.value().size() < kScanBatch) break;
    from = rows.value().back().first + std::string(1, '\0');
  }
  co_return out;
}

Task<Status> KvMetadataStore::commit_object(proto::ObjectVersion version, CommitConditions conditions) {
  const std::string bucket = version.bucket();
  const std::string key = version.key();
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  auto key_guard = co_await locks_.lock(key_lock(bucket, key));
  auto head = parse<proto::ObjectVersion>(co_await kv_.get(keys::head(bucket, key)), "object");
  if (!head.is_ok() && head.code() != Code::kNotFound) co_return head.status();
  const bool exists = head.is_ok() && !head.value().delete_marker();
  if (conditions.if_none_match_any && exists) {
    co_return Status(Code::kFailedPrecondition, "If-None-Match: * and the key exists");
  }
  if (conditions.if_match && (!exists || head.value().etag() != *conditions.if_match)) {
    co_return Status(Code::kFailedPrecondition, "If-Match: the key's ETag differs");
  }
  version.set_version(head.is_ok() ? head.value().version() + 1 : 1);
  KvBatch batch;
  batch.put(keys::head(bucket, key), version.SerializeAsString());
  co_return co_await kv_.write(std::move(batch), Durability::kSync);
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::get_object(std::string bucket, std::string key) {
  auto raw = co_await kv_.get(keys::head(bucket, key));
  if (raw.code() == Code::kNotFound) co_return Status(Code::kNotFound, "no key " + key + " in " + bucket);
  co_return parse<proto::ObjectVersion>(raw, "object");
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::delete_object(std::string bucket, std::string key) {
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto key_guard = co_await locks_.lock(key_lock(bucket, key));
  auto head = co_await get_object(bucket, key);
  if (!head.is_ok()) co_return head.status();
  KvBatch batch;
  batch.remove(keys::head(bucket, key));
  Status s = co_await kv_.write(std::move(batch), Durability::kSync);
  if (!s.is_ok()) co_return s;
  co_return head;
}

Task<Result<ListResult>> KvMetadataStore::list_objects(std::string bucket, ListRequest req) {
  if (req.max_keys > kMaxKeysMax) {
    co_return Status(Code::kInvalidArgument, "max-keys must be 0.." + std::to_string(kMaxKeysMax));
  }
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  ListResult out;
  const std::string base = keys::head_prefix(bucket);
  const std::string end = keys::head_range_end(bucket);
  // Start at the later of the prefix and just past start_after.
  std::string from_key = req.prefix;
  if (!req.start_after.empty() && req.start_after >= req.prefix) from_key = req.start_after + std::string(1, '\0');
  std::string from = base + keys::escape(from_key);
  uint32_t returned = 0;
  for (;;) {
    auto rows = co_await kv_.scan(from, end, kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    bool skipped = false;
    for (auto& [kv_key, value] : rows.value()) {
      const std::string key = keys::unescape(std::string_view(kv_key).substr(base.size()));
      if (key.compare(0, req.prefix.size(), req.prefix) != 0) co_return out;  // past the prefix
      if (returned == req.max_keys) {
        out.truncated = true;
        co_return out;
      }
      if (!req.delimiter.empty()) {
        const size_t at = key.find(req.delimiter, req.prefix.size());
        if (at != std::string::npos) {
          std::string common = key.substr(0, at + req.delimiter.size());
          if (!req.start_after.empty() && common <= req.start_after) {
            // Continuing after this prefix: skip it whole.
          } else {
            out.common_prefixes.push_back(common);
            out.next_marker = common;
            ++returned;
          }
          const std::string next = keys::prefix_successor(common);
          if (next.empty()) co_return out;
          from = base + keys::escape(next);
          skipped = true;
          break;  // rescan from past this common prefix
        }
      }
      proto::ObjectVersion v;
      if (!v.ParseFromString(value)) co_return Status(Code::kCorrupt, "object record does not parse");
      out.next_marker = key;
      out.objects.push_back(std::move(v));
      ++returned;
    }
    if (skipped) continue;
    if (rows.value().size() < kScanBatch) co_return out;
    from = rows.value().back().first + std::string(1, '\0');
  }
}

}  // namespace tessera

// Multipart uploads in the KvMetadataStore: the upload record, its parts,
// and completion as one atomic commit that also removes the upload.
#include <algorithm>

#include "core/invariants.h"
#include "core/metadata/kv_store_util.h"
#include "core/metadata/metadata_store.h"
#include "core/metadata/metadata_wire.h"

namespace tessera {

using namespace kv_store_util;

namespace {

Status no_such_upload(const std::string& upload_id) {
  return Status(Code::kNotFound, "no upload " + upload_id, "NoSuchUpload");
}

// The parts wanted, checked as S3 checks them: the whole list's order
// first, then that every part exists with its ETag. Points into parts.
Result<std::vector<const proto::UploadPartRecord*>> chosen_parts(const std::vector<CompletedPart>& wanted,
                                                                 const std::vector<proto::UploadPartRecord>& parts) {
  if (wanted.empty()) return Status(Code::kInvalidArgument, "the part list is empty", "MalformedXML");
  for (size_t i = 1; i < wanted.size(); ++i) {
    if (wanted[i].number <= wanted[i - 1].number) {
      return Status(Code::kInvalidArgument, "parts must be listed in ascending order", "InvalidPartOrder");
    }
  }
  std::map<uint32_t, const proto::UploadPartRecord*> by_number;
  for (const auto& p : parts) by_number[p.number()] = &p;
  std::vector<const proto::UploadPartRecord*> chosen;
  for (const CompletedPart& c : wanted) {
    auto found = by_number.find(c.number);
    if (found == by_number.end() || found->second->etag() != c.etag) {
      return Status(Code::kInvalidArgument,
                    "part " + std::to_string(c.number) + " was not uploaded or its ETag differs", "InvalidPart");
    }
    chosen.push_back(found->second);
  }
  ASSERT(chosen.size() == wanted.size());
  return chosen;
}

// The object a completion makes: the upload's attributes, the chosen
// parts' stripes, sizes and checksums, the md5-of-md5s-N ETag. Every part
// but the last is at least min_part_bytes (EntityTooSmall).
Result<proto::ObjectVersion> completed_version(const proto::UploadRecord& u, const std::vector<CompletedPart>& wanted,
                                               const std::vector<proto::UploadPartRecord>& parts,
                                               uint64_t min_part_bytes,
                                               std::vector<const proto::UploadPartRecord*>* chosen) {
  auto picked = chosen_parts(wanted, parts);
  if (!picked.is_ok()) return picked.status();
  *chosen = std::move(picked).value();
  proto::ObjectVersion version;
  version.set_bucket(u.bucket());
  version.set_key(u.key());
  version.set_content_type(u.content_type());
  *version.mutable_user_metadata() = u.user_metadata();
  *version.mutable_headers() = u.headers();
  version.set_storage_class(u.storage_class());
  version.set_public_read(u.public_read());
  *version.mutable_tags() = u.tags();
  version.set_completed_upload_id(u.upload_id());
  version.set_upload_parts(static_cast<uint32_t>(chosen->size()));
  std::string md5s;
  uint64_t size = 0;
  for (size_t i = 0; i < chosen->size(); ++i) {
    const proto::UploadPartRecord& part = *(*chosen)[i];
    if (i + 1 < chosen->size() && part.size() < min_part_bytes) {
      return Status(Code::kInvalidArgument,
                    "part " + std::to_string(part.number()) + " is " + std::to_string(part.size()) +
                        " bytes, below the minimum of " + std::to_string(min_part_bytes),
                    "EntityTooSmall");
    }
    auto raw = from_hex(part.etag());
    if (!raw) return Status(Code::kCorrupt, "part " + std::to_string(part.number()) + " has a malformed ETag");
    md5s += *raw;
    size += part.size();
    proto::UploadedPart* uploaded = version.add_uploaded_parts();
    uploaded->set_number(part.number());
    uploaded->set_size(part.size());
    *uploaded->mutable_checksums() = part.checksums();
    for (const auto& stripe : part.stripes()) *version.add_stripes() = stripe;
  }
  version.set_size(size);
  version.set_etag(md5_hex(md5s) + "-" + std::to_string(chosen->size()));
  uint64_t striped = 0;
  for (const auto& stripe : version.stripes()) striped += stripe.size();
  // The object is exactly its parts' stripes, each naming its own part.
  ASSERT(striped == size && version.uploaded_parts_size() == static_cast<int>(chosen->size()));
  return version;
}

}  // namespace

Task<Status> KvMetadataStore::create_upload(proto::UploadRecord upload) {
  const std::string bucket = upload.bucket();
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  KvBatch batch;
  batch.put(keys::upload(bucket, upload.key(), upload.upload_id()), upload.SerializeAsString());
  co_return co_await commit(std::move(batch));
}

Task<Result<proto::UploadRecord>> KvMetadataStore::get_upload(std::string bucket, std::string key,
                                                              std::string upload_id) {
  auto raw = co_await kv_.get(keys::upload(bucket, key, upload_id));
  if (raw.code() == Code::kNotFound) {
    auto b = co_await get_bucket(bucket);
    if (!b.is_ok()) co_return b.status();
    co_return no_such_upload(upload_id);
  }
  co_return parse<proto::UploadRecord>(raw, "upload");
}

Task<Result<std::vector<proto::UploadPartRecord>>> KvMetadataStore::upload_parts(const std::string& upload_id) {
  co_return co_await scan_records<proto::UploadPartRecord>(kv_, keys::upload_parts_prefix(upload_id),
                                                           keys::upload_parts_range_end(upload_id), "upload part");
}

Task<Result<std::optional<proto::UploadPartRecord>>> KvMetadataStore::put_upload_part(std::string bucket,
                                                                                      std::string key,
                                                                                      std::string upload_id,
                                                                                      proto::UploadPartRecord part) {
  // Shared: parts of one upload are written in parallel; completion and
  // abort take it exclusive, so no part lands in an upload that is gone.
  auto upload_guard = co_await locks_.lock_shared(upload_lock(upload_id));
  auto part_guard = co_await locks_.lock(upload_part_lock(upload_id, part.number()));
  auto upload = co_await get_upload(bucket, key, upload_id);
  if (!upload.is_ok()) co_return upload.status();
  auto old = parse<proto::UploadPartRecord>(co_await kv_.get(keys::upload_part(upload_id, part.number())), "part");
  if (!old.is_ok() && old.code() != Code::kNotFound) co_return old.status();
  // Every stripe of a part names its own write (fragment_version) and part.
  for (const auto& stripe : part.stripes()) {
    INVARIANT(invariant::kStripeVersion, stripe.fragment_version() != 0 && stripe.upload_part() == part.number());
  }
  KvBatch batch;
  batch.put(keys::upload_part(upload_id, part.number()), part.SerializeAsString());
  if (old.is_ok()) stage_garbage(bucket, key, 0, old.value().stripes(), batch);
  const proto::MetaReplacedPart reply =
      wire_replaced(old.is_ok() ? std::optional<proto::UploadPartRecord>(old.value()) : std::nullopt);
  Status s = co_await commit(std::move(batch), &reply);
  if (!s.is_ok()) co_return s;
  if (old.is_ok()) co_return std::optional<proto::UploadPartRecord>(std::move(old).value());
  co_return std::optional<proto::UploadPartRecord>();
}

Task<Result<ListPartsResult>> KvMetadataStore::list_upload_parts(std::string bucket, std::string key,
                                                                 std::string upload_id, uint32_t after_part,
                                                                 uint32_t max_parts) {
  auto upload = co_await get_upload(bucket, key, upload_id);
  if (!upload.is_ok()) co_return upload.status();
  max_parts = std::min(max_parts, kMaxKeysMax);
  auto rows = co_await kv_.scan(keys::upload_part(upload_id, after_part) + std::string(1, '\0'),
                                keys::upload_parts_range_end(upload_id), max_parts + 1);
  if (!rows.is_ok()) co_return rows.status();
  ListPartsResult out;
  for (auto& [k, v] : rows.value()) {
    if (out.parts.size() == max_parts) {
      out.truncated = true;
      break;
    }
    proto::UploadPartRecord r;
    if (!r.ParseFromString(v)) co_return Status(Code::kCorrupt, "upload part record does not parse");
    out.parts.push_back(std::move(r));
  }
  co_return out;
}

Task<Result<ListUploadsResult>> KvMetadataStore::list_uploads(std::string bucket, ListUploadsRequest req) {
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  const uint32_t max = std::min(req.max_uploads, kMaxKeysMax);
  const std::string base = keys::uploads_prefix(bucket);
  std::string from = base + keys::escape(req.prefix);
  if (!req.key_marker.empty() && req.key_marker >= req.prefix) {
    from = req.upload_id_marker.empty()
               ? keys::prefix_successor(base + keys::escape(req.key_marker) + keys::key_end())
               : keys::upload(bucket, req.key_marker, req.upload_id_marker) + std::string(1, '\0');
  }
  ListUploadsResult out;
  for (;;) {
    auto rows = co_await kv_.scan(from, keys::uploads_range_end(bucket), kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    for (auto& [k, v] : rows.value()) {
      proto::UploadRecord r;
      if (!r.ParseFromString(v)) co_return Status(Code::kCorrupt, "upload record does not parse");
      if (r.key().compare(0, req.prefix.size(), req.prefix) != 0) co_return out;
      if (out.uploads.size() == max) {
        out.truncated = true;
        co_return out;
      }
      out.uploads.push_back(std::move(r));
    }
    if (rows.value().size() < kScanBatch) co_return out;
    from = rows.value().back().first + std::string(1, '\0');
  }
}

Task<Result<std::vector<proto::UploadPartRecord>>> KvMetadataStore::abort_upload(std::string bucket, std::string key,
                                                                                 std::string upload_id) {
  auto upload_guard = co_await locks_.lock(upload_lock(upload_id));
  auto upload = co_await get_upload(bucket, key, upload_id);
  if (!upload.is_ok()) co_return upload.status();
  auto parts = co_await upload_parts(upload_id);
  if (!parts.is_ok()) co_return parts.status();
  KvBatch batch;
  batch.remove(keys::upload(bucket, key, upload_id));
  for (const auto& p : parts.value()) {
    batch.remove(keys::upload_part(upload_id, p.number()));
    stage_garbage(bucket, key, 0, p.stripes(), batch);
  }
  const proto::MetaPartList reply = wire_parts(parts.value());
  Status s = co_await commit(std::move(batch), &reply);
  if (!s.is_ok()) co_return s;
  co_return parts;
}

Task<Result<proto::ObjectVersion>> KvMetadataStore::complete_upload(std::string bucket, std::string key,
                                                                    std::string upload_id,
                                                                    std::vector<CompletedPart> wanted,
                                                                    uint64_t min_part_bytes, uint64_t modified_ms,
                                                                    CommitConditions conditions,
                                                                    std::vector<proto::MetadataEntry> headers) {
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(bucket));
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  auto key_guard = co_await locks_.lock(key_lock(bucket, key));
  auto upload_guard = co_await locks_.lock(upload_lock(upload_id));
  auto upload = co_await get_upload(bucket, key, upload_id);
  if (!upload.is_ok()) co_return upload.status();
  auto parts = co_await upload_parts(upload_id);
  if (!parts.is_ok()) co_return parts.status();
  std::vector<const proto::UploadPartRecord*> chosen;
  auto version = completed_version(upload.value(), wanted, parts.value(), min_part_bytes, &chosen);
  if (!version.is_ok()) co_return version.status();
  version.value().set_modified_ms(modified_ms);
  for (auto& h : headers) *version.value().add_headers() = std::move(h);

  KvBatch batch;
  auto staged = co_await stage_commit(b.value(), std::move(version).value(), conditions, batch);
  if (!staged.is_ok()) co_return staged.status();
  ASSERT(staged.value().completed_upload_id() == upload_id && staged.value().upload_parts() == chosen.size());
  batch.remove(keys::upload(bucket, key, upload_id));
  for (const auto& p : parts.value()) {
    batch.remove(keys::upload_part(upload_id, p.number()));
    // Uploaded parts the completion left out are garbage.
    const bool used = std::any_of(chosen.begin(), chosen.end(), [&](auto* c) { return c->number() == p.number(); });
    if (!used) stage_garbage(bucket, key, 0, p.stripes(), batch);
  }
  Status s = co_await commit(std::move(batch), &staged.value());
  if (!s.is_ok()) co_return s;
  co_return staged;
}

}  // namespace tessera

// KvMetadataStore::move_stripe: repair's compare-and-set of a stripe's
// fragment locations, under the same locks as the writes it races with
// (a commit of the key, a re-upload of the part, a completion).
#include "core/metadata/kv_store_util.h"
#include "core/metadata/metadata_store.h"
#include "io_abstraction/assert.h"

namespace tessera {

using namespace kv_store_util;

namespace {

// with_lost: the lost marks must match too (a change to write), not only
// where the fragments are (the compare of the compare-and-set).
bool same_locations(const google::protobuf::RepeatedPtrField<proto::FragmentLocation>& a,
                    const std::vector<proto::FragmentLocation>& b, bool with_lost) {
  if (static_cast<size_t>(a.size()) != b.size()) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    const proto::FragmentLocation& f = a[static_cast<int>(i)];
    if (f.node() != b[i].node() || f.disk() != b[i].disk()) return false;
    if (with_lost && f.lost() != b[i].lost()) return false;
  }
  return true;
}

// Finds the stripe in stripes and checks or moves it; *changed tells
// whether the record must be written.
Status move_in(google::protobuf::RepeatedPtrField<proto::StripeRecord>& stripes, uint64_t fragment_version,
               uint32_t number, const std::vector<proto::FragmentLocation>& expected,
               const std::vector<proto::FragmentLocation>& updated, bool* changed) {
  for (proto::StripeRecord& stripe : stripes) {
    if (stripe.fragment_version() != fragment_version || stripe.number() != number) continue;
    if (!same_locations(stripe.fragments(), expected, false)) {
      return Status(Code::kFailedPrecondition, "the stripe's locations changed");
    }
    *changed = !same_locations(stripe.fragments(), updated, true);
    if (*changed) {
      stripe.clear_fragments();
      for (const auto& loc : updated) *stripe.add_fragments() = loc;
    }
    return Status::ok();
  }
  return Status(Code::kNotFound, "no such stripe");
}

}  // namespace

Task<Status> KvMetadataStore::move_stripe(StripeOwner owner, uint64_t fragment_version, uint32_t number,
                                          std::vector<proto::FragmentLocation> expected,
                                          std::vector<proto::FragmentLocation> updated) {
  ASSERT(expected.size() == updated.size());
  bool changed = false;
  KvBatch batch;
  if (!owner.upload_id.empty()) {
    auto upload_guard = co_await locks_.lock_shared(upload_lock(owner.upload_id));
    auto part_guard = co_await locks_.lock(upload_part_lock(owner.upload_id, owner.upload_part));
    const std::string row = keys::upload_part(owner.upload_id, owner.upload_part);
    auto part = parse<proto::UploadPartRecord>(co_await kv_.get(row), "part");
    if (!part.is_ok()) co_return part.status();
    Status s = move_in(*part.value().mutable_stripes(), fragment_version, number, expected, updated, &changed);
    if (!s.is_ok() || !changed) co_return s;
    batch.put(row, part.value().SerializeAsString());
    co_return co_await commit(std::move(batch));
  }
  auto bucket_guard = co_await locks_.lock_shared(bucket_lock(owner.bucket));
  auto key_guard = co_await locks_.lock(key_lock(owner.bucket, owner.key));
  const std::string row = keys::version(owner.bucket, owner.key, owner.version);
  auto version = parse<proto::ObjectVersion>(co_await kv_.get(row), "object");
  if (!version.is_ok()) co_return version.status();
  Status s = move_in(*version.value().mutable_stripes(), fragment_version, number, expected, updated, &changed);
  if (!s.is_ok() || !changed) co_return s;
  ASSERT(version.value().version() == owner.version && version.value().bucket() == owner.bucket &&
         version.value().key() == owner.key);
  if (s = co_await stage_version_rewrite(version.value(), batch); !s.is_ok()) co_return s;
  co_return co_await commit(std::move(batch));
}

}  // namespace tessera

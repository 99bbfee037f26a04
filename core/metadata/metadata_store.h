// MetadataStore: buckets, object versions and multipart uploads, the
// interface the gateway writes against. KvMetadataStore implements it over
// an ordered Kv: a local one (a single replica), or a ReplicatedKv
// (core/consensus/) on a Raft group's leader; RemoteMetadataStore reaches
// either over RPC.
//
// Contract: every mutation is atomic and durable (kSync) before it returns
// ok. Conditions are checked under the key's lock in the same step as the
// write, so of two racing creators with if_none_match_any exactly one wins
// and the other gets kFailedPrecondition.
//
// Versions: every key has a newest version (the head, possibly a delete
// marker) and older ones. A bucket with versioning off keeps one version per
// key, id "null"; enabled gives each write a new id; suspended writes
// replace the "null" version and keep the others.
//
// Errors that S3 tells apart carry a Status reason: NoSuchBucket, NoSuchKey,
// NoSuchVersion, NoSuchUpload, InvalidPart, InvalidPartOrder,
// EntityTooSmall, BucketNotEmpty, BucketAlreadyExists, PreconditionFailed.
#pragma once

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metadata/keyed_mutex.h"
#include "io_abstraction/kv.h"
#include "metadata.pb.h"

namespace tessera {

inline constexpr char kNullVersionId[] = "null";

struct CommitConditions {
  bool if_none_match_any = false;          // If-None-Match: *
  std::optional<std::string> if_match;     // If-Match: <etag>
};

struct ListRequest {
  std::string prefix;
  std::string delimiter;     // "" = no grouping
  std::string start_after;   // v1 marker / v2 start-after or continuation
  uint32_t max_keys = 1000;  // 0..1000
};

struct ListResult {
  std::vector<proto::ObjectVersion> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_marker;   // the last key or common prefix returned
};

struct ListVersionsRequest {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;         // start after this key...
  std::string version_id_marker;  // ...or after this version of key_marker
  uint32_t max_keys = 1000;
};

struct VersionEntry {
  proto::ObjectVersion version;
  bool is_latest = false;
};

struct ListVersionsResult {
  std::vector<VersionEntry> versions;  // by key, newest first within a key
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

struct DeleteResult {
  std::string version_id;  // the version removed, or the delete marker made
  bool delete_marker = false;
  // What was removed, whose fragments are now garbage (absent for markers).
  std::optional<proto::ObjectVersion> removed;
};

struct CompletedPart {
  uint32_t number = 0;
  std::string etag;  // hex, no quotes
};

struct ListUploadsRequest {
  std::string prefix;
  std::string key_marker;
  std::string upload_id_marker;
  uint32_t max_uploads = 1000;
};

struct ListUploadsResult {
  std::vector<proto::UploadRecord> uploads;
  bool truncated = false;
};

struct ListPartsResult {
  std::vector<proto::UploadPartRecord> parts;
  bool truncated = false;
};

struct GarbageEntry {
  std::string id;  // opaque; pass back to remove_garbage
  proto::GarbageRecord record;
};

// Where a stripe's record lives, for repair: an object version (by its
// number), or a part of an upload in progress.
struct StripeOwner {
  std::string bucket;
  std::string key;
  uint64_t version = 0;   // when upload_id is empty
  std::string upload_id;  // else a part of this upload
  uint32_t upload_part = 0;
};

// The reason a remote store gives a call that got no answer in time: it
// may still have taken effect (its request in the network, or queued at
// the metadata node). Any other failure is the store's own answer (or the
// call was never sent), and nothing was written.
inline constexpr char kNoAnswer[] = "NoAnswer";
inline bool outcome_unknown(const Status& s) { return s.reason() == kNoAnswer; }
// A metadata replica that does not lead its group: nothing was done, and
// the message may name the leader ("leader=<node>").
inline constexpr char kNotLeader[] = "NotLeader";
// Whether a "meta.<method>" call only reads (get_*, list_*); every other
// is a write, sent and served as a once-write (see OnceId).
inline bool is_metadata_read(std::string_view method) {
  return method.substr(0, 9) == "meta.get_" || method.substr(0, 10) == "meta.list_";
}
// The leader a NotLeader answer names, if it names one.
inline std::optional<uint32_t> leader_hint_of(const Status& not_leader) {
  const std::string& m = not_leader.message();
  const size_t at = m.find("leader=");
  if (not_leader.reason() != kNotLeader || at == std::string::npos) return std::nullopt;
  return static_cast<uint32_t>(std::strtoul(m.c_str() + at + 7, nullptr, 10));
}

// A write a client may send more than once (after no answer, or to a new
// leader): its client's id and the client's number for it. The store keeps
// the reply of each such write, in the same atomic step as the write, so a
// repeat is answered from that record instead of being applied again.
struct OnceId {
  uint64_t client = 0;
  uint64_t seq = 0;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  // kAlreadyExists when the bucket exists.
  virtual Task<Status> create_bucket(proto::BucketRecord bucket) = 0;
  virtual Task<Result<proto::BucketRecord>> get_bucket(std::string name) = 0;
  // kFailedPrecondition (BucketNotEmpty) while any version exists.
  virtual Task<Status> delete_bucket(std::string name) = 0;
  virtual Task<Result<std::vector<proto::BucketRecord>>> list_buckets() = 0;
  // Versioning cannot go back to off once enabled (kInvalidArgument).
  virtual Task<Status> set_versioning(std::string bucket, proto::Versioning state) = 0;
  // Applies patch to the bucket's record (NoSuchBucket when absent).
  virtual Task<Status> update_bucket(std::string bucket, proto::BucketPatch patch) = 0;

  // Makes version the key's newest; assigns its version number and id and
  // returns the record as stored. kNotFound when the bucket does not exist.
  virtual Task<Result<proto::ObjectVersion>> commit_object(proto::ObjectVersion version,
                                                           CommitConditions conditions) = 0;
  // The newest version, or the one named by version_id. A delete marker is
  // returned as such; callers decide what it means.
  virtual Task<Result<proto::ObjectVersion>> get_object(std::string bucket, std::string key,
                                                        std::string version_id = "") = 0;
  // Without version_id: versioning off removes the key; otherwise a delete
  // marker becomes the newest version. With version_id: removes exactly that
  // version. A missing key or version is not an error (S3 answers 204).
  virtual Task<Result<DeleteResult>> delete_object(std::string bucket, std::string key,
                                                   std::string version_id = "") = 0;
  // Applies patch in place to the newest version of key, or to version_id:
  // no new version, the same bytes and ETag. NoSuchKey when the newest is
  // a delete marker, MethodNotAllowed when version_id names one. Returns
  // the record as stored.
  virtual Task<Result<proto::ObjectVersion>> update_object(std::string bucket, std::string key,
                                                           std::string version_id, proto::ObjectPatch patch) = 0;
  // Newest versions that are not delete markers.
  virtual Task<Result<ListResult>> list_objects(std::string bucket, ListRequest request) = 0;
  virtual Task<Result<ListVersionsResult>> list_versions(std::string bucket, ListVersionsRequest request) = 0;

  // Multipart uploads. upload.upload_id is chosen by the caller.
  virtual Task<Status> create_upload(proto::UploadRecord upload) = 0;
  virtual Task<Result<proto::UploadRecord>> get_upload(std::string bucket, std::string key,
                                                       std::string upload_id) = 0;
  // Adds or replaces a part; returns the replaced one (its stripes are garbage).
  virtual Task<Result<std::optional<proto::UploadPartRecord>>> put_upload_part(
      std::string bucket, std::string key, std::string upload_id, proto::UploadPartRecord part) = 0;
  virtual Task<Result<ListPartsResult>> list_upload_parts(std::string bucket, std::string key,
                                                          std::string upload_id, uint32_t after_part,
                                                          uint32_t max_parts) = 0;
  virtual Task<Result<ListUploadsResult>> list_uploads(std::string bucket, ListUploadsRequest request) = 0;
  // Removes the upload; returns its parts (their stripes are garbage).
  virtual Task<Result<std::vector<proto::UploadPartRecord>>> abort_upload(std::string bucket, std::string key,
                                                                          std::string upload_id) = 0;
  // Checks the part list against the uploaded parts (InvalidPart,
  // InvalidPartOrder, EntityTooSmall below min_part_bytes except the last),
  // then in one atomic step commits the object (attributes from the upload
  // record plus headers, ETag md5-of-md5s-N, each part's size and
  // checksums in uploaded_parts) and removes the upload.
  virtual Task<Result<proto::ObjectVersion>> complete_upload(std::string bucket, std::string key,
                                                             std::string upload_id,
                                                             std::vector<CompletedPart> parts,
                                                             uint64_t min_part_bytes, uint64_t modified_ms,
                                                             CommitConditions conditions,
                                                             std::vector<proto::MetadataEntry> headers) = 0;

  // Garbage: stripes no version refers to, recorded atomically with the
  // change that dropped them. Oldest first, created at or before before_ms.
  virtual Task<Result<std::vector<GarbageEntry>>> list_garbage(uint64_t before_ms, size_t limit) = 0;
  virtual Task<Status> remove_garbage(std::vector<std::string> ids) = 0;
  // Records stripes that were written but will never be committed (a PUT
  // that failed or lost its condition) as garbage of bucket/key.
  virtual Task<Status> discard_stripes(std::string bucket, std::string key,
                                       std::vector<proto::StripeRecord> stripes) = 0;

  // Repair: in one atomic step, gives the stripe (fragment_version, number)
  // of owner the locations `updated` if it still has `expected` (both rows
  // of a newest version). kNotFound when the owner or the stripe is gone
  // (it became garbage), kFailedPrecondition when its locations changed.
  // `updated` also carries lost marks (FragmentLocation.lost): repair
  // marks what it found gone in a stripe it cannot rebuild, and clears the
  // mark of a fragment it rebuilt. With updated == expected, marks and all,
  // it only checks and writes nothing.
  virtual Task<Status> move_stripe(StripeOwner owner, uint64_t fragment_version, uint32_t number,
                                   std::vector<proto::FragmentLocation> expected,
                                   std::vector<proto::FragmentLocation> updated) = 0;
};

class KvMetadataStore final : public MetadataStore {
 public:
  KvMetadataStore(Runtime& rt, Kv& kv)
      : rt_(rt), kv_(kv), own_locks_(std::make_unique<KeyedMutex>(rt)), locks_(*own_locks_) {}

  // A view of this store (same kv, same locks) whose one write also
  // records id and the write's reply (the wire reply of MetadataService).
  std::unique_ptr<KvMetadataStore> once(OnceId id);
  // The reply recorded for id, if its write was applied.
  Task<Result<std::optional<std::string>>> once_reply(OnceId id);
  // Removes the once-records applied before before_ms; how many it removed.
  Task<Result<size_t>> forget_once(uint64_t before_ms);

  Task<Status> create_bucket(proto::BucketRecord bucket) override;
  Task<Result<proto::BucketRecord>> get_bucket(std::string name) override;
  Task<Status> delete_bucket(std::string name) override;
  Task<Result<std::vector<proto::BucketRecord>>> list_buckets() override;
  Task<Status> set_versioning(std::string bucket, proto::Versioning state) override;
  Task<Status> update_bucket(std::string bucket, proto::BucketPatch patch) override;
  Task<Result<proto::ObjectVersion>> commit_object(proto::ObjectVersion version,
                                                   CommitConditions conditions) override;
  Task<Result<proto::ObjectVersion>> get_object(std::string bucket, std::string key,
                                                std::string version_id = "") override;
  Task<Result<DeleteResult>> delete_object(std::string bucket, std::string key,
                                           std::string version_id = "") override;
  Task<Result<proto::ObjectVersion>> update_object(std::string bucket, std::string key, std::string version_id,
                                                   proto::ObjectPatch patch) override;
  Task<Result<ListResult>> list_objects(std::string bucket, ListRequest request) override;
  Task<Result<ListVersionsResult>> list_versions(std::string bucket, ListVersionsRequest request) override;

  Task<Status> create_upload(proto::UploadRecord upload) override;
  Task<Result<proto::UploadRecord>> get_upload(std::string bucket, std::string key,
                                               std::string upload_id) override;
  Task<Result<std::optional<proto::UploadPartRecord>>> put_upload_part(std::string bucket, std::string key,
                                                                       std::string upload_id,
                                                                       proto::UploadPartRecord part) override;
  Task<Result<ListPartsResult>> list_upload_parts(std::string bucket, std::string key, std::string upload_id,
                                                  uint32_t after_part, uint32_t max_parts) override;
  Task<Result<ListUploadsResult>> list_uploads(std::string bucket, ListUploadsRequest request) override;
  Task<Result<std::vector<proto::UploadPartRecord>>> abort_upload(std::string bucket, std::string key,
                                                                  std::string upload_id) override;
  Task<Result<proto::ObjectVersion>> complete_upload(std::string bucket, std::string key, std::string upload_id,
                                                     std::vector<CompletedPart> parts, uint64_t min_part_bytes,
                                                     uint64_t modified_ms, CommitConditions conditions,
                                                     std::vector<proto::MetadataEntry> headers) override;
  Task<Result<std::vector<GarbageEntry>>> list_garbage(uint64_t before_ms, size_t limit) override;
  Task<Status> remove_garbage(std::vector<std::string> ids) override;
  Task<Status> discard_stripes(std::string bucket, std::string key, std::vector<proto::StripeRecord> stripes) override;
  Task<Status> move_stripe(StripeOwner owner, uint64_t fragment_version, uint32_t number,
                           std::vector<proto::FragmentLocation> expected,
                           std::vector<proto::FragmentLocation> updated) override;

 private:
  // Adds a garbage record of stripes (if any hold fragments) to batch.
  void stage_garbage(const std::string& bucket, const std::string& key, uint64_t fragment_version,
                     const google::protobuf::RepeatedPtrField<proto::StripeRecord>& stripes, KvBatch& batch);
  // Every version of a key, newest first (bounded by what one key holds).
  Task<Result<std::vector<proto::ObjectVersion>>> key_versions(const std::string& bucket, const std::string& key);
  // With the key's lock held: checks conditions, numbers and names version,
  // and adds its writes (and the removal of a replaced "null") to batch.
  Task<Result<proto::ObjectVersion>> stage_commit(const proto::BucketRecord& bucket, proto::ObjectVersion version,
                                                  const CommitConditions& conditions, KvBatch& batch);
  std::string new_version_id();
  // Adds the rewrite of version's record to batch, and of the key's head
  // row when version is the newest (the head row is a copy of its record).
  Task<Status> stage_version_rewrite(const proto::ObjectVersion& version, KvBatch& batch);
  Task<Result<std::vector<proto::UploadPartRecord>>> upload_parts(const std::string& upload_id);
  // Every write goes here: with a once id, the batch also records reply
  // (none: a call whose reply is just ok).
  Task<Status> commit(KvBatch batch, const google::protobuf::Message* reply = nullptr);

  KvMetadataStore(const KvMetadataStore& base, OnceId id)
      : rt_(base.rt_), kv_(base.kv_), locks_(base.locks_), once_(id) {}

  Runtime& rt_;
  Kv& kv_;
  std::unique_ptr<KeyedMutex> own_locks_;  // null in a view
  KeyedMutex& locks_;
  std::optional<OnceId> once_;
  bool once_written_ = false;  // a view makes one write
};

}  // namespace tessera

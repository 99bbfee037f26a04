// ObjectsClient: one client loop of the objects workload. Every request
// goes through S3 (S3Client over core's entrance): PUTs (single, multipart,
// conditional, copies), GETs (whole, by version, conditional, ranges and
// partNumber), LISTs and DELETEs (single, multi, by version). Each answer
// is judged by the ObjectsChecker.
#pragma once

#include <string>
#include <vector>

#include "core/invariants.h"
#include "core/metadata/metadata_store.h"
#include "core/placement/placement.h"
#include "scenario.pb.h"
#include "sim/workloads/objects_checker.h"
#include "sim/workloads/s3_client.h"

namespace tessera::sim {

inline constexpr const char* kSimBucket = "sim-bucket";
std::string key_name(uint32_t key);

struct ObjectsContext {
  const proto::ObjectsWorkload& config;
  ObjectsChecker& checker;
  const std::vector<DiskInfo>& disks;
  FailureDomain level;
};

class ObjectsClient {
 public:
  ObjectsClient(Runtime& rt, S3Client& s3, MetadataStore& metadata, ObjectsContext ctx)
      : rt_(rt), s3_(s3), metadata_(metadata), ctx_(ctx) {}

  // CreateBucket (and versioning when configured), asked again until a
  // metadata node answers.
  Task<void> create_bucket();
  // One operation, chosen by the workload's percentages.
  Task<void> one_operation();
  // A whole GET of key: its bytes, or the error.
  Task<Result<std::string>> read(uint32_t key, const std::string& version_id = "");

 private:
  uint32_t some_key() { return static_cast<uint32_t>(rt_.random().below(ctx_.config.keys())); }
  bool percent(uint32_t p) { return p > 0 && rt_.random().below(100) < p; }
  Task<void> put_some(uint32_t key);
  Task<void> get_some(uint32_t key);
  Task<void> delete_some(uint32_t key);

  // objects_client.cc: the plain operations.
  Task<void> put(uint32_t key);
  Task<S3Answer> multipart_put(std::string key, std::string body);
  Task<void> get(uint32_t key);
  Task<void> versioned_get(uint32_t key);
  Task<void> list_all();
  Task<void> remove(uint32_t key);
  // op on the bucket, asked again until it succeeds (a metadata node may
  // not answer yet); also_retried: an S3 error a retry may meet ("": none).
  Task<void> until_done(s3::S3Op op, Params query, std::string body, std::string also_retried);
  // Ends PUT-like write h (of put_id, size, begun at start) with answer a
  // and the ETag it gave: a maybe-write when no answer came, else failed or
  // committed; a committed one is recorded as a version of key. True when
  // it committed.
  bool end_put(uint32_t key, ObjectsChecker::WriteHandle h, const S3Answer& a, const std::string& etag, uint64_t put_id,
               size_t size, Instant start);
  // After an acknowledged PUT: the committed version keeps the placement rule.
  Task<void> check_placement(uint32_t key, const std::string& version_id);

  // objects_semantics.cc: conditions, copies, partial reads, multi and
  // version deletes.
  Task<void> conditional_put(uint32_t key);
  Task<void> copy(uint32_t key);
  Task<void> conditional_get(uint32_t key);
  Task<void> range_get(uint32_t key);
  Task<void> part_get(uint32_t key);
  Task<void> multi_delete(uint32_t key);
  Task<void> version_delete(uint32_t key);
  // The ETag of some value key has had ("" when none was written).
  std::string some_etag(uint32_t key);
  int64_t unix_ms(Instant t) const { return rt_.unix_ms() - (rt_.now().us - t.us) / 1000; }

  Runtime& rt_;
  S3Client& s3_;
  MetadataStore& metadata_;
  ObjectsContext ctx_;
};

}  // namespace tessera::sim

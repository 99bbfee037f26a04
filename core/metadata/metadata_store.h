// MetadataStore: buckets and object heads, the interface the gateway
// writes against. This slice has one implementation, KvMetadataStore (a
// single replica over an ordered Kv); the replicated store will implement
// the same interface.
//
// Contract: commit_object() makes the new version the head atomically and
// durably (kSync) before it returns ok; conditions are checked under the
// key's lock in the same step, so of two racing creators with
// if_none_match_any exactly one wins and the other gets kFailedPrecondition.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/metadata/keyed_mutex.h"
#include "io_abstraction/kv.h"
#include "metadata.pb.h"

namespace tessera {

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

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  // kAlreadyExists when the bucket exists.
  virtual Task<Status> create_bucket(proto::BucketRecord bucket) = 0;
  virtual Task<Result<proto::BucketRecord>> get_bucket(std::string name) = 0;
  // kFailedPrecondition when the bucket still has objects.
  virtual Task<Status> delete_bucket(std::string name) = 0;
  virtual Task<Result<std::vector<proto::BucketRecord>>> list_buckets() = 0;

  // kNotFound when the bucket does not exist.
  virtual Task<Status> commit_object(proto::ObjectVersion version, CommitConditions conditions) = 0;
  virtual Task<Result<proto::ObjectVersion>> get_object(std::string bucket, std::string key) = 0;
  // Removes the head; returns it (its fragments are for GC).
  virtual Task<Result<proto::ObjectVersion>> delete_object(std::string bucket, std::string key) = 0;
  virtual Task<Result<ListResult>> list_objects(std::string bucket, ListRequest request) = 0;
};

class KvMetadataStore final : public MetadataStore {
 public:
  KvMetadataStore(Runtime& rt, Kv& kv) : kv_(kv), locks_(rt) {}

  Task<Status> create_bucket(proto::BucketRecord bucket) override;
  Task<Result<proto::BucketRecord>> get_bucket(std::string name) override;
  Task<Status> delete_bucket(std::string name) override;
  Task<Result<std::vector<proto::BucketRecord>>> list_buckets() override;
  Task<Status> commit_object(proto::ObjectVersion version, CommitConditions conditions) override;
  Task<Result<proto::ObjectVersion>> get_object(std::string bucket, std::string key) override;
  Task<Result<proto::ObjectVersion>> delete_object(std::string bucket, std::string key) override;
  Task<Result<ListResult>> list_objects(std::string bucket, ListRequest request) override;

 private:
  Kv& kv_;
  KeyedMutex locks_;
};

}  // namespace tessera

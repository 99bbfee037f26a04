// RemoteMetadataStore: the MetadataStore of a metadata process, reached over
// RPC (see MetadataService). Each call has a deadline; a call that times
// out may still have taken effect, as over any network.
// Lists come back in pages of at most MetadataService::kReplyBytesMax bytes,
// so a page may be shorter than asked (it is then marked truncated).
// Writes go as once-writes (this client's random id, a number per call):
// one that gets no answer, or whose leader stepped down before deciding
// it, is sent again (to the next leader) until the deadline, and applied
// at most once. Reads are asked again too.
#pragma once

#include "core/metadata/metadata_store.h"
#include "core/rpc/rpc_endpoint.h"
#include "metadata_rpc.pb.h"

namespace tessera {

class RemoteMetadataStore final : public MetadataStore {
 public:
  RemoteMetadataStore(RpcEndpoint& rpc, NodeId server, Duration deadline)
      : RemoteMetadataStore(rpc, std::vector<NodeId>{server}, deadline) {}
  // A replicated metadata group: calls go to its leader, found by trying
  // replicas and following their hints (a NotLeader answer means nothing
  // was done, so it is safe to send the call on).
  RemoteMetadataStore(RpcEndpoint& rpc, std::vector<NodeId> replicas, Duration deadline)
      : rpc_(rpc),
        servers_(std::move(replicas)),
        quiet_until_(servers_.size()),
        silences_(servers_.size()),
        deadline_(deadline),
        attempt_max_(std::min(kAttemptMax, Duration::micros(deadline.us / 3))),
        client_id_(rpc.runtime().random().next()) {}

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

  // Ok when the metadata node answers within deadline (for /ready). After
  // kProbeFailuresMax failed probes in a row, calls fail at once with
  // kUnavailable instead of each waiting out its deadline, until a probe
  // succeeds again.
  Task<Status> probe(Duration deadline);
  static constexpr int kProbeFailuresMax = 2;
  // Test only (BrokenVariants::reads_from_any_replica): reads go to any
  // replica in turn instead of the leader.
  void set_reads_anywhere(bool on) { reads_anywhere_ = on; }

 private:
  // probe_deadline > 0: a probe, with its own deadline.
  template <typename Reply, typename Request>
  Task<Result<Reply>> call(const char* method, Request request, Duration probe_deadline = Duration{0});
  static constexpr Duration kElectionPause = Duration::millis(50);
  static constexpr Duration kAttemptMax = Duration::seconds(3);
  // A replica that did not answer is skipped this long (if others remain).
  static constexpr Duration kQuietFor = Duration::seconds(3);
  template <typename Request>
  Task<Status> call_status(const char* method, Request request);
  template <typename Reply, typename Request>
  Task<Result<Reply>> send(NodeId to, const char* method, const Request& request, const proto::MetaOnce* once,
                           Duration wait);
  proto::MetaOnce once_write(const char* method, std::string payload);

  // The next replica to try after a NotLeader answer, or after no answer.
  void follow(const Status& not_leader, size_t asked);
  // False when every replica is quiet (it then picks the stalest).
  bool rotate(Instant now);
  void quieten(size_t replica, Instant now);
  // node's index in servers_, added at the end if it is not there yet.
  size_t replica_index(NodeId node);

  RpcEndpoint& rpc_;
  std::vector<NodeId> servers_;
  std::vector<Instant> quiet_until_;  // per replica: skipped until then
  std::vector<uint32_t> silences_;    // per replica: failures since its last answer
  size_t leader_ = 0;  // index in servers_ of the replica believed to lead
  Duration deadline_;
  Duration attempt_max_;  // one copy of a call waits this long for its answer
  int probe_failures_ = 0;
  bool reads_anywhere_ = false;
  size_t read_rotor_ = 0;
  uint64_t client_id_;    // names this client's once-writes
  uint64_t once_seq_ = 0;
};

}  // namespace tessera

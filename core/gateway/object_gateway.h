// ObjectGateway: the S3 data path over the core services.
//
// PUT: read the body a stripe (part_bytes) at a time; for each stripe:
// encode, place k+m fragments by its storage class's failure-domain rule,
// write them all to storage nodes (one re-placement round away from disks
// that failed); while one stripe is written the next is read, so memory
// holds about two stripes. Only when every fragment of every stripe is
// durable is the metadata committed. A crash before the commit leaves only
// orphan fragments, never a visible partial object. Bodies up to
// inline_bytes_max are kept in the metadata record instead (no k+m writes
// of a few bytes; the metadata store is as durable as a fragment set).
//
// GET: look up the version, then per stripe fetch the k data fragments; for
// any that fail (error, timeout, checksum) fetch parity until k are in hand,
// and decode only then. Up to m bad fragments per stripe cost no error;
// beyond that the read fails with kUnavailable, never wrong bytes.
//
// Multipart: each uploaded part is a stream of stripes of its own, durable
// before the part is recorded; completion stitches the parts' stripes into
// one object version atomically (see MetadataStore::complete_upload).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/broken_variants.h"
#include "core/codec/reed_solomon.h"
#include "core/codec/sha256.h"
#include "core/metadata/metadata_store.h"
#include "core/placement/placement.h"
#include "core/rpc/rpc_endpoint.h"
#include "core/stripe/stripe_store.h"
#include "io_abstraction/byte_stream.h"
#include "storage.pb.h"

namespace tessera {

struct GatewayConfig {
  // The first is the default for buckets that name none.
  std::vector<StorageClass> storage_classes{StorageClass{"STANDARD", 10, 4, FailureDomain::kRack}};
  uint64_t part_bytes = 8u << 20;  // stripe size
  uint64_t inline_bytes_max = 4096;
  uint64_t min_upload_part_bytes = 5u << 20;  // S3's minimum for all but the last part
  StripeConfig stripes;  // deadlines and hedging of fragment IO
};

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
};

// What a PUT stores besides the bytes: content type, user metadata, stored
// headers, storage class ("" = the bucket's), public_read.
using ObjectAttributes = proto::ObjectVersion;

class ObjectGateway {
 public:
  // disks: the cluster's disks as placement sees them (the gateway's
  // stripe layer, stripes(), keeps their fill).
  ObjectGateway(Runtime& rt, RpcEndpoint& rpc, MetadataStore& metadata, std::vector<DiskInfo> disks,
                GatewayConfig config);

  MetadataStore& metadata() { return metadata_; }
  StripeStore& stripes() { return stripes_; }
  const StripeStore& stripes() const { return stripes_; }
  // The failure detector's view: placement skips nodes that are down and
  // reads take parity for their fragments at once. Default: all up.
  void set_liveness(std::function<bool(NodeId)> node_up) { stripes_.set_liveness(std::move(node_up)); }
  // Test only: read_skips_checksum accepts fetched fragments unverified;
  // commit_before_fragments commits before fragment writes are
  // acknowledged (a crash in between leaves a visible, unreadable object).
  void set_broken(const BrokenVariants& broken) { stripes_.set_broken(broken); }
  // Called when a GET found a stripe's fragment missing, corrupt or on a
  // gone disk (the node wires it to the repairer: heal on read).
  using DamagedStripe = std::function<void(const proto::ObjectVersion&, const proto::StripeRecord&)>;
  void set_on_damaged(DamagedStripe on_damaged) { on_damaged_ = std::move(on_damaged); }
  const GatewayConfig& config() const { return config_; }
  // The most one PUT or part upload holds of its body in memory at once:
  // the stripes in flight and the one being read.
  uint64_t body_bytes_held_max() const;
  // kInvalidArgument (InvalidStorageClass) for a name no class has.
  Result<const StorageClass*> storage_class(const std::string& name) const;

  // bucket: the record the request read (once) to authorize itself.
  Task<Result<proto::ObjectVersion>> put_object(proto::BucketRecord bucket, std::string key, ByteSource& body,
                                                CommitConditions conditions, ObjectAttributes attrs);
  // The version to read: not found (NoSuchKey) when the newest is a delete
  // marker; a delete marker named by version_id is MethodNotAllowed.
  Task<Result<proto::ObjectVersion>> head_object(std::string bucket, std::string key, std::string version_id = "");
  // Streams bytes [range.first, range.last] of version into sink. A stripe
  // repair found lost fails it with kInternal (S3 500 InternalError) naming
  // the object and the loss, not a retryable kUnavailable.
  Task<Status> read_object(const proto::ObjectVersion& version, ByteRange range, ByteSink& sink);
  Task<Result<DeleteResult>> delete_object(std::string bucket, std::string key, std::string version_id = "");

  // Multipart. Returns the new upload id.
  // checksum_algorithm/type: what the parts' checksums must be ("" for none).
  Task<Result<std::string>> create_upload(proto::BucketRecord bucket, std::string key, ObjectAttributes attrs,
                                          std::string checksum_algorithm = "", std::string checksum_type = "");
  // A part of upload (the record the request read): 1..10000
  // (InvalidArgument otherwise); re-uploading a number replaces it. The
  // body's trailers() once read (checksums) are the part's checksums.
  Task<Result<proto::UploadPartRecord>> upload_part(proto::UploadRecord upload, uint32_t number,
                                                    ByteSource& body);
  Task<Result<proto::ObjectVersion>> complete_upload(std::string bucket, std::string key, std::string upload_id,
                                                     std::vector<CompletedPart> parts, CommitConditions conditions,
                                                     std::vector<proto::MetadataEntry> headers = {});

  const StripeStore::Stats& stats() const { return stripes_.stats(); }

 private:
  struct Written {
    std::vector<proto::StripeRecord> stripes;
    uint64_t size = 0;
    std::string md5_hex;
    std::optional<std::string> inline_body;
  };
  struct StripeJob;
  struct StripePipeline;

  // Reads body to its end, writing stripes of class cls for bucket/key.
  // With allow_inline, a body that fits inline_bytes_max is returned inline
  // instead. On failure the stripes already written are discarded.
  Task<Result<Written>> write_stream(const std::string& bucket, const std::string& key, const StorageClass& cls,
                                     uint32_t upload_part, ByteSource& body, bool allow_inline);
  // Written stripes that will never be committed become garbage (best
  // effort: if even that fails, the orphan sweep finds them).
  Task<void> discard(const std::string& bucket, const std::string& key, std::vector<proto::StripeRecord> stripes);
  // One stripe of v read into *out: heal on read, and a loss named as one.
  Task<Status> fetch_stripe(const proto::ObjectVersion& v, const proto::StripeRecord& part,
                            Result<std::string>* out);
  Task<void> stripe_job(StripePipeline* pipeline, StripeJob* job);
  Task<Status> run_stripe(StripeJob* job);

  Runtime& rt_;
  MetadataStore& metadata_;
  GatewayConfig config_;
  StripeStore stripes_;
  DamagedStripe on_damaged_;
};

}  // namespace tessera

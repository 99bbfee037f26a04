// StripeStore: the stripe layer. A stripe is one erasure-coded run of an
// object's bytes: k data and m parity fragments on k+m disks chosen by the
// failure-domain rule. This layer writes a stripe (encode, place, write
// every fragment, moving a fragment whose write failed or lagged to
// another disk, one re-placement round away from disks that failed),
// reads any k of a stripe (hedged or data-then-parity) and decodes it,
// names fragments, and keeps the cluster's disks as placement sees them:
// their fill (one update, wherever bytes land) and the failure detector's
// view of their nodes. The gateway (PUT, GET), the repairer and the
// garbage collector all reach fragments through it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/broken_variants.h"
#include "core/codec/reed_solomon.h"
#include "core/codec/sha256.h"
#include "core/placement/placement_index.h"
#include "core/rpc/rpc_endpoint.h"
#include "core/stripe/storage_class.h"
#include "metadata.pb.h"
#include "messages.pb.h"
#include "storage.pb.h"

namespace tessera {

// Room a fragment's header takes on disk beyond its bytes (an upper bound
// that placement reserves beside them).
inline constexpr uint64_t kFragmentHeaderBytesMax = 1024;

// What one disk's inventory said, against what the metadata expects
// there: whether it answered, whether the disk is gone, the expected
// fragments it lacks, those it holds unexpected, and those found corrupt.
struct DiskInventory {
  bool answered = false;
  bool failed = false;
  std::set<std::string> missing;
  std::set<std::string> extra;
  std::set<std::string> corrupt;
};

// The blob name of each fragment of a stripe.
std::vector<std::string> fragment_blob_names(const std::string& object, uint64_t fragment_version,
                                             const proto::StripeRecord& stripe);

// Fragments of a stripe repair has not found lost; a stripe with fewer
// than k of them is lost (repair confirmed it, FragmentLocation.lost).
uint32_t fragments_left(const proto::StripeRecord& stripe);
bool stripe_lost(const proto::StripeRecord& stripe);

struct StripeConfig {
  Duration fragment_deadline = Duration::seconds(5);
  // Hedged reads: parity fetches start this long after the data fetches
  // unless the data fragments are all in by then; 0 = parity only after a
  // data fragment failed.
  Duration hedge_after = Duration::micros(0);
  // Hedged writes: once k fragments of a stripe are written, one still
  // being written after twice the time that took, and at least this long,
  // moves to a replacement disk; 0 = only a failed write moves.
  Duration hedge_writes_after = Duration::millis(200);
};

class StripeStore {
 public:
  struct Stats {
    uint64_t fragments_written = 0;
    uint64_t fragment_write_failures = 0;
    uint64_t fragment_writes_moved = 0;   // to a replacement disk: failed or lagged
    uint64_t fragment_writes_lagged = 0;  // of those, lagged
    uint64_t fragments_read = 0;
    uint64_t fragment_read_failures = 0;
    uint64_t parts_decoded = 0;         // stripes that needed parity
    uint64_t stripe_reads_failed = 0;   // fewer than k fragments could be read
  };

  // disks: the cluster's disks as placement sees them.
  StripeStore(Runtime& rt, RpcEndpoint& rpc, std::vector<DiskInfo> disks, StripeConfig config);

  // The failure detector's view: placement skips nodes that are down and
  // reads take parity for their fragments at once. Default: all up.
  void set_liveness(std::function<bool(NodeId)> node_up) { node_up_ = std::move(node_up); }
  void set_broken(const BrokenVariants& broken) { broken_ = broken; }
  bool node_up(NodeId node) const { return !node_up_ || node_up_(node); }
  // Nodes down for good (ClusterMap's out): repair rebuilds their
  // fragments elsewhere. Default: none.
  void set_node_out(std::function<bool(NodeId)> node_out) { node_out_ = std::move(node_out); }
  bool node_out(NodeId node) const { return node_out_ && node_out_(node); }
  const std::vector<DiskInfo>& disks() const { return disks_.disks(); }
  const PlacementIndex& placement() const { return disks_; }
  // What placement may choose now: disks on nodes up.
  PlacementFilter live_disks() const;
  // Ok when a stripe of cls could be placed on the disks of nodes for
  // which usable() holds; else why not (readiness).
  Status can_place(const StorageClass& cls, const std::function<bool(NodeId)>& usable) const;
  // bytes more now lie on disk (a fragment and its header room).
  void add_usage(const DiskRef& disk, uint64_t bytes);
  // bytes less lie on disk (a fragment deleted): until the next report.
  void release_usage(const DiskRef& disk, uint64_t bytes);
  // A storage node's report of its disks (every heartbeat): true fill
  // after restarts, deletes and GC, and which are gone.
  void report_disks(NodeId node, const google::protobuf::RepeatedPtrField<proto::DiskReport>& disks);
  // A write or the repairer found the disk gone: placement skips it until
  // its node reports it back.
  void mark_gone(const DiskRef& disk);
  uint64_t disks_gone() const;
  Result<const ReedSolomon*> codec(uint32_t k, uint32_t m);
  Duration fragment_deadline() const { return config_.fragment_deadline; }
  Runtime& runtime() { return rt_; }
  const Stats& stats() const { return stats_; }

  // Encodes bytes as stripe number of object's fragment_version under
  // cls and writes all k+m fragments; the record says where they are.
  Task<Result<proto::StripeRecord>> write(std::string object, const StorageClass& cls, uint64_t fragment_version,
                                          uint32_t number, const std::string& bytes);
  // The stripe's bytes from any k of its fragments (inline ones as they
  // are). fragment_version_fallback: the object's, for records without
  // their own.
  // damaged (when given): whether a fragment read found its fragment
  // missing, corrupt or its disk gone (a stripe to heal), not merely
  // unreachable.
  Task<Result<std::string>> read(const std::string& object, uint64_t fragment_version_fallback,
                                 const proto::StripeRecord& stripe, bool* damaged = nullptr);

  // One fragment at a location, for repair and GC: read (verified), write,
  // delete; and a disk's inventory page, and any blob's deletion. Values,
  // not references: the tasks may start after the caller's temporaries.
  Task<Result<std::string>> get_fragment(DiskRef at, proto::FragmentId id);
  Task<Status> put_fragment(DiskRef at, proto::FragmentId id, std::string bytes);
  Task<Status> delete_fragment(DiskRef at, proto::FragmentId id);
  Task<Status> delete_blob(DiskRef at, std::string name);
  Task<Result<proto::InventoryTreeResponse>> ask_inventory_tree(DiskRef at, proto::InventoryTreeRequest request);

 private:
  Task<Result<proto::StripeRecord>> place_and_write(std::string object, const StorageClass& cls,
                                                    uint64_t fragment_version, uint32_t number,
                                                    const EncodedPart& encoded, const std::vector<Sha256>& digests,
                                                    uint64_t size);
  // Writes every fragment of one placement (stripe_write.cc). A fragment
  // whose write fails, or lags, moves to a replacement disk: placement and
  // filter (disks and nodes that failed are left out) are updated; failed
  // lists the fragments that found no disk.
  struct SlotSignal;
  struct Slot;
  struct WriteRound;
  Task<Status> write_fragments(const proto::FragmentId& base, const EncodedPart& encoded,
                               const std::vector<Sha256>& digests, std::vector<DiskRef>& placement,
                               PlacementFilter& filter, const PlacementRequest& request,
                               std::vector<uint32_t>& failed);
  Task<Status> run_slot(std::shared_ptr<WriteRound> round, uint32_t i, proto::FragmentId base,
                        const EncodedPart& encoded, const std::vector<Sha256>& digests);
  bool move_slot(const std::shared_ptr<WriteRound>& round, uint32_t i, const proto::FragmentId& base,
                 const EncodedPart& encoded, const std::vector<Sha256>& digests);
  void on_slot_succeeded(const std::shared_ptr<WriteRound>& round);
  void watch_lag(const std::shared_ptr<WriteRound>& round, uint32_t i, Duration d);
  static constexpr uint32_t kSlotMovesMax = 3;
  // Leaves out the disks whose writes lagged in the last kLaggardFor,
  // unless no placement for request would be left.
  void avoid_laggards(PlacementFilter& filter, const PlacementRequest& request);
  static constexpr Duration kLaggardFor = Duration::seconds(10);
  // damaged: set when the fragment is found missing, corrupt or on a gone
  // disk (shared: a read may end before its hedges do).
  using DamageFlag = std::shared_ptr<bool>;
  Task<Result<std::string>> fetch_fragment(const std::string& object, uint64_t fragment_version,
                                           const proto::StripeRecord& part, uint32_t i, DamageFlag damaged);
  Task<Result<std::string>> read_stripe(const std::string& object, uint64_t fragment_version_fallback,
                                        const proto::StripeRecord& part, DamageFlag damaged);
  // Both fill fragments and return how many data fragments are missing.
  Task<Result<uint32_t>> read_hedged(const std::string& object, uint64_t fragment_version,
                                     const proto::StripeRecord& part,
                                     std::vector<std::optional<std::string>>& fragments, DamageFlag damaged);
  Task<Result<uint32_t>> read_data_then_parity(const std::string& object, uint64_t fragment_version,
                                               const proto::StripeRecord& part,
                                               std::vector<std::optional<std::string>>& fragments,
                                               DamageFlag damaged);

  Runtime& rt_;
  RpcEndpoint& rpc_;
  PlacementIndex disks_;  // fill, state and placement order of every disk
  StripeConfig config_;
  std::map<std::pair<uint32_t, uint32_t>, ReedSolomon> codecs_;
  std::function<bool(NodeId)> node_up_;
  std::function<bool(NodeId)> node_out_;
  BrokenVariants broken_;
  std::map<DiskRef, Instant> lagged_until_;  // a fragment write there lagged
  Stats stats_;
};

}  // namespace tessera

// Repairer: finds stripes with lost or corrupt fragments and rebuilds them
// from any k survivors. It runs beside the gateway, on the same stripe
// layer (fragments, codecs, placement's view of the disks) and metadata.
// One pass:
//  1. collects every stripe the metadata references (object versions, and
//     parts of uploads in progress);
//  2. compares each disk of every storage node that is up with what the
//     metadata expects on it, by Merkle tree (core/repair/inventory_compare.h:
//     O(differences x log n) messages, not a listing): the fragments it
//     lacks, those it holds unexpected, those found corrupt (by reads or
//     the scrubber), and whether the disk is gone;
//  3. orders the damaged stripes by surviving fragments, fewest first;
//  4. for each, reads every reachable fragment (verified), decodes from any
//     k, and writes each bad one back: in place when its disk is healthy,
//     else onto a disk that keeps the placement rule, committing the new
//     location with MetadataStore::move_stripe. If the record changed
//     meanwhile (overwritten, deleted, an upload completed), moved copies
//     are deleted again; in-place ones are left to the garbage collector.
// A fragment on a node that does not answer is not rebuilt (the node may
// come back); it only counts against the stripe's survivors, until the
// cluster map counts the node out: then it is rebuilt on another disk.
//
// The same inventories drive the orphan sweep (core/gc/orphan_sweep.h),
// with orphan_grace.
//
// Up to stripes_in_parallel stripes are repaired at once (so the wait for
// one node does not hold up the rest), each worker pausing after a stripe
// so that together they hold the rebuild traffic to bytes_per_second.
#pragma once

#include <cstdint>
#include <deque>
#include <tuple>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/gc/orphan_sweep.h"
#include "core/storage/inventory_tree.h"
#include "core/metadata/metadata_store.h"
#include "core/stripe/stripe_store.h"

namespace tessera {

struct RepairConfig {
  uint64_t bytes_per_second = 64u << 20;  // fragment bytes read and written
  uint32_t stripes_in_parallel = 8;
  Duration orphan_grace = Duration::micros(0);  // 0: no orphan sweep
};

class Repairer {
 public:
  struct Progress {
    uint64_t passes = 0;               // completed
    bool in_pass = false;
    uint64_t pass_stripes_total = 0;   // the current (or last) pass: stripes referenced,
    uint64_t pass_stripes_damaged = 0; // found damaged,
    uint64_t pass_stripes_done = 0;    // and damaged ones handled so far
    // The current (or last) pass's damaged stripes by fragments intact
    // (fewest are repaired first), and the repair traffic they take: k
    // reads and a write per rebuilt fragment, what bytes_per_second bounds.
    std::map<uint32_t, uint64_t> pass_damaged_by_survivors;
    uint64_t pass_rebuild_bytes = 0;
    uint64_t pass_rebuild_bytes_done = 0;
    uint64_t stripes_repaired = 0;     // in all passes and heals on read
    uint64_t fragments_rebuilt = 0;    // written in place
    uint64_t fragments_moved = 0;      // written to another disk
    uint64_t stripes_unrepairable = 0; // fewer than k readable, or nowhere to write
    uint64_t stripes_marked_lost = 0;  // of those, found with fewer than k anywhere: marked lost
    uint64_t stripes_lost = 0;         // in the lost report now
    uint64_t orphans_pending = 0;      // unreferenced fragments waiting out the grace
    uint64_t orphans_deleted = 0;      // in all passes
    uint64_t heals_queued = 0;         // stripes GETs found damaged
    uint64_t stripes_healed_on_read = 0;  // of those, made whole by the heal
    uint64_t inventory_messages = 0;   // Merkle comparison requests to storage nodes, in all passes
    uint64_t inventory_bytes = 0;      // and their bytes, both ways
  };
  // A stripe found lost: fewer than k of its fragments exist anywhere (every
  // other one is missing, corrupt or on a gone disk). Repair marks its
  // fragments lost in the metadata (GETs then fail with a loss, not a
  // retryable 503) and lists it here.
  struct LostStripe {
    StripeOwner owner;
    uint64_t fragment_version = 0;
    uint32_t number = 0;
    uint32_t fragments_left = 0;
    uint32_t k = 0;
  };
  struct PassResult {
    uint64_t damaged = 0;     // stripes found damaged
    uint64_t repaired = 0;    // of those, made whole
    uint64_t unresolved = 0;  // not made whole (unrepairable, or a node did not answer)
    std::vector<LostStripe> lost;  // the lost report after the pass
  };

  // A stripe the metadata references, and where it is referenced.
  struct ReferencedStripe {
    StripeOwner owner;
    std::string object;             // FragmentId.object
    uint64_t fragment_version = 0;  // FragmentId.version
    proto::StripeRecord part;
    FailureDomain level = FailureDomain::kRack;
    std::vector<std::string> blob_names;  // fragment i's, computed once (each hashes the object)
  };

  // classes: the storage classes, for the failure domain of each stripe.
  Repairer(StripeStore& stripes, MetadataStore& metadata, std::vector<StorageClass> classes, RepairConfig config);
  // Every stripe with fragments: object versions, then upload parts.
  Task<Status> referenced_stripes(std::vector<ReferencedStripe>& out);

  Task<Result<PassResult>> pass();
  // A pass every interval until the runtime stops; on_pass (if any) after
  // each that ran.
  Task<void> run(Duration interval, std::function<void(const PassResult&)> on_pass = nullptr);
  const Progress& progress() const { return progress_; }
  const RepairConfig& config() const { return config_; }
  // Stripes GETs found damaged, waiting for the healer.
  size_t heals_waiting() const { return heal_queue_.size(); }

  // The lost-objects report: the lost stripes the last pass found, and
  // those marked since; at most kLostReportMax, in metadata order.
  std::vector<LostStripe> lost_stripes() const;
  static constexpr size_t kLostReportMax = 10000;

  // Heal on read (heal_on_read.cc): a stripe of v that a GET found with a
  // fragment missing, corrupt or on a gone disk is rebuilt at once, ahead
  // of the next pass, by one worker beside the GETs (which go on with
  // parity). At most kHealQueueMax wait; one already waiting is not added.
  void queue_heal(const proto::ObjectVersion& v, const proto::StripeRecord& part);
  static constexpr size_t kHealQueueMax = 1024;

  // Test only: rebuilt fragments are written with the bytes of another
  // index (a broken variant the simulator's repair audit must catch).
  void set_broken_rebuild(bool broken) { broken_rebuild_ = broken; }

 private:
  using Stripe = ReferencedStripe;
  // kNodeOut: on a node the cluster map counts out (silent past its
  // grace): rebuilt elsewhere like a gone disk's, but never proof of loss.
  enum class FragmentState { kOk, kUnknown, kMissing, kCorrupt, kDiskGone, kNodeOut };

  // Always ok: a disk that does not answer is left unknown (when_all needs a value).
  Task<Status> fetch_inventory(DiskRef disk, const InventoryTree* expected, DiskInventory* out);
  FragmentState state_of(const Stripe& s, uint32_t index) const;
  // Rebuilds s; true when it is whole afterwards. repair() also counts it
  // (and its traffic) as done in the pass's progress.
  Task<bool> repair(const Stripe& s, uint64_t traffic);
  // The pass's damaged stripes in repair order, fewest survivors first
  // (stable: metadata order), each with its repair traffic in bytes; also
  // reports the ones found lost before and still short of k.
  struct Damaged {
    uint32_t survivors = 0;
    size_t index = 0;
    uint64_t traffic = 0;
  };
  std::vector<Damaged> damaged_in_order(const std::vector<Stripe>& stripes);
  // read, decode, choose targets, write, commit.
  struct Rebuild;
  Task<bool> rebuild(const Stripe& s, bool from_reads = false);
  Task<void> heal_queued();
  Task<void> read_fragments(Rebuild& r);
  Task<bool> decode(Rebuild& r);
  bool choose_targets(Rebuild& r);
  Task<bool> write_fragments(Rebuild& r);
  // Lost stripes (lost_stripes.cc): marks the fragments of s found gone
  // (every other one good, fewer than k of those) lost in the metadata,
  // and lists s in the report.
  Task<void> mark_lost(const Stripe& s, std::vector<uint32_t> gone);
  void report_lost(const Stripe& s, const proto::StripeRecord& part);
  Task<Status> commit(Rebuild& r);
  // Deletes fragments unreferenced in every pass for orphan_grace.
  Task<Status> sweep_orphans(const std::vector<Stripe>& stripes);

  StripeStore& stripes_;
  MetadataStore& metadata_;
  std::vector<StorageClass> classes_;
  RepairConfig config_;
  std::map<DiskRef, DiskInventory> inventory_;
  std::set<DiskRef> disks_failed_;  // those inventory_ found gone
  // The lost report, by owner and stripe; the pass's own until it ends.
  using LostKey = std::tuple<std::string, std::string, uint64_t, std::string, uint32_t, uint64_t, uint32_t>;
  std::map<LostKey, LostStripe> lost_, pass_lost_;
  OrphanSweep sweep_;
  Progress progress_;
  bool broken_rebuild_ = false;
  std::deque<Stripe> heal_queue_;
  std::set<std::tuple<std::string, uint64_t, uint32_t>> healing_;  // (object, version, stripe) queued or in hand
  bool healer_running_ = false;
};

}  // namespace tessera

// OrphanSweep: deletes fragments that nothing references: no version, no
// upload in progress, no garbage record (a PUT that died before its
// commit, a placement round that was abandoned, a repair's copy whose move
// was never answered). The repairer's passes drive it with the
// inventories they take anyway. A fragment is deleted once it has been
// unreferenced in every pass for grace (a pass in which its disk did not
// answer keeps its clock running only if the metadata still does not
// reference it), which must exceed the longest PUT: its fragments are
// durable before its commit references them.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>

#include "core/metadata/metadata_store.h"
#include "core/stripe/stripe_store.h"

namespace tessera {

class OrphanSweep {
 public:
  OrphanSweep(StripeStore& stripes, MetadataStore& metadata, Duration grace)
      : stripes_(stripes), metadata_(metadata), grace_(grace) {}

  // referenced: the blob names live stripes hold, per disk; inventory:
  // what each disk listed this pass. Deletes (a bounded number of) the
  // fragments past their grace.
  Task<Status> sweep(std::map<DiskRef, std::set<std::string>> referenced,
                     const std::map<DiskRef, DiskInventory>& inventory);
  uint64_t pending() const { return orphan_seen_.size(); }  // waiting out the grace
  uint64_t deleted() const { return deleted_; }             // in all passes

 private:
  StripeStore& stripes_;
  MetadataStore& metadata_;
  Duration grace_;
  std::map<std::pair<DiskRef, std::string>, Instant> orphan_seen_;  // since when unreferenced
  uint64_t deleted_ = 0;
};

}  // namespace tessera

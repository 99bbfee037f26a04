// GarbageCollector: deletes the fragments of stripes nothing refers to any
// more, from the metadata's garbage index (records written in the same
// batch as the change that unreferenced them: an overwrite, a delete, a
// replaced or aborted part, a stripe a repair moved). A record is
// collected once it is at least grace old, so reads that looked the
// version up before it went can still finish. Its sibling OrphanSweep
// (orphan_sweep.h) finds fragments that never got a record at all.
#pragma once

#include <cstdint>

#include "core/metadata/metadata_store.h"
#include "core/stripe/stripe_store.h"

namespace tessera {

class GarbageCollector {
 public:
  GarbageCollector(StripeStore& stripes, MetadataStore& metadata) : stripes_(stripes), metadata_(metadata) {}

  // One pass: deletes the fragments of records at least grace old (at most
  // records_max of them), then the records. A record whose fragments cannot
  // all be deleted now (a node down) stays for the next pass. Returns how
  // many records were collected.
  Task<Result<uint64_t>> collect(Duration grace, size_t records_max);
  // A pass every interval until the runtime stops; adds the records
  // collected to *collected when given.
  Task<void> run(Duration interval, Duration grace, uint64_t* collected = nullptr);
  uint64_t fragments_collected() const { return fragments_collected_; }

  // What waits to be collected: garbage records, their fragments and
  // bytes, those already past the grace (due at the next pass), and when
  // the oldest was recorded. Scans at most records_max records (truncated
  // then).
  struct Backlog {
    uint64_t records = 0, fragments = 0, bytes = 0;
    uint64_t records_due = 0;
    uint64_t oldest_ms = 0;  // unix ms; 0 when there is none
    bool truncated = false;
  };
  Task<Result<Backlog>> backlog(size_t records_max);
  // The loop's schedule: passes run, when the last began (unix ms, 0 before
  // the first), its interval and grace (0 when run() was not started).
  struct Schedule {
    uint64_t passes = 0;
    int64_t last_pass_ms = 0;
    Duration interval{0}, grace{0};
  };
  const Schedule& schedule() const { return schedule_; }

 private:
  // Deletes every fragment of g; true when all are gone.
  Task<bool> collect_record(const proto::GarbageRecord& g);

  StripeStore& stripes_;
  MetadataStore& metadata_;
  uint64_t fragments_collected_ = 0;
  Schedule schedule_;
};

}  // namespace tessera

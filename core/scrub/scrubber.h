// Scrubber: the storage node's background check of its own fragments. A
// pass lists every disk and re-reads each fragment blob at a bounded rate,
// verifying header and SHA-256 (check_fragment_blob). A blob that fails
// twice in a row is reported to the StorageService as corrupt (one failed
// read may be a transient read error, not rot at rest); the storage
// inventory then shows it, and repair rewrites it. The scrubber never
// deletes: it cannot tell rot from a bad read, and repair can.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/storage/storage_service.h"
#include "io_abstraction/disk.h"
#include "io_abstraction/runtime.h"

namespace tessera {

struct ScrubConfig {
  uint64_t bytes_per_second = 16u << 20;           // read rate budget
  Duration pass_interval = Duration::seconds(3600);  // from one pass's start to the next
};

class Scrubber {
 public:
  struct Progress {
    uint64_t passes = 0;            // completed
    uint64_t blobs_checked = 0;     // in all passes
    uint64_t bytes_checked = 0;
    uint64_t corrupt_found = 0;     // fragments newly reported corrupt
    uint64_t pass_blobs_total = 0;  // the current pass: blobs listed...
    uint64_t pass_blobs_done = 0;   // ...and checked so far
  };

  // disks: the node's disks, in the StorageService's order.
  Scrubber(Runtime& rt, StorageService& storage, std::vector<Disk*> disks, ScrubConfig config);

  // One pass over every disk.
  Task<void> pass();
  // Passes forever, one per pass_interval (or back to back when a pass
  // takes longer), until the runtime stops; on_pass (if any) after each.
  Task<void> run(std::function<void(const Progress&)> on_pass = nullptr);
  const Progress& progress() const { return progress_; }
  // Test only: read every fragment, verify none (a broken variant the
  // simulator's repair audit must catch).
  void set_skip_verification(bool skip) { skip_verification_ = skip; }

 private:
  // Whether the blob verifies; a missing blob (deleted meanwhile) does.
  Task<bool> verifies(Disk& disk, const std::string& name);

  Runtime& rt_;
  StorageService& storage_;
  std::vector<Disk*> disks_;
  ScrubConfig config_;
  Progress progress_;
  bool skip_verification_ = false;
};

}  // namespace tessera

// InventoryKeeper: a storage node's Merkle tree of what each of its disks
// holds (core/storage/inventory_tree.h), so repair compares it with what
// the metadata expects in O(differences x log n) messages.
//
// The tree follows every write and remove the node makes, and reads that
// find a blob gone. It is built from the disk's listing when first asked
// for, and brought in line with a listing whenever one is taken: each
// scrub pass lists every disk, and a comparison that finds the last
// listing older than relist_after lists the disk first. So a blob lost or
// restored behind the node's back is seen within that time. A disk
// whose generation changed (another disk in its slot) is listed anew.
// Names touched while a listing is in flight keep what the tree learnt of
// them: the listing may predate the change.
//
// Memory: about 140 bytes a fragment (its name, its hash, a share of the
// summaries; bench/inventory_bench measures it).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/storage/inventory_tree.h"
#include "io_abstraction/disk.h"
#include "io_abstraction/runtime.h"
#include "storage.pb.h"

namespace tessera {

class InventoryKeeper {
 public:
  static constexpr Duration kRelistAfter = Duration::seconds(600);
  InventoryKeeper(Runtime& rt, std::vector<Disk*> disks, Duration relist_after = kRelistAfter);

  void written(uint32_t disk, const std::string& name);
  void removed(uint32_t disk, const std::string& name);
  // The disk's fragment blobs, listed now, with the tree brought in line.
  Task<Result<std::vector<std::string>>> list(uint32_t disk);
  // The answer to a comparison request (built first if need be);
  // disk_failed for a disk that is gone, unavailable while another
  // listing builds it.
  Task<Result<proto::InventoryTreeResponse>> answer(uint32_t disk, proto::InventoryTreeRequest request);

 private:
  struct Kept {
    InventoryTree tree;
    bool built = false;
    bool listing = false;
    std::set<std::string> touched;  // while listing
    uint64_t generation = 0;
    Instant listed_at;
  };
  Kept& current(uint32_t disk);
  void reconcile(Kept& k, const std::vector<std::string>& listed);

  Runtime& rt_;
  std::vector<Disk*> disks_;
  Duration relist_after_;
  std::vector<std::unique_ptr<Kept>> kept_;  // stable: a listing holds its entry across awaits
};

}  // namespace tessera

#include "core/storage/inventory_keeper.h"

#include <algorithm>

#include "io_abstraction/assert.h"

namespace tessera {

InventoryKeeper::InventoryKeeper(Runtime& rt, std::vector<Disk*> disks, Duration relist_after)
    : rt_(rt), disks_(std::move(disks)), relist_after_(relist_after) {
  for (Disk* d : disks_) {
    kept_.push_back(std::make_unique<Kept>());
    kept_.back()->generation = d->generation();
  }
}

InventoryKeeper::Kept& InventoryKeeper::current(uint32_t disk) {
  ASSERT(disk < kept_.size());
  Kept& k = *kept_[disk];
  const uint64_t generation = disks_[disk]->generation();
  if (k.generation != generation) {
    k = Kept{};
    k.generation = generation;
  }
  return k;
}

// Writes and removes skip the generation check (a stat() on a FileDisk):
// a replaced disk is found at the next listing or comparison, which
// starts its tree over and lists it.
void InventoryKeeper::written(uint32_t disk, const std::string& name) {
  ASSERT(disk < kept_.size());
  Kept& k = *kept_[disk];
  k.tree.insert(name);
  if (k.listing) k.touched.insert(name);
}

void InventoryKeeper::removed(uint32_t disk, const std::string& name) {
  ASSERT(disk < kept_.size());
  Kept& k = *kept_[disk];
  k.tree.remove(name);
  if (k.listing) k.touched.insert(name);
}

void InventoryKeeper::reconcile(Kept& k, const std::vector<std::string>& listed) {
  const std::set<std::string> on_disk(listed.begin(), listed.end());
  for (const std::string& name : k.tree.names(InventoryNode{})) {
    if (on_disk.count(name) == 0 && k.touched.count(name) == 0) k.tree.remove(name);
  }
  for (const std::string& name : listed) {
    if (k.touched.count(name) == 0) k.tree.insert(name);
  }
  k.built = true;
}

Task<Result<std::vector<std::string>>> InventoryKeeper::list(uint32_t disk) {
  Kept& k = current(disk);
  Disk* d = disks_[disk];
  if (k.listing) co_return co_await d->list("f-");  // the other listing reconciles
  const uint64_t generation = k.generation;
  k.listing = true;
  k.touched.clear();
  const Instant started = rt_.now();
  auto listed = co_await d->list("f-");
  Kept& after = *kept_[disk];  // the same entry, possibly reset meanwhile
  if (after.generation == generation && after.listing) {
    if (listed.is_ok()) {
      reconcile(after, listed.value());
      after.listed_at = started;
    }
    after.listing = false;
    after.touched.clear();
  }
  co_return listed;
}

Task<Result<proto::InventoryTreeResponse>> InventoryKeeper::answer(uint32_t disk, proto::InventoryTreeRequest request) {
  proto::InventoryTreeResponse r;
  if (disks_[disk]->space().code() == Code::kDiskGone) {
    r.set_disk_failed(true);
    co_return r;
  }
  const bool stale = asks_for_root(request) && rt_.now() - current(disk).listed_at >= relist_after_;
  if (!current(disk).built || (stale && !current(disk).listing)) {
    if (current(disk).listing) {
      r.set_unavailable(true);
      co_return r;
    }
    auto listed = co_await list(disk);
    if (listed.code() == Code::kDiskGone) {
      r.set_disk_failed(true);
      co_return r;
    }
    if (!listed.is_ok()) co_return listed.status();
    if (!current(disk).built) {  // replaced while it was listed
      r.set_unavailable(true);
      co_return r;
    }
  }
  co_return answer_inventory_request(current(disk).tree, request);
}

}  // namespace tessera

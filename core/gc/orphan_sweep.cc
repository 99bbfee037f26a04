#include "core/gc/orphan_sweep.h"

#include <functional>

#include "core/gateway/gateway_util.h"
#include "core/invariants.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

Task<Status> OrphanSweep::sweep(std::map<DiskRef, std::set<std::string>> referenced,
                                const std::map<DiskRef, DiskInventory>& inventory) {
  ASSERT(grace_.us > 0);
  constexpr size_t kGarbageRecordsMax = 100000;
  // Besides the live stripes, the garbage the collector is going to
  // delete itself is referenced.
  auto note = [&](const proto::StripeRecord& part, const std::vector<std::string>& names) {
    for (int i = 0; i < part.fragments_size(); ++i) {
      referenced[DiskRef{part.fragments(i).node(), part.fragments(i).disk()}].insert(names[static_cast<size_t>(i)]);
    }
  };
  auto garbage = co_await metadata_.list_garbage(~uint64_t{0} >> 1, kGarbageRecordsMax + 1);
  // Unsure what is referenced: sweep nothing this pass.
  if (!garbage.is_ok() || garbage.value().size() > kGarbageRecordsMax) co_return Status::ok();
  for (const GarbageEntry& e : garbage.value()) {
    const std::string object = object_id(e.record.bucket(), e.record.key());
    for (const proto::StripeRecord& part : e.record.stripes()) {
      note(part, fragment_blob_names(object, fragment_version_of(part, e.record.fragment_version()), part));
    }
  }
  // Still unreferenced keeps its first sighting; anything else starts over.
  const Instant now = stripes_.runtime().now();
  std::map<std::pair<DiskRef, std::string>, Instant> seen;
  for (const auto& [disk, inv] : inventory) {
    if (!inv.answered || inv.failed) continue;
    const auto& refs = referenced[disk];
    for (const std::string& name : inv.extra) {
      if (refs.count(name) > 0) continue;
      auto key = std::make_pair(disk, name);
      auto it = orphan_seen_.find(key);
      seen[key] = it == orphan_seen_.end() ? now : it->second;
    }
  }
  // A disk that did not answer this pass keeps its candidates that are
  // still unreferenced (a lost reply must not restart their clocks).
  for (const auto& [key, first] : orphan_seen_) {
    auto inv = inventory.find(key.first);
    const bool answered = inv != inventory.end() && inv->second.answered;
    if (!answered && referenced[key.first].count(key.second) == 0) seen.emplace(key, first);
  }
  orphan_seen_ = std::move(seen);
  // Delete what has waited out the grace; a bounded number per pass, so a
  // backlog of orphans does not hold up the next repair pass.
  constexpr size_t kDeletesInFlight = 64;
  constexpr size_t kDeletesPerPass = 1024;
  std::vector<std::pair<DiskRef, std::string>> due;
  for (const auto& [key, first] : orphan_seen_) {
    if (due.size() < kDeletesPerPass && now - first >= grace_) due.push_back(key);
  }
  for (const auto& [disk, name] : due) {
    INVARIANT(invariant::kGcNeverDeletesReferenced, referenced[disk].count(name) == 0);
  }
  std::function<Task<Status>(size_t)> remove = [&](size_t i) {
    return stripes_.delete_blob(due[i].first, due[i].second);
  };
  std::vector<Status> deleted =
      co_await for_each_bounded(stripes_.runtime(), due.size(), kDeletesInFlight, std::move(remove));
  for (size_t i = 0; i < due.size(); ++i) {
    if (!deleted[i].is_ok() && deleted[i].code() != Code::kNotFound) continue;
    ++deleted_;
    orphan_seen_.erase(due[i]);
  }
  co_return Status::ok();
}

}  // namespace tessera

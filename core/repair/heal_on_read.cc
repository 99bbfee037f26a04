// Heal on read: a GET that had to work around a lost fragment hands the
// stripe to the repairer, which rebuilds it at once instead of at the
// next pass (up to repair_interval later, and a pass lists everything).
#include "core/gateway/gateway_util.h"
#include "core/repair/repairer.h"

namespace tessera {

void Repairer::queue_heal(const proto::ObjectVersion& v, const proto::StripeRecord& part) {
  if (part.fragments_size() == 0) return;  // inline: nothing on disks
  std::string object = gateway_util::object_id(v.bucket(), v.key());
  const uint64_t fragment_version = gateway_util::fragment_version_of(part, v.fragment_version());
  if (heal_queue_.size() >= kHealQueueMax) return;  // the next pass finds the rest
  if (!healing_.emplace(object, fragment_version, part.number()).second) return;
  FailureDomain level = classes_.front().level;
  for (const StorageClass& c : classes_) {
    if (c.name == v.storage_class()) level = c.level;
  }
  std::vector<std::string> names = fragment_blob_names(object, fragment_version, part);
  heal_queue_.push_back(Stripe{StripeOwner{v.bucket(), v.key(), v.version(), "", 0}, std::move(object),
                               fragment_version, part, level, std::move(names)});
  ++progress_.heals_queued;
  if (healer_running_) return;
  healer_running_ = true;
  stripes_.runtime().spawn(heal_queued());
}

Task<void> Repairer::heal_queued() {
  ASSERT(healer_running_);
  while (!heal_queue_.empty()) {
    const Stripe s = std::move(heal_queue_.front());
    heal_queue_.pop_front();
    if (co_await rebuild(s, /*from_reads=*/true)) ++progress_.stripes_healed_on_read;
    healing_.erase({s.object, s.fragment_version, s.part.number()});
  }
  healer_running_ = false;
}

}  // namespace tessera

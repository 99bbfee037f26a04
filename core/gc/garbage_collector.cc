#include "core/gc/garbage_collector.h"

#include <algorithm>
#include <functional>

#include "core/gateway/gateway_util.h"
#include "core/invariants.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

Task<bool> GarbageCollector::collect_record(const proto::GarbageRecord& g) {
  ASSERT(g.stripes_size() > 0 && "inline stripes never become garbage records");
  const std::string object = object_id(g.bucket(), g.key());
  std::vector<Task<Status>> deletes;
  std::vector<std::pair<DiskRef, uint64_t>> freed;  // each delete's disk and bytes
  for (const proto::StripeRecord& stripe : g.stripes()) {
    const uint64_t version = fragment_version_of(stripe, g.fragment_version());
    for (int i = 0; i < stripe.fragments_size(); ++i) {
      const auto& loc = stripe.fragments(i);
      freed.emplace_back(DiskRef{loc.node(), loc.disk()}, stripe.fragment_bytes() + kFragmentHeaderBytesMax);
      deletes.push_back(stripes_.delete_fragment(
          DiskRef{loc.node(), loc.disk()}, fragment_id(object, version, stripe.number(), static_cast<uint32_t>(i))));
    }
  }
  bool all = true;
  const std::vector<Status> results = co_await when_all(stripes_.runtime(), std::move(deletes));
  for (size_t i = 0; i < results.size(); ++i) {
    // Already gone counts as deleted: a pass may have died half-way.
    if (results[i].is_ok() || results[i].code() == Code::kNotFound) {
      ++fragments_collected_;
      // Placement sees the room at once, not a heartbeat later.
      if (results[i].is_ok()) stripes_.release_usage(freed[i].first, freed[i].second);
    } else {
      all = false;
    }
  }
  co_return all;
}

Task<Result<uint64_t>> GarbageCollector::collect(Duration grace, size_t records_max) {
  Runtime& rt = stripes_.runtime();
  const int64_t before = rt.unix_ms() - grace.us / 1000;
  if (before <= 0) co_return uint64_t{0};
  auto entries = co_await metadata_.list_garbage(static_cast<uint64_t>(before), records_max);
  if (!entries.is_ok()) co_return entries.status();
  // Several records at once: one at a time would wait out every slow
  // delete in turn.
  constexpr size_t kRecordsInFlight = 16;
  const std::vector<GarbageEntry>& all = entries.value();
  for (const GarbageEntry& e : all) {
    INVARIANT(invariant::kGcNeverDeletesReferenced, e.record.created_ms() <= static_cast<uint64_t>(before));
  }
  std::function<Task<bool>(size_t)> collect = [&](size_t r) { return collect_record(all[r].record); };
  std::vector<bool> collected = co_await for_each_bounded(rt, all.size(), kRecordsInFlight, std::move(collect));
  std::vector<std::string> done;
  for (size_t r = 0; r < all.size(); ++r) {
    if (collected[r]) done.push_back(all[r].id);
  }
  ASSERT(done.size() <= all.size());
  if (done.empty()) co_return uint64_t{0};
  const uint64_t n = done.size();
  if (Status s = co_await metadata_.remove_garbage(std::move(done)); !s.is_ok()) co_return s;
  co_return n;
}

Task<Result<GarbageCollector::Backlog>> GarbageCollector::backlog(size_t records_max) {
  const int64_t now = stripes_.runtime().unix_ms();
  auto entries = co_await metadata_.list_garbage(static_cast<uint64_t>(std::max<int64_t>(now, 0)) + 1, records_max + 1);
  if (!entries.is_ok()) co_return entries.status();
  Backlog b;
  b.truncated = entries.value().size() > records_max;
  const int64_t due_before = now - schedule_.grace.us / 1000;
  for (size_t r = 0; r < std::min(records_max, entries.value().size()); ++r) {
    const proto::GarbageRecord& g = entries.value()[r].record;
    ++b.records;
    if (static_cast<int64_t>(g.created_ms()) <= due_before) ++b.records_due;
    if (b.oldest_ms == 0 || g.created_ms() < b.oldest_ms) b.oldest_ms = g.created_ms();
    for (const proto::StripeRecord& stripe : g.stripes()) {
      b.fragments += static_cast<uint64_t>(stripe.fragments_size());
      b.bytes += stripe.fragment_bytes() * static_cast<uint64_t>(stripe.fragments_size());
    }
  }
  co_return b;
}

Task<void> GarbageCollector::run(Duration interval, Duration grace, uint64_t* collected_total) {
  constexpr size_t kRecordsPerPass = 64;
  schedule_.interval = interval;
  schedule_.grace = grace;
  for (;;) {
    co_await sleep(stripes_.runtime(), interval);
    ++schedule_.passes;
    schedule_.last_pass_ms = stripes_.runtime().unix_ms();
    // Drain the backlog in batches; a failed pass waits for the next tick.
    for (;;) {
      auto collected = co_await collect(grace, kRecordsPerPass);
      if (collected.is_ok() && collected_total) *collected_total += collected.value();
      if (!collected.is_ok() || collected.value() < kRecordsPerPass) break;
    }
  }
}

}  // namespace tessera

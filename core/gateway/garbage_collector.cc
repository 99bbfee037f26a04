// The gateway's garbage collector: deletes the fragments of stripes no
// version refers to any more, from the metadata's garbage index.
#include <algorithm>

#include "core/gateway/gateway_util.h"
#include "core/gateway/object_gateway.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

Task<Result<uint64_t>> ObjectGateway::collect_garbage(Duration grace, size_t records_max) {
  const int64_t before = rt_.unix_ms() - grace.us / 1000;
  if (before <= 0) co_return uint64_t{0};
  auto entries = co_await metadata_.list_garbage(static_cast<uint64_t>(before), records_max);
  if (!entries.is_ok()) co_return entries.status();
  // A record at a time would wait out every slow delete in turn: several
  // records' deletes are in flight together.
  constexpr size_t kRecordsInFlight = 16;
  const std::vector<GarbageEntry>& all = entries.value();
  std::vector<std::string> done;
  for (size_t from = 0; from < all.size(); from += kRecordsInFlight) {
    const size_t to = std::min(all.size(), from + kRecordsInFlight);
    std::vector<Task<Status>> deletes;
    std::vector<size_t> record_of;  // the record each delete belongs to
    for (size_t r = from; r < to; ++r) {
      const proto::GarbageRecord& g = all[r].record;
      const std::string object = object_id(g.bucket(), g.key());
      for (const proto::PartRecord& stripe : g.stripes()) {
        const uint64_t version = stripe.fragment_version() != 0 ? stripe.fragment_version() : g.upload_id();
        for (int i = 0; i < stripe.fragments_size(); ++i) {
          const auto& loc = stripe.fragments(i);
          deletes.push_back(delete_fragment(rpc_, NodeId(loc.node()), loc.disk(),
                                            fragment_id(object, version, stripe.number(), static_cast<uint32_t>(i)),
                                            config_.fragment_deadline));
          record_of.push_back(r);
        }
      }
    }
    std::vector<bool> complete(to - from, true);
    std::vector<Status> results = co_await when_all(rt_, std::move(deletes));
    for (size_t d = 0; d < results.size(); ++d) {
      // Already gone counts as deleted: a pass may have died half-way.
      if (results[d].is_ok() || results[d].code() == Code::kNotFound) {
        ++stats_.fragments_collected;
      } else {
        complete[record_of[d] - from] = false;
      }
    }
    for (size_t r = from; r < to; ++r) {
      if (complete[r - from]) done.push_back(all[r].id);
    }
  }
  if (done.empty()) co_return uint64_t{0};
  const uint64_t n = done.size();
  if (Status s = co_await metadata_.remove_garbage(std::move(done)); !s.is_ok()) co_return s;
  co_return n;
}

Task<void> ObjectGateway::run_collector(Duration interval, Duration grace, uint64_t* collected_total) {
  constexpr size_t kRecordsPerPass = 64;
  for (;;) {
    co_await sleep(rt_, interval);
    // Drain the backlog in batches; a failed pass waits for the next tick.
    for (;;) {
      auto collected = co_await collect_garbage(grace, kRecordsPerPass);
      if (collected.is_ok() && collected_total) *collected_total += collected.value();
      if (!collected.is_ok() || collected.value() < kRecordsPerPass) break;
    }
  }
}

}  // namespace tessera

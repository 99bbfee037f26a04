// Writing one placement of a stripe: every fragment to its disk, and a
// fragment whose write failed, or lags far behind its stripe's others, is
// written again to a replacement disk that keeps the placement rule (up to
// kSlotMovesMax times: the replacement may be slow too). A slot that moved
// keeps its new disk whatever the old write does later (a copy that lands
// there is an orphan for the sweep), so each change to the placement is
// checked against the placement as it stands.
#include <coroutine>

#include "core/invariants.h"
#include "core/storage/fragment_format.h"
#include "core/storage/storage_service.h"
#include "core/stripe/stripe_store.h"
#include "io_abstraction/combinators.h"

namespace tessera {

// A slot's wake-up, fired by its writes ending or by its falling behind;
// unlike a one-shot wake-up it can be awaited again.
struct StripeStore::SlotSignal {
  std::coroutine_handle<> waiter;
  bool pending = false;
  void fire(Runtime& rt) {
    pending = true;
    if (!waiter) return;
    auto h = waiter;
    waiter = nullptr;
    rt.post_after(Duration{0}, [h] { h.resume(); });
  }
  auto wait() {
    struct Awaiter {
      SlotSignal& s;
      bool await_ready() const noexcept { return s.pending; }
      void await_suspend(std::coroutine_handle<> h) noexcept { s.waiter = h; }
      void await_resume() const noexcept { s.pending = false; }
    };
    return Awaiter{*this};
  }
};

struct StripeStore::Slot {
  uint32_t attempt = 0;           // 0: the placement's disk; each move adds one
  std::optional<Status> result;   // of the current attempt's write
  bool lagging = false;           // the current attempt fell behind
  bool resolved = false;
  SlotSignal signal;
};

struct StripeStore::WriteRound {
  std::vector<DiskRef> at;           // each slot's disk as it stands
  PlacementFilter filter;  // disks (nodes) that failed or lagged are left out
  PlacementRequest request;
  std::vector<Slot> slots;
  uint32_t succeeded = 0;
  Instant started;
  std::optional<Duration> lag_after;  // known once k slots are written
};

namespace {

// The broken variant's write-back: the writes start a while after the
// commit, as a cache that acknowledges before it flushes would.
Task<void> flush_later(Runtime& rt, std::vector<Task<Status>> writes) {
  co_await sleep(rt, Duration::millis(50));
  co_await when_all(rt, std::move(writes));
}

// Spawns attempt's write as a root task that records its status in slot
// and wakes it; an attempt the slot has moved on from is ignored.
template <typename SlotT>
void start_write(Runtime& rt, std::shared_ptr<void> keep, SlotT* slot, Task<Status> write) {
  rt.spawn([](Runtime& rt, std::shared_ptr<void> keep, SlotT* slot, uint32_t attempt, Task<Status> w) -> Task<void> {
    Status s = co_await std::move(w);
    if (slot->attempt != attempt || slot->resolved) co_return;
    slot->result = std::move(s);
    slot->signal.fire(rt);
  }(rt, std::move(keep), slot, slot->attempt, std::move(write)));
}

}  // namespace

// Marks slot i lagging if its current attempt is still unanswered after d.
void StripeStore::watch_lag(const std::shared_ptr<WriteRound>& round, uint32_t i, Duration d) {
  rt_.post_after(d, [rt = &rt_, round, i, attempt = round->slots[i].attempt] {
    Slot& slot = round->slots[i];
    if (slot.resolved || slot.result || slot.attempt != attempt) return;
    slot.lagging = true;
    slot.signal.fire(*rt);
  });
}

// Once k slots hold their fragment, a slot still writing after twice the
// time that took (at least hedge_writes_after) is lagging; so is a moved
// one that takes that long again.
void StripeStore::on_slot_succeeded(const std::shared_ptr<WriteRound>& round) {
  if (++round->succeeded != round->request.k || config_.hedge_writes_after.us == 0) return;
  const Duration took = rt_.now() - round->started;
  round->lag_after = std::max(took, config_.hedge_writes_after);
  for (uint32_t i = 0; i < round->slots.size(); ++i) {
    const Slot& slot = round->slots[i];
    if (slot.resolved || slot.result) continue;
    // The first attempts have run for `took` already; moved ones start afresh.
    watch_lag(round, i, slot.attempt == 0 ? *round->lag_after : *round->lag_after + took);
  }
}

// Moves slot i off its disk to a replacement and starts the write there;
// false when no disk keeps the rule with the others as they stand.
bool StripeStore::move_slot(const std::shared_ptr<WriteRound>& round, uint32_t i, const proto::FragmentId& base,
                            const EncodedPart& encoded, const std::vector<Sha256>& digests) {
  Slot& slot = round->slots[i];
  if (slot.attempt >= kSlotMovesMax) return false;
  // A node that answered about its disk (gone, full, failing) or a disk
  // that lags: that disk is out. No answer: the whole node is.
  const DiskRef from = round->at[i];
  const std::optional<Status>& failed = slot.result;
  const bool node_answered = !failed || (failed->code() != Code::kTimeout && failed->code() != Code::kUnavailable);
  if (failed && failed->code() == Code::kDiskGone) mark_gone(from);  // for every later stripe too
  if (!failed) lagged_until_[from] = rt_.now() + kLaggardFor;        // and a slow one for a while
  if (node_answered) {
    round->filter.disks_out.insert(from);
  } else {
    round->filter.nodes_out.insert(from.node);
  }
  std::vector<DiskRef> kept = round->at;
  kept.erase(kept.begin() + i);
  auto to = disks_.pick_replacement(kept, round->request, round->filter);
  if (!to.is_ok()) return false;
  round->at[i] = to.value();
  add_usage(to.value(), round->request.fragment_bytes);
  ++stats_.fragment_writes_moved;
  if (!failed) ++stats_.fragment_writes_lagged;
  ++slot.attempt;
  slot.result.reset();
  slot.lagging = false;
  proto::FragmentId id = base;
  id.set_index(i);
  start_write(rt_, round, &slot,
              tessera::put_fragment(rpc_, NodeId(to.value().node), to.value().disk, std::move(id),
                                    std::string(encoded.fragments[i]), config_.fragment_deadline, digests[i]));
  if (round->lag_after) watch_lag(round, i, *round->lag_after);
  return true;
}

Task<Status> StripeStore::run_slot(std::shared_ptr<WriteRound> round, uint32_t i, proto::FragmentId base,
                                   const EncodedPart& encoded, const std::vector<Sha256>& digests) {
  Slot& slot = round->slots[i];
  for (;;) {
    co_await slot.signal.wait();
    if (slot.result && slot.result->is_ok()) {
      slot.resolved = true;
      co_return Status::ok();
    }
    if (!slot.result && !slot.lagging) continue;
    if (move_slot(round, i, base, encoded, digests)) continue;
    if (slot.result) {
      slot.resolved = true;
      co_return *slot.result;  // failed, and nowhere else to go
    }
    slot.lagging = false;  // no replacement keeps the rule: wait for this write
  }
}

Task<Status> StripeStore::write_fragments(const proto::FragmentId& base, const EncodedPart& encoded,
                                          const std::vector<Sha256>& digests, std::vector<DiskRef>& placement,
                                          PlacementFilter& filter, const PlacementRequest& request,
                                          std::vector<uint32_t>& failed) {
  // Each payload is its fragment's blob as it will lie on disk: built off
  // the loop, with the only copy of the bytes on the way to the disk.
  std::vector<std::string> payloads(placement.size());
  co_await offload(rt_, [&] {
    for (uint32_t i = 0; i < placement.size(); ++i) {
      proto::FragmentId id = base;
      id.set_index(i);
      INVARIANT(invariant::kStripeVersion, id.version() == base.version() && id.part() == base.part());
      payloads[i] = encode_put_payload(placement[i].disk, id, encoded.fragments[i], digests[i]);
    }
    return true;
  });
  if (broken_.commit_before_fragments) {
    // Broken on purpose (tests only): report success before any write is
    // sent, so the commit precedes durable fragments and a gateway crash in
    // between loses them.
    std::vector<Task<Status>> writes;
    for (uint32_t i = 0; i < placement.size(); ++i) {
      writes.push_back(tessera::put_fragment(rpc_, NodeId(placement[i].node), std::move(payloads[i]),
                                             config_.fragment_deadline));
    }
    rt_.spawn(flush_later(rt_, std::move(writes)));
    stats_.fragments_written += placement.size();
    co_return Status::ok();
  }
  auto round = std::make_shared<WriteRound>();
  round->at = placement;
  round->filter = filter;
  round->request = request;
  round->slots = std::vector<Slot>(placement.size());
  round->started = rt_.now();
  std::vector<Task<Status>> slots;
  for (uint32_t i = 0; i < placement.size(); ++i) {
    start_write(rt_, round, &round->slots[i],
                tessera::put_fragment(rpc_, NodeId(placement[i].node), std::move(payloads[i]),
                                      config_.fragment_deadline));
    slots.push_back([](StripeStore* self, std::shared_ptr<WriteRound> round, uint32_t i, proto::FragmentId base,
                       const EncodedPart& encoded, const std::vector<Sha256>& digests) -> Task<Status> {
      Status s = co_await self->run_slot(round, i, std::move(base), encoded, digests);
      if (s.is_ok()) self->on_slot_succeeded(round);
      co_return s;
    }(this, round, i, base, encoded, digests));
  }
  std::vector<Status> results = co_await when_all(rt_, std::move(slots));
  Status last;
  for (uint32_t i = 0; i < results.size(); ++i) {
    if (results[i].is_ok()) {
      ++stats_.fragments_written;
    } else {
      ++stats_.fragment_write_failures;
      failed.push_back(i);
      last = results[i];
    }
  }
  placement = round->at;
  filter = round->filter;
  co_return last;
}

}  // namespace tessera

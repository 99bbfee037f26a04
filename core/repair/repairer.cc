#include "core/repair/repairer.h"

#include <algorithm>

#include "core/gateway/gateway_util.h"
#include "core/repair/inventory_compare.h"
#include "core/storage/fragment_format.h"
#include "core/storage/storage_service.h"
#include "core/invariants.h"
#include "io_abstraction/assert.h"
#include "io_abstraction/combinators.h"

namespace tessera {
namespace {

std::vector<DiskRef> refs_of(const std::vector<proto::FragmentLocation>& locations) {
  std::vector<DiskRef> out;
  for (const auto& f : locations) out.push_back(DiskRef{f.node(), f.disk()});
  return out;
}

}  // namespace

using namespace gateway_util;

namespace {
constexpr uint32_t kListPage = 1000;

}  // namespace

Repairer::Repairer(StripeStore& stripes, MetadataStore& metadata, std::vector<StorageClass> classes,
                   RepairConfig config)
    : stripes_(stripes),
      metadata_(metadata),
      classes_(std::move(classes)),
      config_(config),
      sweep_(stripes, metadata, config.orphan_grace) {
  ASSERT(!classes_.empty());
  ASSERT(config_.bytes_per_second > 0);
  ASSERT(config_.stripes_in_parallel > 0);
}

Task<Status> Repairer::referenced_stripes(std::vector<ReferencedStripe>& out) {
  MetadataStore& md = metadata_;
  auto buckets = co_await md.list_buckets();
  if (!buckets.is_ok()) co_return buckets.status();
  for (const proto::BucketRecord& bucket : buckets.value()) {
    const std::string& name = bucket.name();
    auto level_of = [&](const std::string& cls) {
      auto c = class_for(classes_, bucket, cls);
      return c.is_ok() ? c.value()->level : classes_.front().level;
    };
    auto add = [&](StripeOwner owner, uint64_t default_version, const proto::StripeRecord& part, FailureDomain level) {
      if (part.fragments_size() == 0) return;  // inline
      std::string object = object_id(owner.bucket, owner.key);
      const uint64_t fragment_version = fragment_version_of(part, default_version);
      std::vector<std::string> names = fragment_blob_names(object, fragment_version, part);
      out.push_back(Stripe{owner, std::move(object), fragment_version, part, level, std::move(names)});
    };
    ListVersionsRequest versions;
    versions.max_keys = kListPage;
    for (;;) {
      auto page = co_await md.list_versions(name, versions);
      if (!page.is_ok()) co_return page.status();
      for (const VersionEntry& e : page.value().versions) {
        const proto::ObjectVersion& v = e.version;
        if (v.delete_marker()) continue;
        const FailureDomain level = level_of(v.storage_class());
        for (const proto::StripeRecord& part : v.stripes()) {
          add(StripeOwner{name, v.key(), v.version(), "", 0}, v.fragment_version(), part, level);
        }
      }
      if (!page.value().truncated) break;
      versions.key_marker = page.value().next_key_marker;
      versions.version_id_marker = page.value().next_version_id_marker;
    }
    ListUploadsRequest uploads;
    uploads.max_uploads = kListPage;
    for (;;) {
      auto page = co_await md.list_uploads(name, uploads);
      if (!page.is_ok()) co_return page.status();
      for (const proto::UploadRecord& u : page.value().uploads) {
        const FailureDomain level = level_of(u.storage_class());
        uint32_t after = 0;
        for (;;) {
          auto parts = co_await md.list_upload_parts(name, u.key(), u.upload_id(), after, kListPage);
          if (parts.code() == Code::kNotFound) break;  // completed or aborted meanwhile
          if (!parts.is_ok()) co_return parts.status();
          for (const proto::UploadPartRecord& p : parts.value().parts) {
            for (const proto::StripeRecord& stripe : p.stripes()) {
              add(StripeOwner{name, u.key(), 0, u.upload_id(), p.number()}, 0, stripe, level);
            }
            after = p.number();
          }
          if (!parts.value().truncated) break;
        }
      }
      if (!page.value().truncated || page.value().uploads.empty()) break;
      uploads.key_marker = page.value().uploads.back().key();
      uploads.upload_id_marker = page.value().uploads.back().upload_id();
    }
  }
  co_return Status::ok();
}

Task<Status> Repairer::fetch_inventory(DiskRef disk, const InventoryTree* expected, DiskInventory* out) {
  InventoryAsk ask = [this, disk](proto::InventoryTreeRequest request) {
    return stripes_.ask_inventory_tree(disk, std::move(request));
  };
  InventoryDiff diff;
  auto compared = co_await compare_inventory(*expected, std::move(ask), &diff);
  progress_.inventory_messages += diff.messages;
  progress_.inventory_bytes += diff.bytes;
  if (compared.code() == Code::kDiskGone) {
    out->answered = out->failed = true;
    stripes_.mark_gone(disk);  // the gateway's placement learns it too
    co_return Status::ok();
  }
  if (!compared.is_ok()) {
    *out = DiskInventory{};  // no answer: nothing known about this disk
    co_return Status::ok();
  }
  out->answered = true;
  out->missing.insert(diff.missing.begin(), diff.missing.end());
  out->extra.insert(diff.extra.begin(), diff.extra.end());
  out->corrupt.insert(diff.corrupt.begin(), diff.corrupt.end());
  co_return Status::ok();
}

Repairer::FragmentState Repairer::state_of(const Stripe& s, uint32_t index) const {
  const auto& loc = s.part.fragments(static_cast<int>(index));
  if (stripes_.node_out(NodeId(loc.node()))) return FragmentState::kNodeOut;
  auto it = inventory_.find(DiskRef{loc.node(), loc.disk()});
  if (it == inventory_.end() || !it->second.answered) return FragmentState::kUnknown;
  if (it->second.failed) return FragmentState::kDiskGone;
  const std::string& name = s.blob_names[index];
  if (it->second.corrupt.count(name) > 0) return FragmentState::kCorrupt;
  if (it->second.missing.count(name) > 0) return FragmentState::kMissing;
  return FragmentState::kOk;
}

Task<bool> Repairer::repair(const Stripe& s, uint64_t traffic) {
  const bool whole = co_await rebuild(s);
  ++progress_.pass_stripes_done;
  progress_.pass_rebuild_bytes_done += traffic;
  co_return whole;
}

// One stripe's rebuild, step by step: what was read, what is bad, the
// bytes to write and where.
struct Repairer::Rebuild {
  Rebuild(const Stripe& stripe, const ReedSolomon* rs)
      : s(stripe), codec(rs), k(stripe.part.k()), m(stripe.part.m()), n(k + m) {}
  const Stripe& s;
  const ReedSolomon* codec;
  uint32_t k, m, n;
  bool from_reads = false;  // a stripe a GET found damaged, not one a pass listed
  std::vector<FragmentState> state;
  std::vector<Result<std::string>> got;
  // bad: fragments to write back. Lost ones are rebuilt from any k good
  // ones; a good one that was reported corrupt (a read that rotted in
  // transit, say) is rewritten with its own verified bytes, which clears
  // the report.
  std::vector<uint32_t> bad, lost;
  std::vector<const uint8_t*> present;
  uint32_t good = 0;
  bool unresolved = false;  // a fragment neither good nor known lost
  bool presumed = false;    // a fragment on an out node counted lost: no proof of loss
  std::vector<std::string> rebuilt;  // rebuilt[b]: the bytes of bad[b]
  std::vector<proto::FragmentLocation> before, after;
  std::vector<DiskRef> targets;  // targets[b]: where bad[b] goes
  std::vector<bool> moved;       // to another disk (its own is gone)
  std::vector<Status> wrote;
  uint64_t moved_bytes = 0;

  DiskRef loc(uint32_t i) const {
    const auto& f = s.part.fragments(static_cast<int>(i));
    return DiskRef{f.node(), f.disk()};
  }
  proto::FragmentId id(uint32_t i) const { return fragment_id(s.object, s.fragment_version, s.part.number(), i); }
};

Task<bool> Repairer::rebuild(const Stripe& s, bool from_reads) {
  const proto::StripeRecord& part = s.part;
  auto codec = stripes_.codec(part.k(), part.m());
  if (!codec.is_ok() || static_cast<uint32_t>(part.fragments_size()) != part.k() + part.m()) {
    ++progress_.stripes_unrepairable;
    co_return false;
  }
  Rebuild r(s, codec.value());
  r.from_reads = from_reads;
  co_await read_fragments(r);
  if (r.bad.empty()) co_return !r.unresolved;
  if (r.good < r.k && !r.unresolved && !r.presumed) {
    // Every fragment was found good or gone, and fewer than k are good: lost.
    ++progress_.stripes_unrepairable;
    co_await mark_lost(r.s, r.lost);
    co_return false;
  }
  bool placed = r.good >= r.k;
  if (placed) placed = co_await decode(r);
  if (placed) placed = choose_targets(r);
  if (!placed) {
    ++progress_.stripes_unrepairable;
    co_return false;
  }
  const bool all_written = co_await write_fragments(r);
  auto committed = co_await commit(r);
  if (!committed.is_ok()) co_return committed.code() == Code::kNotFound;  // gone: nothing left to repair
  // The rate budget: this worker's share of bytes_per_second.
  co_await sleep(stripes_.runtime(), Duration::micros(static_cast<int64_t>(r.moved_bytes * config_.stripes_in_parallel *
                                                                     1'000'000 / config_.bytes_per_second)));
  if (all_written && !r.unresolved) ++progress_.stripes_repaired;
  co_return all_written && !r.unresolved;
}

// Reads every fragment it can reach (each verified on arrival) and sorts
// them into good, bad (to write back) and lost (to rebuild).
Task<void> Repairer::read_fragments(Rebuild& r) {
  r.state.resize(r.n);
  std::vector<Task<Result<std::string>>> reads;
  for (uint32_t i = 0; i < r.n; ++i) {
    // Healing on read there is no inventory: every fragment is read, and
    // what the reads find decides.
    r.state[i] = r.from_reads ? FragmentState::kOk : state_of(r.s, i);
    const bool reachable = r.state[i] != FragmentState::kUnknown && r.state[i] != FragmentState::kDiskGone &&
                           r.state[i] != FragmentState::kNodeOut && stripes_.node_up(NodeId(r.loc(i).node));
    if (reachable) {
      reads.push_back(stripes_.get_fragment(r.loc(i), r.id(i)));
    } else {
      reads.push_back([]() -> Task<Result<std::string>> { co_return Status(Code::kUnavailable, "not read"); }());
    }
  }
  r.got = co_await when_all(stripes_.runtime(), std::move(reads));
  r.present.assign(r.n, nullptr);
  const uint64_t fragment_bytes = r.s.part.fragment_bytes();
  for (uint32_t i = 0; i < r.n; ++i) {
    const Code code = r.got[i].code();
    if (r.got[i].is_ok() && r.got[i].value().size() == fragment_bytes) {
      r.present[i] = reinterpret_cast<const uint8_t*>(r.got[i].value().data());
      ++r.good;
      // Reported corrupt, or marked lost once: written back, which clears it.
      if (r.state[i] == FragmentState::kCorrupt || r.s.part.fragments(static_cast<int>(i)).lost()) r.bad.push_back(i);
    } else if (r.state[i] == FragmentState::kNodeOut) {
      r.bad.push_back(i);
      r.lost.push_back(i);
      r.presumed = true;
    } else if (r.got[i].is_ok() || read_proves_lost(code) || r.state[i] == FragmentState::kMissing ||
               r.state[i] == FragmentState::kDiskGone) {
      r.bad.push_back(i);
      r.lost.push_back(i);
      if (code == Code::kDiskGone) r.state[i] = FragmentState::kDiskGone;
    } else {
      r.unresolved = true;  // unreachable now: neither good nor known lost
    }
  }
  r.moved_bytes = uint64_t{r.good} * fragment_bytes;
  ASSERT(r.lost.size() <= r.bad.size());
}

// The bytes of every bad fragment: its own verified ones, or decoded from
// k good ones.
Task<bool> Repairer::decode(Rebuild& r) {
  ASSERT(r.good >= r.k);
  const uint64_t fragment_bytes = r.s.part.fragment_bytes();
  r.rebuilt.reserve(r.bad.size());  // out points into its strings
  std::vector<uint8_t*> out;
  for (uint32_t i : r.bad) {
    if (r.present[i]) {
      r.rebuilt.push_back(r.got[i].value());
    } else {
      r.rebuilt.emplace_back(fragment_bytes, '\0');
      out.push_back(reinterpret_cast<uint8_t*>(r.rebuilt.back().data()));
    }
  }
  Status decoded = Status::ok();
  if (!r.lost.empty()) {  // not `?:` around co_await (GCC 12 bugs)
    const ReedSolomon* rs = r.codec;
    decoded = co_await offload(stripes_.runtime(), [&] { return rs->reconstruct(fragment_bytes, r.present, r.lost, out); });
  }
  if (!decoded.is_ok()) co_return false;
  if (broken_rebuild_) {  // test only: another index's (good) bytes
    for (size_t b = 0; b < r.bad.size(); ++b) {
      for (uint32_t j = 0; j < r.n; ++j) {
        if (r.present[j] && j != r.bad[b]) {
          r.rebuilt[b] = r.got[j].value();
          break;
        }
      }
    }
  }
  co_return true;
}

// Where each bad fragment goes: in place, or for a gone disk or an out node
// a replacement that keeps the placement rule. false when there is none.
bool Repairer::choose_targets(Rebuild& r) {
  const proto::StripeRecord& part = r.s.part;
  r.before.assign(part.fragments().begin(), part.fragments().end());
  r.after = r.before;
  // Nor a disk this pass found gone.
  PlacementFilter filter = stripes_.live_disks();
  filter.disks_out = disks_failed_;
  for (uint32_t i : r.bad) {
    if (r.state[i] != FragmentState::kDiskGone && r.state[i] != FragmentState::kNodeOut) {
      r.targets.push_back(r.loc(i));
      r.moved.push_back(false);
      continue;
    }
    std::vector<DiskRef> kept;
    for (uint32_t j = 0; j < r.n; ++j) {
      if (j != i) kept.push_back(DiskRef{r.after[j].node(), r.after[j].disk()});
    }
    PlacementRequest request{r.k, r.m, r.s.level, placement_key(r.s.object, r.s.fragment_version, part.number()),
                             part.fragment_bytes() + kFragmentHeaderBytesMax};
    auto pick = stripes_.placement().pick_replacement(kept, request, filter);
    if (!pick.is_ok()) return false;
    r.after[i].set_node(pick.value().node);
    r.after[i].set_disk(pick.value().disk);
    r.targets.push_back(pick.value());
    r.moved.push_back(true);
  }
  ASSERT(r.targets.size() == r.bad.size() && r.moved.size() == r.bad.size());
  // Moves keep the rule of a stripe that kept it (one written by a broken
  // variant may not have).
  const PlacementIndex& placement = stripes_.placement();
  const bool held = placement.keeps_rule(refs_of(r.before), r.m, r.s.level);
  INVARIANT(invariant::kPlacement, !held || placement.keeps_rule(refs_of(r.after), r.m, r.s.level));
  return true;
}

// Writes every bad fragment to its target; true when all were written. A
// move that failed is not made.
Task<bool> Repairer::write_fragments(Rebuild& r) {
  std::vector<Task<Status>> writes;
  for (size_t b = 0; b < r.bad.size(); ++b) {
    // A rebuilt fragment keeps its stripe's version: never mixed with another write's.
    INVARIANT(invariant::kStripeVersion, r.id(r.bad[b]).version() == r.s.fragment_version &&
                                             r.rebuilt[b].size() == r.s.part.fragment_bytes());
    writes.push_back(stripes_.put_fragment(r.targets[b], r.id(r.bad[b]), r.rebuilt[b]));
  }
  r.wrote = co_await when_all(stripes_.runtime(), std::move(writes));
  r.moved_bytes += r.bad.size() * r.s.part.fragment_bytes();
  bool all_written = true;
  for (size_t b = 0; b < r.bad.size(); ++b) {
    if (r.wrote[b].is_ok()) {
      r.after[r.bad[b]].set_lost(false);  // it exists again
      continue;
    }
    all_written = false;
    if (r.moved[b]) r.after[r.bad[b]] = r.before[r.bad[b]];  // not moved after all
  }
  co_return all_written;
}

// Commits the moves (or, with none, checks the stripe is still referenced)
// and counts what was done; a refused commit deletes the moved copies.
Task<Status> Repairer::commit(Rebuild& r) {
  const proto::StripeRecord& part = r.s.part;
  Status committed = co_await metadata_.move_stripe(r.s.owner, part.fragment_version(), part.number(),
                                                              r.before, r.after);
  // No answer: the move may have been committed, so the moved copies stay
  // (if it was not, the orphan sweep finds them); the next pass sees which.
  if (!committed.is_ok() && outcome_unknown(committed)) co_return Status(Code::kUnavailable, "move unanswered");
  if (!committed.is_ok()) {
    // The record changed or went: the moved copies are referenced by
    // nothing, so they go. In-place ones stay: the stripe may live on
    // elsewhere (an upload's part becomes its object's at completion), and
    // if it became garbage the collector deletes that location anyway.
    std::vector<Task<Status>> deletes;
    for (size_t b = 0; b < r.bad.size(); ++b) {
      if (!r.wrote[b].is_ok() || !r.moved[b]) continue;
      deletes.push_back(stripes_.delete_fragment(r.targets[b], r.id(r.bad[b])));
    }
    co_await when_all(stripes_.runtime(), std::move(deletes));
    co_return committed;
  }
  for (size_t b = 0; b < r.bad.size(); ++b) {
    if (!r.wrote[b].is_ok()) continue;
    ++(r.moved[b] ? progress_.fragments_moved : progress_.fragments_rebuilt);
    if (!r.moved[b]) continue;
    stripes_.add_usage(r.targets[b], part.fragment_bytes() + kFragmentHeaderBytesMax);
  }
  co_return Status::ok();
}

std::vector<Repairer::Damaged> Repairer::damaged_in_order(const std::vector<Stripe>& stripes) {
  std::vector<Damaged> damaged;
  for (size_t i = 0; i < stripes.size(); ++i) {
    const proto::StripeRecord& part = stripes[i].part;
    uint32_t survivors = 0;
    bool hurt = false;
    for (uint32_t f = 0; f < static_cast<uint32_t>(part.fragments_size()); ++f) {
      const FragmentState st = state_of(stripes[i], f);
      survivors += st == FragmentState::kOk ? 1 : 0;
      hurt = hurt || st == FragmentState::kMissing || st == FragmentState::kCorrupt || st == FragmentState::kDiskGone ||
             st == FragmentState::kNodeOut || part.fragments(static_cast<int>(f)).lost();
    }
    // Found lost before, and no more of it came back: reported, not re-read.
    if (stripe_lost(part) && survivors < part.k()) {
      report_lost(stripes[i], part);
      continue;
    }
    if (!hurt) continue;
    const uint64_t bad = static_cast<uint64_t>(part.fragments_size()) - survivors;
    damaged.push_back(Damaged{survivors, i, part.fragment_bytes() * (part.k() + bad)});
  }
  std::stable_sort(damaged.begin(), damaged.end(),
                   [](const Damaged& a, const Damaged& b) { return a.survivors < b.survivors; });
  progress_.pass_stripes_damaged = damaged.size();
  for (const Damaged& d : damaged) {
    ++progress_.pass_damaged_by_survivors[d.survivors];
    progress_.pass_rebuild_bytes += d.traffic;
  }
  return damaged;
}

Task<Result<Repairer::PassResult>> Repairer::pass() {
  progress_.in_pass = true;
  progress_.pass_stripes_total = progress_.pass_stripes_damaged = progress_.pass_stripes_done = 0;
  progress_.pass_damaged_by_survivors.clear();
  progress_.pass_rebuild_bytes = progress_.pass_rebuild_bytes_done = 0;
  // Metadata first: a stripe committed after its fragments were durable is
  // then in the inventories taken next.
  std::vector<Stripe> stripes;
  Status listed = co_await referenced_stripes(stripes);
  if (!listed.is_ok()) {
    progress_.in_pass = false;
    co_return listed;
  }
  progress_.pass_stripes_total = stripes.size();
  pass_lost_.clear();
  inventory_.clear();
  disks_failed_.clear();
  std::vector<DiskRef> disks;
  for (const DiskInfo& d : stripes_.disks()) {
    if (stripes_.node_up(NodeId(d.ref.node))) disks.push_back(d.ref);
  }
  // What each disk should hold, as the trees its storage node keeps
  // (a few microseconds a fragment: off the loop).
  std::map<DiskRef, InventoryTree> expected = co_await offload(stripes_.runtime(), [&stripes, &disks] {
    std::map<DiskRef, InventoryTree> trees;
    for (const DiskRef& d : disks) trees[d];
    for (const Stripe& s : stripes) {
      for (int i = 0; i < s.part.fragments_size(); ++i) {
        auto it = trees.find(DiskRef{s.part.fragments(i).node(), s.part.fragments(i).disk()});
        if (it != trees.end()) it->second.insert(s.blob_names[static_cast<size_t>(i)]);
      }
    }
    return trees;
  });
  std::vector<DiskInventory> found(disks.size());
  std::vector<Task<Status>> fetches;
  for (size_t i = 0; i < disks.size(); ++i) fetches.push_back(fetch_inventory(disks[i], &expected[disks[i]], &found[i]));
  co_await when_all(stripes_.runtime(), std::move(fetches));
  for (size_t i = 0; i < disks.size(); ++i) {
    if (found[i].failed) disks_failed_.insert(disks[i]);
    inventory_[disks[i]] = std::move(found[i]);
  }

  const std::vector<Damaged> damaged = damaged_in_order(stripes);
  PassResult result;
  result.damaged = damaged.size();
  std::function<Task<bool>(size_t)> repair_one = [&](size_t i) {
    return repair(stripes[damaged[i].index], damaged[i].traffic);
  };
  std::vector<bool> whole =
      co_await for_each_bounded(stripes_.runtime(), damaged.size(), config_.stripes_in_parallel, std::move(repair_one));
  for (bool w : whole) ++(w ? result.repaired : result.unresolved);
  co_await sweep_orphans(stripes);
  lost_ = std::move(pass_lost_);
  pass_lost_.clear();
  progress_.stripes_lost = lost_.size();
  result.lost = lost_stripes();
  inventory_.clear();
  disks_failed_.clear();
  ++progress_.passes;
  progress_.in_pass = false;
  co_return result;
}

Task<Status> Repairer::sweep_orphans(const std::vector<Stripe>& stripes) {
  if (config_.orphan_grace.us <= 0) co_return Status::ok();
  // What the metadata references, per disk (the sweep adds the garbage
  // the collector is going to delete itself).
  std::map<DiskRef, std::set<std::string>> referenced;
  for (const Stripe& s : stripes) {
    for (int i = 0; i < s.part.fragments_size(); ++i) {
      const auto& loc = s.part.fragments(i);
      referenced[DiskRef{loc.node(), loc.disk()}].insert(s.blob_names[static_cast<size_t>(i)]);
    }
  }
  Status swept = co_await sweep_.sweep(std::move(referenced), inventory_);
  progress_.orphans_pending = sweep_.pending();
  progress_.orphans_deleted = sweep_.deleted();
  co_return swept;
}

Task<void> Repairer::run(Duration interval, std::function<void(const PassResult&)> on_pass) {
  for (;;) {
    co_await sleep(stripes_.runtime(), interval);
    auto result = co_await pass();
    if (result.is_ok() && on_pass) on_pass(result.value());
  }
}

}  // namespace tessera

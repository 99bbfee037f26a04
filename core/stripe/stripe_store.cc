#include "core/stripe/stripe_store.h"

#include <algorithm>

#include "core/gateway/gateway_util.h"
#include "core/invariants.h"
#include "core/storage/fragment_format.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

std::vector<std::string> fragment_blob_names(const std::string& object, uint64_t fragment_version,
                                             const proto::StripeRecord& stripe) {
  std::vector<std::string> names;
  for (uint32_t i = 0; i < static_cast<uint32_t>(stripe.fragments_size()); ++i) {
    names.push_back(fragment_blob_name(fragment_id(object, fragment_version, stripe.number(), i)));
  }
  return names;
}

uint32_t fragments_left(const proto::StripeRecord& stripe) {
  return static_cast<uint32_t>(std::count_if(stripe.fragments().begin(), stripe.fragments().end(),
                                             [](const proto::FragmentLocation& f) { return !f.lost(); }));
}

bool stripe_lost(const proto::StripeRecord& stripe) {
  return stripe.fragments_size() > 0 && fragments_left(stripe) < stripe.k();
}

StripeStore::StripeStore(Runtime& rt, RpcEndpoint& rpc, std::vector<DiskInfo> disks, StripeConfig config)
    : rt_(rt), rpc_(rpc), disks_(std::move(disks)), config_(config) {
  ASSERT(config_.fragment_deadline.us > 0);
}

void StripeStore::add_usage(const DiskRef& disk, uint64_t bytes) {
  const bool known = disks_.update(disk, [bytes](DiskInfo& d) {
    d.used_bytes = std::min(d.capacity_bytes, d.used_bytes + bytes);
    if (d.free_bytes != UINT64_MAX) d.free_bytes -= std::min(d.free_bytes, bytes);
  });
  ASSERT(known && "bytes written to a disk placement does not know");
}

void StripeStore::release_usage(const DiskRef& disk, uint64_t bytes) {
  disks_.update(disk, [bytes](DiskInfo& d) {
    d.used_bytes -= std::min(d.used_bytes, bytes);
    if (d.free_bytes != UINT64_MAX) d.free_bytes = std::min(d.capacity_bytes, d.free_bytes + bytes);
  });
}

void StripeStore::report_disks(NodeId node, const google::protobuf::RepeatedPtrField<proto::DiskReport>& disks) {
  for (const proto::DiskReport& r : disks) {
    // A disk the cluster file does not list is not updated.
    disks_.update(DiskRef{node.value, r.disk()}, [&r, this](DiskInfo& d) {
      if (r.gone() && broken_.placement_ignores_disk_state) return;  // broken: its fill frozen, still chosen
      d.gone = r.gone();
      if (d.gone) return;
      d.used_bytes = std::min(d.capacity_bytes, r.used_bytes());
      d.free_bytes = r.free_bytes();
    });
  }
}

void StripeStore::mark_gone(const DiskRef& disk) {
  if (broken_.placement_ignores_disk_state) return;
  disks_.update(disk, [](DiskInfo& d) { d.gone = true; });
}

uint64_t StripeStore::disks_gone() const {
  const std::vector<DiskInfo>& all = disks_.disks();
  return static_cast<uint64_t>(std::count_if(all.begin(), all.end(), [](const DiskInfo& d) { return d.gone; }));
}

PlacementFilter StripeStore::live_disks() const {
  PlacementFilter filter;
  if (node_up_) filter.node_usable = [this](uint32_t node) { return node_up(NodeId(node)); };
  return filter;
}

Status StripeStore::can_place(const StorageClass& cls, const std::function<bool(NodeId)>& usable) const {
  PlacementRequest request{cls.k, cls.m, cls.level, 0, kFragmentHeaderBytesMax};
  PlacementFilter filter;
  filter.node_usable = [&usable](uint32_t node) { return usable(NodeId(node)); };
  auto placed = disks_.pick(request, filter);
  return placed.is_ok() ? Status::ok() : placed.status();
}

void StripeStore::avoid_laggards(PlacementFilter& filter, const PlacementRequest& request) {
  const Instant now = rt_.now();
  std::erase_if(lagged_until_, [now](const auto& entry) { return entry.second <= now; });
  if (lagged_until_.empty()) return;  // the common case: no second pick
  PlacementFilter brisk = filter;
  for (const auto& [disk, until] : lagged_until_) brisk.disks_out.insert(disk);
  if (disks_.pick(request, brisk).is_ok()) filter = std::move(brisk);
}

Result<const ReedSolomon*> StripeStore::codec(uint32_t k, uint32_t m) {
  auto found = codecs_.find({k, m});
  if (found != codecs_.end()) return &found->second;
  auto created = ReedSolomon::create(k, m);
  if (!created.is_ok()) return created.status();
  return &codecs_.emplace(std::make_pair(k, m), std::move(created).value()).first->second;
}

Task<Result<proto::StripeRecord>> StripeStore::write(std::string object, const StorageClass& cls,
                                                     uint64_t fragment_version, uint32_t number,
                                                     const std::string& bytes) {
  ASSERT(!bytes.empty() && fragment_version != 0);
  auto codec = this->codec(cls.k, cls.m);
  if (!codec.is_ok()) co_return codec.status();
  EncodedPart encoded;
  std::vector<Sha256> digests;
  co_await offload(rt_, [&] {
    codec.value()->encode(bytes, encoded);
    for (const auto& f : encoded.fragments) digests.push_back(sha256(f));
    return true;
  });
  ASSERT(encoded.fragments.size() == cls.k + cls.m && digests.size() == encoded.fragments.size());
  auto stripe =
      co_await place_and_write(std::move(object), cls, fragment_version, number, encoded, digests, bytes.size());
  if (stripe.is_ok()) stripe.value().set_fragment_version(fragment_version);
  co_return stripe;
}

Task<Result<proto::StripeRecord>> StripeStore::place_and_write(std::string object, const StorageClass& cls,
                                                               uint64_t fragment_version, uint32_t number,
                                                               const EncodedPart& encoded,
                                                               const std::vector<Sha256>& digests, uint64_t size) {
  PlacementRequest request{cls.k, cls.m, cls.level, placement_key(object, fragment_version, number),
                           encoded.fragment_bytes + kFragmentHeaderBytesMax};
  const proto::FragmentId base = fragment_id(object, fragment_version, number, 0);
  // One placement, and at most one re-placement away from disks that failed.
  constexpr int kPlacementAttemptsMax = 2;
  // Disks that lagged lately are left out while a placement exists without them.
  PlacementFilter filter = live_disks();
  avoid_laggards(filter, request);
  Status last;
  for (int attempt = 0; attempt < kPlacementAttemptsMax; ++attempt) {
    auto placement = disks_.pick(request, filter);
    if (!placement.is_ok()) co_return placement.status();
    INVARIANT(invariant::kPlacement, placement.value().size() == cls.k + cls.m &&
                                         disks_.keeps_rule(placement.value(), cls.m, cls.level));
    std::vector<uint32_t> failed;
    std::vector<DiskRef> at = placement.value();  // fragments that moved change it
    // Counted as they are placed, so stripes placed meanwhile spread over
    // other disks; a write that fails over-counts until the next report.
    for (const DiskRef& ref : at) add_usage(ref, request.fragment_bytes);
    last = co_await write_fragments(base, encoded, digests, at, filter, request, failed);
    if (failed.empty()) {
      INVARIANT(invariant::kCommitLast, last.is_ok() || broken_.commit_before_fragments);
      INVARIANT(invariant::kPlacement, disks_.keeps_rule(at, cls.m, cls.level));
      proto::StripeRecord part;
      part.set_number(number);
      part.set_size(size);
      part.set_fragment_bytes(encoded.fragment_bytes);
      part.set_k(cls.k);
      part.set_m(cls.m);
      for (const DiskRef& ref : at) {
        auto* loc = part.add_fragments();
        loc->set_node(ref.node);
        loc->set_disk(ref.disk);
      }
      co_return part;
    }
    // A failed write most often means its node is down or cut off: avoid
    // the whole node in the next placement.
    for (uint32_t i : failed) filter.nodes_out.insert(at[i].node);
  }
  co_return Status(Code::kUnavailable,
                   "stripe " + std::to_string(number) + ": fragment writes failed: " + last.to_string());
}

// A fragment on a node the failure detector holds down is not asked for:
// parity stands in for it at once instead of after a deadline.
Task<Result<std::string>> StripeStore::fetch_fragment(const std::string& object, uint64_t fragment_version,
                                                      const proto::StripeRecord& part, uint32_t i,
                                                      DamageFlag damaged) {
  const NodeId node(part.fragments(static_cast<int>(i)).node());
  if (!node_up(node)) {
    return [](NodeId n) -> Task<Result<std::string>> {
      co_return Status(Code::kUnavailable, "node " + std::to_string(n.value) + " is down");
    }(node);
  }
  return [](Task<Result<std::string>> read, DamageFlag damaged) -> Task<Result<std::string>> {
    Result<std::string> r = co_await std::move(read);
    if (read_proves_lost(r.code())) *damaged = true;
    co_return r;
  }(tessera::get_fragment(rpc_, node, part.fragments(static_cast<int>(i)).disk(),
                          fragment_id(object, fragment_version, part.number(), i), config_.fragment_deadline,
                          !broken_.read_skips_checksum),
    std::move(damaged));
}

// Hedged: parity reads start hedge_after later (or at once for a down
// node's share), and the first k good fragments of any kind win. Returns
// how many data fragments parity stands in for.
Task<Result<uint32_t>> StripeStore::read_hedged(const std::string& object, uint64_t fragment_version,
                                                const proto::StripeRecord& part,
                                                std::vector<std::optional<std::string>>& fragments,
                                                DamageFlag damaged) {
  const uint32_t k = part.k(), m = part.m();
  auto finished = std::make_shared<bool>(false);
  uint32_t down = 0;
  for (uint32_t i = 0; i < k; ++i) down += node_up(NodeId(part.fragments(i).node())) ? 0 : 1;
  std::vector<Task<Result<std::string>>> all;
  for (uint32_t i = 0; i < k; ++i) all.push_back(fetch_fragment(object, fragment_version, part, i, damaged));
  for (uint32_t j = 0; j < m; ++j) {
    const Duration delay = j < down ? Duration::micros(0) : config_.hedge_after;
    all.push_back([](Runtime& rt, std::shared_ptr<bool> finished, Duration delay,
                     Task<Result<std::string>> read) -> Task<Result<std::string>> {
      if (delay.us > 0) co_await sleep(rt, delay);
      if (*finished) co_return Status(Code::kAborted, "not needed");
      co_return co_await std::move(read);
    }(rt_, finished, delay, fetch_fragment(object, fragment_version, part, k + j, damaged)));
  }
  auto got = co_await first_k_of_n(rt_, std::move(all), k);
  *finished = true;
  if (!got.is_ok()) {
    co_return Status(Code::kUnavailable, "stripe " + std::to_string(part.number()) + ": " + got.status().message());
  }
  uint32_t missing = 0;
  for (auto& [i, bytes] : got.value()) {
    if (bytes.size() != part.fragment_bytes()) co_return Status(Code::kCorrupt, "fragment has the wrong size");
    ++stats_.fragments_read;
    if (i >= k) ++missing;
    fragments[i] = std::move(bytes);
  }
  co_return missing;
}

// Unhedged: the k data fragments, then as many parity ones as are missing.
Task<Result<uint32_t>> StripeStore::read_data_then_parity(const std::string& object, uint64_t fragment_version,
                                                          const proto::StripeRecord& part,
                                                          std::vector<std::optional<std::string>>& fragments,
                                                          DamageFlag damaged) {
  const uint32_t k = part.k(), m = part.m();
  std::vector<Task<Result<std::string>>> data;
  for (uint32_t i = 0; i < k; ++i) data.push_back(fetch_fragment(object, fragment_version, part, i, damaged));
  std::vector<Result<std::string>> got = co_await when_all(rt_, std::move(data));
  uint32_t missing = 0;
  for (uint32_t i = 0; i < k; ++i) {
    if (got[i].is_ok() && got[i].value().size() == part.fragment_bytes()) {
      ++stats_.fragments_read;
      fragments[i] = std::move(got[i]).value();
    } else {
      ++stats_.fragment_read_failures;
      ++missing;
    }
  }
  if (missing == 0) co_return missing;
  // Any `missing` of the m parity fragments complete the set.
  std::vector<Task<Result<std::string>>> parity;
  for (uint32_t j = 0; j < m; ++j) parity.push_back(fetch_fragment(object, fragment_version, part, k + j, damaged));
  auto extra = co_await first_k_of_n(rt_, std::move(parity), std::min(missing, m));
  if (!extra.is_ok() || missing > m) {
    co_return Status(Code::kUnavailable, "stripe " + std::to_string(part.number()) + ": " + std::to_string(missing) +
                                             " data fragments unreadable and " +
                                             (extra.is_ok() ? std::string("only m parity") : extra.status().message()));
  }
  for (auto& [j, bytes] : extra.value()) {
    if (bytes.size() != part.fragment_bytes()) co_return Status(Code::kCorrupt, "parity fragment has the wrong size");
    fragments[k + j] = std::move(bytes);
  }
  co_return missing;
}

Task<Result<std::string>> StripeStore::read(const std::string& object, uint64_t fragment_version_fallback,
                                            const proto::StripeRecord& part, bool* damaged) {
  auto flag = std::make_shared<bool>(false);
  Result<std::string> r = co_await read_stripe(object, fragment_version_fallback, part, flag);
  if (damaged) *damaged = *flag;
  if (!r.is_ok() && r.code() != Code::kCorrupt) ++stats_.stripe_reads_failed;
  co_return r;
}

Task<Result<std::string>> StripeStore::read_stripe(const std::string& object, uint64_t fragment_version_fallback,
                                                   const proto::StripeRecord& part, DamageFlag damaged) {
  if (part.fragments_size() == 0) co_return part.inline_data();
  const uint32_t k = part.k(), m = part.m();
  if (static_cast<uint32_t>(part.fragments_size()) != k + m) {
    co_return Status(Code::kCorrupt, "stripe record lists " + std::to_string(part.fragments_size()) +
                                         " fragments for " + std::to_string(k) + "+" + std::to_string(m));
  }
  const uint64_t fragment_version = fragment_version_of(part, fragment_version_fallback);
  std::vector<std::optional<std::string>> fragments(k + m);
  Result<uint32_t> missing = Status(Code::kInternal, "not read");
  if (config_.hedge_after.us > 0) {  // not `?:` around co_await (GCC 12 bugs)
    missing = co_await read_hedged(object, fragment_version, part, fragments, damaged);
  } else {
    missing = co_await read_data_then_parity(object, fragment_version, part, fragments, damaged);
  }
  if (!missing.is_ok()) co_return missing.status();
  if (missing.value() > 0) ++stats_.parts_decoded;
  // Stripes keep the profile they were written with.
  auto codec = this->codec(k, m);
  if (!codec.is_ok()) co_return codec.status();
  std::vector<std::optional<std::string_view>> views(k + m);
  for (uint32_t i = 0; i < k + m; ++i) {
    if (fragments[i]) views[i] = *fragments[i];
  }
  const uint64_t size = part.size();
  const ReedSolomon* rs = codec.value();
  co_return co_await offload(rt_, [&] { return rs->decode(views, size); });
}

Task<Result<std::string>> StripeStore::get_fragment(DiskRef at, proto::FragmentId id) {
  return tessera::get_fragment(rpc_, NodeId(at.node), at.disk, std::move(id), config_.fragment_deadline);
}

Task<Status> StripeStore::put_fragment(DiskRef at, proto::FragmentId id, std::string bytes) {
  return tessera::put_fragment(rpc_, NodeId(at.node), at.disk, std::move(id), std::move(bytes),
                               config_.fragment_deadline);
}

Task<Status> StripeStore::delete_fragment(DiskRef at, proto::FragmentId id) {
  return tessera::delete_fragment(rpc_, NodeId(at.node), at.disk, std::move(id), config_.fragment_deadline);
}

Task<Status> StripeStore::delete_blob(DiskRef at, std::string name) {
  return tessera::delete_blob(rpc_, NodeId(at.node), at.disk, std::move(name), config_.fragment_deadline);
}

Task<Result<proto::InventoryTreeResponse>> StripeStore::ask_inventory_tree(DiskRef at,
                                                                          proto::InventoryTreeRequest request) {
  request.set_disk(at.disk);
  return tessera::ask_inventory_tree(rpc_, NodeId(at.node), std::move(request), config_.fragment_deadline);
}

}  // namespace tessera

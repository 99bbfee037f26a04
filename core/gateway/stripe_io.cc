// The gateway's stripe pipeline: a body in, durable fragment sets out
// (PUT), and fragment sets in, bytes out (GET).
#include <algorithm>
#include <map>

#include "core/codec/sha256.h"
#include "core/gateway/gateway_util.h"
#include "core/gateway/object_gateway.h"
#include "core/invariants.h"
#include "core/storage/fragment_format.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

namespace {

// Room a fragment's header takes on disk beyond its bytes (an upper bound).
constexpr uint64_t kFragmentHeaderBytesMax = 1024;

// The broken variant's write-back: the writes start a while after the
// commit, as a cache that acknowledges before it flushes would.
Task<void> flush_later(Runtime& rt, std::vector<Task<Status>> writes) {
  co_await sleep(rt, Duration::millis(50));
  co_await when_all(rt, std::move(writes));
}

}  // namespace

struct ObjectGateway::StripeJob {
  std::string object;
  const StorageClass* cls = nullptr;
  uint64_t fragment_version = 0;
  uint32_t number = 0;
  uint32_t upload_part = 0;
  std::string bytes;
  uint64_t size = 0;
  bool finished = false;
  Status status;
  std::optional<proto::PartRecord> out;
};

// Stripes being encoded and written while the body is still being read.
struct ObjectGateway::StripePipeline {
  size_t in_flight = 0;
  std::unique_ptr<detail::Wakeup> waiter;  // the reader, waiting for room
  // The body's MD5 runs stripe by stripe in order, beside the encoding,
  // so the reader never waits for it.
  StreamDigest* md5 = nullptr;
  uint32_t md5_through = 0;                      // stripes hashed so far
  std::map<uint32_t, detail::Wakeup*> md5_turn;  // stripes waiting for the one before

  void finished(Runtime& rt) {
    --in_flight;
    if (waiter) waiter->fire(rt);
  }
  auto wait_for_room() {
    waiter = std::make_unique<detail::Wakeup>();
    return waiter->wait();
  }
  Task<Status> hash_in_order(Runtime& rt, StripeJob* job) {
    if (md5_through + 1 != job->number) {
      detail::Wakeup turn;
      md5_turn[job->number] = &turn;
      co_await turn.wait();
    }
    ASSERT(md5_through + 1 == job->number);
    StreamDigest* digest = md5;
    const std::string* bytes = &job->bytes;
    co_await offload(rt, [digest, bytes] {
      digest->update(*bytes);
      return true;
    });
    md5_through = job->number;
    if (auto next = md5_turn.find(job->number + 1); next != md5_turn.end()) {
      next->second->fire(rt);
      md5_turn.erase(next);
    }
    co_return Status::ok();
  }
};

namespace {
// Stripes encoded and written at once per body: memory stays near this many
// stripes (plus their fragments) however large the body.
constexpr size_t kStripesInFlight = 3;
}  // namespace

uint64_t ObjectGateway::body_bytes_held_max() const { return (kStripesInFlight + 1) * config_.part_bytes; }

Task<Result<ObjectGateway::Written>> ObjectGateway::write_stream(const std::string& bucket, const std::string& key,
                                                                 const StorageClass& cls, uint32_t upload_part,
                                                                 ByteSource& body, bool allow_inline) {
  const std::string object = object_id(bucket, key);
  Written w;
  std::string current;
  if (Status s = co_await body.read_full(&current, config_.part_bytes); !s.is_ok()) co_return s;
  if (allow_inline && current.size() <= config_.inline_bytes_max) {
    // Shorter than a stripe, so this is the whole body.
    w.size = current.size();
    w.md5_hex = md5_hex(current);
    w.inline_body = std::move(current);
    co_return w;
  }
  StreamDigest md5(StreamDigest::Kind::kMd5);
  const uint64_t fragment_version = rt_.random().next() | 1;
  // The jobs and the pipeline live in this frame, which outlives every job:
  // it waits for them all below. (Raw pointers to them, not shared_ptr
  // copies: GCC 12 may destroy non-trivial temporaries of a co_await twice.)
  StripePipeline pipeline;
  pipeline.md5 = &md5;
  std::vector<std::unique_ptr<StripeJob>> jobs;
  // Buffers of stripes done with, read into again: a reused buffer needs
  // no zeroing before the socket fills it.
  std::vector<std::string> spare;
  Status failed;
  for (uint32_t number = 1; !current.empty(); ++number) {
    jobs.push_back(std::make_unique<StripeJob>());
    StripeJob* job = jobs.back().get();
    job->object = object;
    job->cls = &cls;
    job->fragment_version = fragment_version;
    job->number = number;
    job->upload_part = upload_part;
    job->bytes = std::move(current);
    job->size = job->bytes.size();
    const bool more = job->size == config_.part_bytes;
    ++pipeline.in_flight;
    rt_.spawn(stripe_job(&pipeline, job));
    current = std::string();
    if (!more) break;
    while (pipeline.in_flight >= kStripesInFlight) co_await pipeline.wait_for_room();
    // Stripes that are written and hashed need their bytes no more: memory
    // stays at a few stripes however long the body.
    for (auto& j : jobs) {
      if (j->finished && !j->bytes.empty()) {
        spare.emplace_back().swap(j->bytes);
      }
    }
    if (!spare.empty()) {
      current.swap(spare.back());
      spare.pop_back();
    }
    if (Status s = co_await body.read_full(&current, config_.part_bytes); !s.is_ok()) {
      failed = s;
      break;
    }
  }
  // Every stripe ends before the caller may commit (or give up).
  while (pipeline.in_flight > 0) co_await pipeline.wait_for_room();
  for (auto& job : jobs) {
    if (!job->status.is_ok() && failed.is_ok()) failed = job->status;
    w.size += job->size;
    if (job->out) w.stripes.push_back(std::move(*job->out));
  }
  if (!failed.is_ok()) {
    co_await discard(bucket, key, std::move(w.stripes));
    co_return failed;
  }
  w.md5_hex = hex_of(md5.finish());  // MD5 of "" when there were no stripes
  co_return w;
}

Task<void> ObjectGateway::stripe_job(StripePipeline* pipeline, StripeJob* job) {
  std::vector<Task<Status>> both;
  both.push_back(run_stripe(job));
  both.push_back(pipeline->hash_in_order(rt_, job));
  std::vector<Status> done = co_await when_all(rt_, std::move(both));
  job->status = done[0];
  job->finished = true;
  pipeline->finished(rt_);
}

Task<Status> ObjectGateway::run_stripe(StripeJob* job) {
  auto codec = this->codec(job->cls->k, job->cls->m);
  if (!codec.is_ok()) co_return codec.status();
  EncodedPart encoded;
  std::vector<Sha256> digests;
  co_await offload(rt_, [&, job] {
    codec.value()->encode(job->bytes, encoded);
    for (const auto& f : encoded.fragments) digests.push_back(sha256(f));
    return true;
  });
  auto part = co_await write_stripe(job->object, *job->cls, job->fragment_version, job->number, encoded, digests,
                                    job->size);
  if (!part.is_ok()) co_return part.status();
  part.value().set_upload_part(job->upload_part);
  part.value().set_fragment_version(job->fragment_version);
  job->out = std::move(part).value();
  co_return Status::ok();
}

Task<Result<proto::PartRecord>> ObjectGateway::write_stripe(std::string object, const StorageClass& cls,
                                                            uint64_t fragment_version, uint32_t number,
                                                            const EncodedPart& encoded,
                                                            const std::vector<Sha256>& digests, uint64_t size) {
  PlacementRequest request{cls.k, cls.m, cls.level, placement_key(object, fragment_version, number),
                           encoded.fragment_bytes + kFragmentHeaderBytesMax};
  const proto::FragmentId base = fragment_id(object, fragment_version, number, 0);
  // One placement, and at most one re-placement away from disks that failed.
  constexpr int kPlacementAttemptsMax = 2;
  std::vector<DiskInfo> candidates = disks_;
  for (DiskInfo& d : candidates) d.writable = d.writable && node_up(NodeId(d.ref.node));
  Status last;
  for (int attempt = 0; attempt < kPlacementAttemptsMax; ++attempt) {
    auto placement = pick_disks(candidates, request);
    if (!placement.is_ok()) co_return placement.status();
    INVARIANT(invariant::kPlacement, placement.value().size() == cls.k + cls.m &&
                                         placement_keeps_rule(candidates, placement.value(), cls.m, cls.level));
    std::vector<uint32_t> failed;
    last = co_await write_fragments(base, encoded, digests, placement.value(), failed);
    if (failed.empty()) {
      INVARIANT(invariant::kCommitLast, last.is_ok() || broken_.commit_before_fragments);
      proto::PartRecord part;
      part.set_number(number);
      part.set_size(size);
      part.set_fragment_bytes(encoded.fragment_bytes);
      part.set_k(cls.k);
      part.set_m(cls.m);
      for (const DiskRef& ref : placement.value()) {
        auto* loc = part.add_fragments();
        loc->set_node(ref.node);
        loc->set_disk(ref.disk);
        for (DiskInfo& d : disks_) {
          if (d.ref == ref) d.used_bytes = std::min(d.capacity_bytes, d.used_bytes + request.fragment_bytes);
        }
      }
      co_return part;
    }
    // A failed write most often means its node is down or cut off: avoid
    // the whole node in the next placement.
    for (uint32_t i : failed) {
      for (DiskInfo& d : candidates) {
        if (d.ref.node == placement.value()[i].node) d.writable = false;
      }
    }
  }
  co_return Status(Code::kUnavailable,
                   "stripe " + std::to_string(number) + ": fragment writes failed: " + last.to_string());
}

Task<Status> ObjectGateway::write_fragments(const proto::FragmentId& base, const EncodedPart& encoded,
                                            const std::vector<Sha256>& digests,
                                            const std::vector<DiskRef>& placement, std::vector<uint32_t>& failed) {
  // Each payload is its fragment's blob as it will lie on disk: built off
  // the loop, with the only copy of the bytes on the way to the disk.
  std::vector<std::string> payloads(placement.size());
  co_await offload(rt_, [&] {
    for (uint32_t i = 0; i < placement.size(); ++i) {
      proto::FragmentId id = base;
      id.set_index(i);
      payloads[i] = encode_put_payload(placement[i].disk, id, encoded.fragments[i], digests[i]);
    }
    return true;
  });
  std::vector<Task<Status>> writes;
  for (uint32_t i = 0; i < placement.size(); ++i) {
    writes.push_back(put_fragment(rpc_, NodeId(placement[i].node), std::move(payloads[i]), config_.fragment_deadline));
  }
  if (broken_.commit_before_fragments) {
    // Broken on purpose (tests only): report success before any write is
    // sent, so the commit precedes durable fragments and a gateway crash in
    // between loses them.
    rt_.spawn(flush_later(rt_, std::move(writes)));
    stats_.fragments_written += placement.size();
    co_return Status::ok();
  }
  std::vector<Status> results = co_await when_all(rt_, std::move(writes));
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
  co_return last;
}

// A fragment on a node the failure detector holds down is not asked for:
// parity stands in for it at once instead of after a deadline.
Task<Result<std::string>> ObjectGateway::fetch_fragment(const std::string& object, uint64_t fragment_version,
                                                        const proto::PartRecord& part, uint32_t i) {
  const NodeId node(part.fragments(static_cast<int>(i)).node());
  if (!node_up(node)) {
    return [](NodeId n) -> Task<Result<std::string>> {
      co_return Status(Code::kUnavailable, "node " + std::to_string(n.value) + " is down");
    }(node);
  }
  return get_fragment(rpc_, node, part.fragments(static_cast<int>(i)).disk(),
                      fragment_id(object, fragment_version, part.number(), i), config_.fragment_deadline,
                      !broken_.read_skips_checksum);
}

// Hedged: parity reads start hedge_after later (or at once for a down
// node's share), and the first k good fragments of any kind win. Returns
// how many data fragments parity stands in for.
Task<Result<uint32_t>> ObjectGateway::read_hedged(const std::string& object, uint64_t fragment_version,
                                                  const proto::PartRecord& part,
                                                  std::vector<std::optional<std::string>>& fragments) {
  const uint32_t k = part.k(), m = part.m();
  auto finished = std::make_shared<bool>(false);
  uint32_t down = 0;
  for (uint32_t i = 0; i < k; ++i) down += node_up(NodeId(part.fragments(i).node())) ? 0 : 1;
  std::vector<Task<Result<std::string>>> all;
  for (uint32_t i = 0; i < k; ++i) all.push_back(fetch_fragment(object, fragment_version, part, i));
  for (uint32_t j = 0; j < m; ++j) {
    const Duration delay = j < down ? Duration::micros(0) : config_.hedge_after;
    all.push_back([](Runtime& rt, std::shared_ptr<bool> finished, Duration delay,
                     Task<Result<std::string>> read) -> Task<Result<std::string>> {
      if (delay.us > 0) co_await sleep(rt, delay);
      if (*finished) co_return Status(Code::kAborted, "not needed");
      co_return co_await std::move(read);
    }(rt_, finished, delay, fetch_fragment(object, fragment_version, part, k + j)));
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
Task<Result<uint32_t>> ObjectGateway::read_data_then_parity(const std::string& object, uint64_t fragment_version,
                                                            const proto::PartRecord& part,
                                                            std::vector<std::optional<std::string>>& fragments) {
  const uint32_t k = part.k(), m = part.m();
  std::vector<Task<Result<std::string>>> data;
  for (uint32_t i = 0; i < k; ++i) data.push_back(fetch_fragment(object, fragment_version, part, i));
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
  for (uint32_t j = 0; j < m; ++j) parity.push_back(fetch_fragment(object, fragment_version, part, k + j));
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

Task<Result<std::string>> ObjectGateway::read_stripe(const std::string& object, uint64_t upload_id,
                                                     const proto::PartRecord& part) {
  if (part.fragments_size() == 0) co_return part.inline_data();
  const uint32_t k = part.k(), m = part.m();
  if (static_cast<uint32_t>(part.fragments_size()) != k + m) {
    co_return Status(Code::kCorrupt, "stripe record lists " + std::to_string(part.fragments_size()) +
                                         " fragments for " + std::to_string(k) + "+" + std::to_string(m));
  }
  const uint64_t fragment_version = fragment_version_of(part, upload_id);
  std::vector<std::optional<std::string>> fragments(k + m);
  Result<uint32_t> missing = Status(Code::kInternal, "not read");
  if (config_.hedge_after.us > 0) {  // not `?:` around co_await (GCC 12 bugs)
    missing = co_await read_hedged(object, fragment_version, part, fragments);
  } else {
    missing = co_await read_data_then_parity(object, fragment_version, part, fragments);
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

namespace {

struct StripeRead {
  const proto::PartRecord* part = nullptr;
  uint64_t offset = 0;  // of the stripe in the object
};

Task<Status> fetch_into(Task<Result<std::string>> read, Result<std::string>* out) {
  *out = co_await std::move(read);
  co_return out->is_ok() ? Status::ok() : out->status();
}

}  // namespace

Task<Status> ObjectGateway::read_object(const proto::ObjectVersion& v, ByteRange range, ByteSink& sink) {
  ASSERT(range.first <= range.last && range.last < v.size());
  std::vector<StripeRead> wanted;
  uint64_t offset = 0;
  for (const proto::PartRecord& part : v.parts()) {
    const uint64_t end = offset + part.size();  // exclusive
    if (end > range.first && offset <= range.last) wanted.push_back({&part, offset});
    offset = end;
  }
  if (offset != v.size()) co_return Status(Code::kCorrupt, "object's stripes do not add up to its size");
  const std::string object = object_id(v.bucket(), v.key());
  // Fetch stripe i+1 while stripe i goes to the sink.
  Result<std::string> current = std::string();
  if (!wanted.empty()) {
    Status s = co_await fetch_into(read_stripe(object, v.upload_id(), *wanted[0].part), &current);
    if (!s.is_ok()) co_return s;
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    const StripeRead& r = wanted[i];
    std::string bytes = std::move(current).value();
    if (bytes.size() != r.part->size()) co_return Status(Code::kCorrupt, "stripe decoded to the wrong size");
    const uint64_t from = std::max(range.first, r.offset) - r.offset;
    const uint64_t to = std::min(range.last + 1, r.offset + r.part->size()) - r.offset;
    if (from > 0 || to < bytes.size()) bytes = bytes.substr(from, to - from);
    current = std::string();
    std::vector<Task<Status>> both;
    both.push_back(sink.write(std::move(bytes)));
    if (i + 1 < wanted.size()) {
      both.push_back(fetch_into(read_stripe(object, v.upload_id(), *wanted[i + 1].part), &current));
    }
    for (const Status& s : co_await when_all(rt_, std::move(both))) {
      if (!s.is_ok()) co_return s;
    }
  }
  co_return Status::ok();
}

}  // namespace tessera

// PUT: a body in, read a stripe at a time while earlier stripes are
// encoded and written (the stripe layer), then the metadata committed
// last, once every fragment of every stripe is durable.
#include <algorithm>
#include <map>

#include "core/codec/sha256.h"
#include "core/gateway/gateway_util.h"
#include "core/gateway/object_gateway.h"
#include "core/invariants.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

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
  std::optional<proto::StripeRecord> out;
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
  // Stripes numbered 1.. in order, their sizes adding up to the body's.
  uint64_t total = 0;
  for (size_t i = 0; i < w.stripes.size(); ++i) {
    ASSERT(w.stripes[i].number() == i + 1 && w.stripes[i].fragment_version() == fragment_version);
    total += w.stripes[i].size();
  }
  ASSERT(total == w.size);
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
  auto stripe = co_await stripes_.write(job->object, *job->cls, job->fragment_version, job->number, job->bytes);
  if (!stripe.is_ok()) co_return stripe.status();
  stripe.value().set_upload_part(job->upload_part);
  ASSERT(stripe.value().fragment_version() == job->fragment_version);
  job->out = std::move(stripe).value();
  co_return Status::ok();
}

Task<Result<proto::ObjectVersion>> ObjectGateway::put_object(proto::BucketRecord b, std::string key,
                                                             ByteSource& body, CommitConditions conditions,
                                                             ObjectAttributes attrs) {
  ASSERT(!b.name().empty());
  const std::string& bucket = b.name();
  auto cls = class_for(config_.storage_classes, b, attrs.storage_class());
  if (!cls.is_ok()) co_return cls.status();
  auto written = co_await write_stream(bucket, key, *cls.value(), 0, body, true);
  if (!written.is_ok()) co_return written.status();
  Written& w = written.value();
  proto::ObjectVersion version = std::move(attrs);
  add_trailers(body.trailers(), version.mutable_headers());
  version.set_bucket(bucket);
  version.set_key(key);
  version.set_size(w.size);
  version.set_etag(w.md5_hex);
  version.set_storage_class(cls.value()->name);
  version.set_modified_ms(rt_.unix_ms());
  if (w.inline_body) {
    proto::StripeRecord* part = version.add_stripes();
    part->set_number(1);
    part->set_size(w.size);
    part->set_inline_data(std::move(*w.inline_body));
  } else {
    for (const auto& stripe : w.stripes) *version.add_stripes() = stripe;
  }
  // Every fragment of every stripe is durable before this commit.
  INVARIANT(invariant::kCommitLast, version.stripes_size() > 0 || version.size() == 0);
  auto committed = co_await metadata_.commit_object(std::move(version), conditions);
  // Lost its condition, or the bucket went: the stripes are nobody's. A
  // commit that got no answer may have happened: its stripes are left
  // alone (if it did not, the orphan sweep finds them).
  if (!committed.is_ok() && !outcome_unknown(committed.status())) co_await discard(bucket, key, std::move(w.stripes));
  co_return committed;
}

Task<void> ObjectGateway::discard(const std::string& bucket, const std::string& key,
                                  std::vector<proto::StripeRecord> stripes) {
  if (stripes.empty()) co_return;
  // Best effort: if even this fails, the orphan sweep finds the fragments.
  Status s = co_await metadata_.discard_stripes(bucket, key, std::move(stripes));
  (void)s;
}

}  // namespace tessera

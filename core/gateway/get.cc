// GET: the version looked up, then its stripes read in turn (any k of
// each, from the stripe layer), the next one fetched while the current one
// goes to the sink.
#include <algorithm>
#include <memory>

#include "core/gateway/gateway_util.h"
#include "core/gateway/object_gateway.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

Task<Result<proto::ObjectVersion>> ObjectGateway::head_object(std::string bucket, std::string key,
                                                              std::string version_id) {
  auto v = co_await metadata_.get_object(bucket, key, version_id);
  if (!v.is_ok()) co_return v.status();
  if (v.value().delete_marker()) {
    if (version_id.empty()) co_return Status(Code::kNotFound, "no key " + key + " in " + bucket, "NoSuchKey");
    co_return Status(Code::kInvalidArgument, "version " + version_id + " is a delete marker", "MethodNotAllowed");
  }
  co_return v;
}

namespace {

struct StripeRead {
  const proto::StripeRecord* part = nullptr;
  uint64_t offset = 0;  // of the stripe in the object
};

}  // namespace

// One stripe's bytes into *out. A read that found a fragment lost sends the
// stripe to repair (heal on read), whether or not parity covered it; one
// that failed on a stripe repair found lost says the object is lost.
Task<Status> ObjectGateway::fetch_stripe(const proto::ObjectVersion& v, const proto::StripeRecord& part,
                                         Result<std::string>* out) {
  bool damaged = false;
  *out = co_await stripes_.read(object_id(v.bucket(), v.key()), v.fragment_version(), part, &damaged);
  if (damaged && on_damaged_) on_damaged_(v, part);
  if (out->is_ok()) co_return Status::ok();
  if (!stripe_lost(part)) co_return out->status();
  co_return Status(Code::kInternal,
                   "object " + v.bucket() + "/" + v.key() + " (version " +
                       (v.version_id().empty() ? std::string("null") : v.version_id()) + ") is lost: stripe " +
                       std::to_string(part.number()) + " has " + std::to_string(fragments_left(part)) + " of the " +
                       std::to_string(part.k()) + " fragments it needs; repair found the others gone",
                   "InternalError");
}

Task<Status> ObjectGateway::read_object(const proto::ObjectVersion& v, ByteRange range, ByteSink& sink) {
  ASSERT(range.first <= range.last && range.last < v.size());
  std::vector<StripeRead> wanted;
  uint64_t offset = 0;
  for (const proto::StripeRecord& part : v.stripes()) {
    const uint64_t end = offset + part.size();  // exclusive
    if (end > range.first && offset <= range.last) wanted.push_back({&part, offset});
    offset = end;
  }
  if (offset != v.size()) co_return Status(Code::kCorrupt, "object's stripes do not add up to its size");
  ASSERT(!wanted.empty() && "a range inside the object touches at least one stripe");
  // Fetch stripe i+1 while stripe i goes to the sink.
  Result<std::string> current = std::string();
  if (!wanted.empty()) {
    Status s = co_await fetch_stripe(v, *wanted[0].part, &current);
    if (!s.is_ok()) co_return s;
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    const StripeRead& r = wanted[i];
    std::string bytes = std::move(current).value();
    if (bytes.size() != r.part->size()) co_return Status(Code::kCorrupt, "stripe decoded to the wrong size");
    const uint64_t from = std::max(range.first, r.offset) - r.offset;
    const uint64_t to = std::min(range.last + 1, r.offset + r.part->size()) - r.offset;
    ASSERT(from < to && to <= bytes.size());
    if (from > 0 || to < bytes.size()) bytes = bytes.substr(from, to - from);
    current = std::string();
    std::vector<Task<Status>> both;
    both.push_back(sink.write(std::move(bytes)));
    if (i + 1 < wanted.size()) {
      both.push_back(fetch_stripe(v, *wanted[i + 1].part, &current));
    }
    for (const Status& s : co_await when_all(rt_, std::move(both))) {
      if (!s.is_ok()) co_return s;
    }
  }
  co_return Status::ok();
}

}  // namespace tessera

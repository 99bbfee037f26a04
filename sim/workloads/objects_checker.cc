#include "sim/workloads/objects_checker.h"

#include <algorithm>
#include <cstring>

#include "core/codec/sha256.h"
#include "core/invariants.h"
#include "io_abstraction/random.h"

namespace tessera::sim {
namespace {
constexpr Instant kNever{INT64_MAX};
constexpr Instant kBeginning{INT64_MIN / 2};
constexpr Instant kForever{INT64_MAX / 2};

// The ETag S3 gives a value: the MD5 of its bytes, or for a multipart
// upload the MD5 of its parts' MD5s and "-" the number of parts.
std::string expected_etag(uint64_t put_id, size_t size, bool multipart, uint64_t part_bytes) {
  const std::string body = make_body(put_id, size);
  if (!multipart) return md5_hex(body);
  std::string md5s;
  uint32_t n = 0;
  for (uint64_t off = 0; off < body.size() || n == 0; off += part_bytes, ++n) {
    md5s += *from_hex(md5_hex(std::string_view(body).substr(off, part_bytes)));
  }
  return md5_hex(md5s) + "-" + std::to_string(n);
}

}  // namespace

uint32_t ObjectsChecker::Write::parts(uint64_t part_bytes) const {
  if (!multipart || size == 0) return 1;
  return static_cast<uint32_t>((size + part_bytes - 1) / part_bytes);
}

std::string make_body(uint64_t put_id, size_t size) {
  Random r(mix_seed(put_id, 0xB0D7));
  std::string body(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = r.next();
    std::memcpy(body.data() + i, &word, std::min<size_t>(8, size - i));
  }
  return body;
}

ObjectsChecker::WriteHandle ObjectsChecker::begin_write(uint32_t key, bool is_put, uint64_t put_id, size_t size,
                                                        Instant now, bool multipart) {
  auto& writes = history_[key];
  const std::string etag = is_put ? expected_etag(put_id, size, multipart, upload_part_bytes_) : "";
  writes.push_back(Write{is_put, put_id, size, multipart, now, kNever, State::kInFlight, etag});
  if (is_put && placement_exists_ && now >= puts_required_from_) writes.back().placeable = placement_exists_(size);
  return WriteHandle{key, writes.size() - 1};
}

void ObjectsChecker::end_write(WriteHandle h, bool committed, Instant now, const std::string& etag,
                               const std::string& why) {
  Write& w = history_[h.key][h.index];
  if (w.state != State::kInFlight) return;  // already turned into a maybe by a crash
  w.end = now;
  if (committed && w.is_put && !etag.empty() && etag != w.etag) {
    violations_.add(invariant::kReadAfterWrite, "PUT of key " + std::to_string(h.key) + " answered ETag " + etag +
                                                    " for bytes whose ETag is " + w.etag);
  }
  w.state = committed ? State::kAcked : State::kFailed;
  committed ? ++writes_acked_ : ++writes_failed_;
  for (LeaderCrash& c : leader_crashes_) {
    if (committed && !c.next_ack) c.next_ack = now;
  }
  if (!committed && w.is_put && w.start >= puts_required_from_ && placement_exists_ &&
      !(w.placeable && placement_exists_(w.size))) {
    ++puts_without_placement_;  // no placement existed: nothing was owed
  } else if (!committed && w.is_put && w.start >= puts_required_from_) {
    violations_.add("availability", "PUT of key " + std::to_string(h.key) + " begun at " +
                                        std::to_string(w.start.us / 1000) + " ms failed" +
                                        (placement_exists_ ? " though a placement existed" : "") +
                                        (why.empty() ? "" : ": " + why));
  }
}

void ObjectsChecker::end_write_refused(WriteHandle h, Instant now) {
  Write& w = history_[h.key][h.index];
  if (w.state != State::kInFlight) return;
  // Failed: the refused write is not among the values the caller's
  // check_get lets it have met.
  w.state = State::kFailed;
  w.end = now;
  ++writes_refused_;
}

void ObjectsChecker::end_write_unknown(WriteHandle h) {
  Write& w = history_[h.key][h.index];
  if (w.state != State::kInFlight) return;
  w.state = State::kMaybe;
  w.end = kForever;
  ++writes_maybe_;
}

void ObjectsChecker::gateway_crashed(Instant now) {
  for (auto& [key, writes] : history_) {
    for (Write& w : writes) {
      if (w.state != State::kInFlight) continue;
      w.state = State::kMaybe;
      // In-process metadata: it cannot commit after the crash. A request
      // already sent to a metadata node may.
      w.end = late_commits_ ? kForever : now;
      ++writes_maybe_;
    }
  }
}

bool ObjectsChecker::allowed_if(uint32_t key, Instant start, Instant end,
                                const std::function<bool(const Write&)>& matches, bool* matched_any) const {
  static const std::vector<Write> kNone;
  auto it = history_.find(key);
  const std::vector<Write>& writes = it == history_.end() ? kNone : it->second;
  // The initial state: absent, as if deleted at the beginning of time.
  std::vector<Write> all{Write{false, 0, 0, false, kBeginning, kBeginning, State::kAcked, ""}};
  all.insert(all.end(), writes.begin(), writes.end());
  *matched_any = false;
  bool ok = false;
  for (const Write& w : all) {
    if (w.state == State::kFailed || w.start >= end) continue;
    bool superseded = false;
    for (const Write& later : all) {
      if (later.state == State::kAcked && later.start > w.end && later.end < start) {
        superseded = true;
        break;
      }
    }
    const bool m = matches(w);
    if (m) *matched_any = true;
    if (m && !superseded) ok = true;
  }
  return ok;
}

bool ObjectsChecker::allowed(uint32_t key, Instant start, Instant end, const Result<std::string>& result,
                             bool* torn) const {
  bool any = false;
  const bool ok = allowed_if(
      key, start, end,
      [&](const Write& w) {
        return result.is_ok()
                   ? (w.is_put && w.size == result.value().size() && make_body(w.put_id, w.size) == result.value())
                   : !w.is_put;
      },
      &any);
  *torn = result.is_ok() && !any;
  return ok;
}

void ObjectsChecker::check_list(uint32_t keys, Instant start, Instant end, const std::map<uint32_t, Listed>& listed) {
  ++lists_;
  for (uint32_t key = 0; key < keys; ++key) {
    auto found = listed.find(key);
    bool any = false;
    const bool ok = allowed_if(
        key, start, end,
        [&](const Write& w) {
          if (found == listed.end()) return !w.is_put;
          return w.is_put && w.size == found->second.size && w.etag == found->second.etag;
        },
        &any);
    if (ok) continue;
    const std::string what =
        found == listed.end() ? "absent" : "with " + std::to_string(found->second.size) + " bytes";
    violations_.add(invariant::kReadAfterWrite, "LIST during [" + std::to_string(start.us) + ", " + std::to_string(end.us) +
                                            "] us shows key " + std::to_string(key) + " " + what +
                                            ", which no linearization allows");
  }
}

void ObjectsChecker::check_read(uint32_t key, Instant start, Instant end, const Result<std::string>& result) {
  if (!result.is_ok() && result.code() != Code::kNotFound) {
    ++reads_failed_;  // an explicit error is allowed under faults; wrong bytes never are
    if (gets_must_succeed_) {
      violations_.add("availability", "GET of key " + std::to_string(key) + " during [" + std::to_string(start.us) +
                                          ", " + std::to_string(end.us) +
                                          "] us failed with no fault injected: " + result.status().to_string());
    }
    return;
  }
  result.is_ok() ? ++reads_ok_ : ++reads_not_found_;
  const auto fits = [&](const Write& w) {
    return result.is_ok() ? (w.is_put && w.size == result.value().size() && w.body() == result.value()) : !w.is_put;
  };
  check_get(key, start, end, fits,
            "GET returned " + (result.is_ok() ? std::to_string(result.value().size()) + " bytes" : "NotFound"),
            result.is_ok() ? Fits(fits) : nullptr);
}

void ObjectsChecker::check_get(uint32_t key, Instant start, Instant end, const Fits& fits, const std::string& what,
                               const Fits& wrote) {
  bool any = false;
  if (allowed_if(key, start, end, fits, &any)) return;
  if (wrote) allowed_if(key, kBeginning, kForever, wrote, &any);
  if (wrote && !any) {
    violations_.add("no_torn_objects", "key " + std::to_string(key) + ": " + what + " that no PUT wrote");
    return;
  }
  violations_.add(invariant::kReadAfterWrite, "key " + std::to_string(key) + " during [" + std::to_string(start.us) +
                                                  ", " + std::to_string(end.us) + "] us: " + what +
                                                  ", which no linearization allows");
}

std::string ObjectsChecker::some_etag(uint32_t key, uint64_t r) const {
  auto it = history_.find(key);
  if (it == history_.end()) return "";
  std::vector<const Write*> puts;
  for (const Write& w : it->second) {
    if (w.is_put) puts.push_back(&w);
  }
  return puts.empty() ? "" : puts[r % puts.size()]->etag;
}

const ObjectsChecker::Write* ObjectsChecker::identify(uint32_t key, const std::string& bytes) const {
  auto it = history_.find(key);
  if (it == history_.end()) return nullptr;
  for (const Write& w : it->second) {
    if (w.is_put && w.size == bytes.size() && w.body() == bytes) return &w;
  }
  return nullptr;
}

void ObjectsChecker::record_final(uint32_t key, const Result<std::string>& result, Instant now) {
  if (!result.is_ok() && result.code() != Code::kNotFound) {
    violations_.add(invariant::kDurability, "key " + std::to_string(key) + " unreadable after faults healed: " +
                                      result.status().to_string());
    return;
  }
  bool torn = false;
  if (!allowed(key, now, now, result, &torn)) {
    violations_.add(invariant::kDurability, "key " + std::to_string(key) + " reads back " +
                                      (result.is_ok() ? std::to_string(result.value().size()) + " bytes" : "NotFound") +
                                      ", not its last acknowledged value");
    return;
  }
  ++final_ok_;
}

void ObjectsChecker::check_placement(const proto::ObjectVersion& version, const std::vector<DiskInfo>& disks,
                                     FailureDomain level) {
  for (const proto::StripeRecord& part : version.stripes()) {
    if (part.fragments_size() == 0) continue;  // inline
    std::vector<DiskRef> chosen;
    for (const auto& f : part.fragments()) chosen.push_back(DiskRef{f.node(), f.disk()});
    if (!placement_keeps_rule(disks, chosen, part.m(), level)) {
      violations_.add(invariant::kPlacement, "part " + std::to_string(part.number()) + " of " + version.key() +
                                       " has more than m fragments in one " + failure_domain_name(level));
    }
  }
}

void ObjectsChecker::record_version(uint32_t key, const std::string& version_id, uint64_t put_id, size_t size,
                                    Instant started, Instant acked) {
  auto& versions = versions_[key];
  // Acknowledged before this PUT began: this version is newer than it.
  for (Version& v : versions) v.superseded = v.superseded || v.acked < started;
  versions.push_back(Version{version_id, put_id, size, acked});
}

std::string ObjectsChecker::some_version(uint32_t key, uint64_t r) const {
  auto it = versions_.find(key);
  if (it == versions_.end() || it->second.empty()) return "";
  return it->second[r % it->second.size()].id;
}

std::string ObjectsChecker::some_superseded_version(uint32_t key, uint64_t r) const {
  auto it = versions_.find(key);
  if (it == versions_.end()) return "";
  std::vector<const Version*> candidates;
  for (const Version& v : it->second) {
    if (v.superseded && !v.delete_named) candidates.push_back(&v);
  }
  return candidates.empty() ? "" : candidates[r % candidates.size()]->id;
}

ObjectsChecker::Version* ObjectsChecker::find_version(uint32_t key, const std::string& version_id) {
  for (Version& v : versions_[key]) {
    if (v.id == version_id) return &v;
  }
  return nullptr;
}

void ObjectsChecker::begin_version_delete(uint32_t key, const std::string& version_id, Instant now) {
  Version* v = find_version(key, version_id);
  ASSERT(v != nullptr && v->superseded && !v->delete_named);
  v->delete_named = true;
  v->deleted = State::kInFlight;
  v->delete_start = now;
}

void ObjectsChecker::end_version_delete(uint32_t key, const std::string& version_id, State outcome, Instant now) {
  Version* v = find_version(key, version_id);
  ASSERT(v != nullptr && v->deleted == State::kInFlight && outcome != State::kInFlight);
  v->deleted = outcome;
  if (outcome == State::kAcked) v->deleted_at = now;
  ++counts_["version_deletes"];
}

void ObjectsChecker::check_versioned_read(uint32_t key, const std::string& version_id, Instant start, Instant end,
                                          const Result<std::string>& result) {
  if (!result.is_ok() && result.code() != Code::kNotFound) {
    ++reads_failed_;  // an explicit error is allowed under faults
    return;
  }
  ++versioned_reads_;
  const Version* v = find_version(key, version_id);
  if (v == nullptr) return;
  // Gone once a delete of it may have committed; surely gone once one was
  // acknowledged before the read began.
  const bool may_be_gone = v->deleted != State::kFailed && v->delete_start < end;
  const bool must_be_gone = v->deleted == State::kAcked && v->deleted_at < start;
  const bool ok = result.is_ok() ? result.value() == make_body(v->put_id, v->size) && !must_be_gone : may_be_gone;
  if (ok) return;
  violations_.add(invariant::kReadAfterWrite,
                  "GET of key " + std::to_string(key) + " version " + version_id + " returned " +
                      (result.is_ok() ? std::to_string(result.value().size()) + " bytes" : result.status().to_string()) +
                      (must_be_gone ? " after a delete of that version was acknowledged"
                                    : ", not the bytes that version was written with"));
}

std::string ObjectsChecker::counted() const {
  std::string out;
  for (const auto& [what, n] : counts_) out += " " + what + "=" + std::to_string(n);
  return out;
}

std::string ObjectsChecker::stats() const {
  return "writes_acked=" + std::to_string(writes_acked_) + " writes_failed=" + std::to_string(writes_failed_) +
         " writes_maybe=" + std::to_string(writes_maybe_) + " reads_ok=" + std::to_string(reads_ok_) +
         " reads_not_found=" + std::to_string(reads_not_found_) + " reads_failed=" + std::to_string(reads_failed_) +
         " lists=" + std::to_string(lists_) + " versioned_reads=" + std::to_string(versioned_reads_) +
         " final_reads_ok=" + std::to_string(final_ok_) + " writes_refused=" + std::to_string(writes_refused_) +
         " puts_without_placement=" + std::to_string(puts_without_placement_) +
         put_latencies() + leader_kill_gaps() + counted();
}

// Acknowledged PUTs' time from request to answer: p50, p99 and max (ms).
std::string ObjectsChecker::put_latencies() const {
  std::vector<int64_t> us;
  for (const auto& [key, writes] : history_) {
    for (const Write& w : writes) {
      if (w.is_put && w.state == State::kAcked && w.end != kNever) us.push_back((w.end - w.start).us);
    }
  }
  if (us.empty()) return "";
  std::sort(us.begin(), us.end());
  auto at = [&](size_t permille) { return std::to_string(us[(us.size() - 1) * permille / 1000] / 1000); };
  return " put_ms_p50=" + at(500) + " put_ms_p99=" + at(990) + " put_ms_max=" + at(1000);
}

std::string ObjectsChecker::leader_kill_gaps() const {
  if (leader_crashes_.empty()) return "";
  std::string out = " leader_kill_to_write_ms=";
  for (size_t i = 0; i < leader_crashes_.size(); ++i) {
    const LeaderCrash& c = leader_crashes_[i];
    out += (i ? "," : "") + (c.next_ack ? std::to_string((*c.next_ack - c.at).us / 1000) : std::string("none"));
  }
  return out;
}

}  // namespace tessera::sim

#include "sim/workloads/objects_checker.h"

#include <algorithm>
#include <cstring>

#include "core/invariants.h"
#include "io_abstraction/random.h"

namespace tessera::sim {
namespace {
constexpr Instant kNever{INT64_MAX};
constexpr Instant kBeginning{INT64_MIN / 2};
constexpr Instant kForever{INT64_MAX / 2};
}  // namespace

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
                                                        Instant now) {
  auto& writes = history_[key];
  writes.push_back(Write{is_put, put_id, size, now, kNever, State::kInFlight, ""});
  return WriteHandle{key, writes.size() - 1};
}

void ObjectsChecker::end_write(WriteHandle h, bool committed, Instant now, const std::string& etag) {
  Write& w = history_[h.key][h.index];
  if (w.state != State::kInFlight) return;  // already turned into a maybe by a crash
  w.end = now;
  w.etag = etag;
  w.state = committed ? State::kAcked : State::kFailed;
  committed ? ++writes_acked_ : ++writes_failed_;
  if (!committed && w.is_put && w.start >= puts_required_from_) {
    violations_.add("availability", "PUT of key " + std::to_string(h.key) + " begun at " +
                                        std::to_string(w.start.us / 1000) + " ms failed");
  }
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
  std::vector<Write> all{Write{false, 0, 0, kBeginning, kBeginning, State::kAcked, ""}};
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
          return w.is_put && w.size == found->second.size && (w.etag.empty() || w.etag == found->second.etag);
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
    return;
  }
  result.is_ok() ? ++reads_ok_ : ++reads_not_found_;
  bool torn = false;
  if (allowed(key, start, end, result, &torn)) return;
  const std::string what = result.is_ok() ? std::to_string(result.value().size()) + " bytes" : "NotFound";
  if (torn) {
    violations_.add("no_torn_objects", "GET of key " + std::to_string(key) + " returned " + what +
                                           " that no PUT wrote");
  } else {
    violations_.add(invariant::kReadAfterWrite, "GET of key " + std::to_string(key) + " during [" +
                                            std::to_string(start.us) + ", " + std::to_string(end.us) +
                                            "] us returned " + what + ", which no linearization allows");
  }
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
  for (const proto::PartRecord& part : version.parts()) {
    if (part.fragments_size() == 0) continue;  // inline
    std::vector<DiskRef> chosen;
    for (const auto& f : part.fragments()) chosen.push_back(DiskRef{f.node(), f.disk()});
    if (!placement_keeps_rule(disks, chosen, part.m(), level)) {
      violations_.add(invariant::kPlacement, "part " + std::to_string(part.number()) + " of " + version.key() +
                                       " has more than m fragments in one " + failure_domain_name(level));
    }
  }
}

void ObjectsChecker::record_version(uint32_t key, const std::string& version_id, uint64_t put_id, size_t size) {
  versions_[key].push_back(Version{version_id, put_id, size});
}

std::string ObjectsChecker::some_version(uint32_t key, uint64_t r) const {
  auto it = versions_.find(key);
  if (it == versions_.end() || it->second.empty()) return "";
  return it->second[r % it->second.size()].id;
}

void ObjectsChecker::check_versioned_read(uint32_t key, const std::string& version_id,
                                          const Result<std::string>& result) {
  if (!result.is_ok() && result.code() != Code::kNotFound) {
    ++reads_failed_;  // an explicit error is allowed under faults
    return;
  }
  ++versioned_reads_;
  for (const Version& v : versions_[key]) {
    if (v.id != version_id) continue;
    if (result.is_ok() && result.value() == make_body(v.put_id, v.size)) return;
    violations_.add(invariant::kReadAfterWrite, "GET of key " + std::to_string(key) + " version " + version_id + " returned " +
                                            (result.is_ok() ? std::to_string(result.value().size()) + " bytes"
                                                            : result.status().to_string()) +
                                            ", not the bytes that version was written with");
    return;
  }
}

std::string ObjectsChecker::stats() const {
  return "writes_acked=" + std::to_string(writes_acked_) + " writes_failed=" + std::to_string(writes_failed_) +
         " writes_maybe=" + std::to_string(writes_maybe_) + " reads_ok=" + std::to_string(reads_ok_) +
         " reads_not_found=" + std::to_string(reads_not_found_) + " reads_failed=" + std::to_string(reads_failed_) +
         " lists=" + std::to_string(lists_) + " versioned_reads=" + std::to_string(versioned_reads_) +
         " final_reads_ok=" + std::to_string(final_ok_);
}

}  // namespace tessera::sim

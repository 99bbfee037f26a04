// The S3 rules the objects workload exercises beyond PUT/GET/DELETE:
// conditional PUTs and GETs, CopyObject, ranges and partNumber,
// DeleteObjects and deletes of a version by id. Each answer is judged by
// the values a linearization allows the key to have had meanwhile.
#include <algorithm>
#include <cstdio>

#include "core/s3/s3_util.h"
#include "sim/workloads/objects_client.h"

namespace tessera::sim {

using s3::S3Op;
using Write = ObjectsChecker::Write;

namespace {

bool refused(const S3Answer& a) { return a.error_code() == "PreconditionFailed"; }

std::string answer_text(const S3Answer& a) {
  if (a.ok()) return std::to_string(a.http_status) + " with " + std::to_string(a.body().size()) + " bytes";
  return std::to_string(a.http_status) + " " + a.error_code();
}

}  // namespace

std::string ObjectsClient::some_etag(uint32_t key) { return ctx_.checker.some_etag(key, rt_.random().next()); }

// PUT with If-None-Match: * (commits only over an absent key) or If-Match
// with an ETag the key has had (commits only over that value).
Task<void> ObjectsClient::conditional_put(uint32_t key) {
  std::string etag = rt_.random().below(2) == 0 ? "" : some_etag(key);
  const bool none_match = etag.empty();
  const size_t size = rt_.random().below(uint64_t{ctx_.config.object_bytes_max()} + 1);
  const uint64_t put_id = ctx_.checker.next_put_id();
  const Instant start = rt_.now();
  auto h = ctx_.checker.begin_write(key, true, put_id, size, start);
  const Params headers = none_match ? param("if-none-match", "*") : param("if-match", s3::quoted(etag));
  S3Answer a = co_await s3_.call(S3Op::kPutObject, key_name(key), {}, headers, make_body(put_id, size));
  ctx_.checker.count("conditional_puts");
  const std::string what = none_match ? "PUT with If-None-Match: *" : "PUT with If-Match: " + etag;
  // Over an absent key, or over the value with that ETag.
  const auto met = [&](const Write& w) { return none_match ? !w.is_put : w.is_put && w.etag == etag; };
  if (refused(a)) {
    ctx_.checker.end_write_refused(h, rt_.now());
    ctx_.checker.check_get(
        key, start, rt_.now(), [&](const Write& w) { return !met(w); }, what + " was refused");
  } else if (end_put(key, h, a, a.etag(), put_id, size, start)) {
    ctx_.checker.check_get(key, start, rt_.now(), met, what + " committed");
    co_await check_placement(key, a.version_id());
  }
}

// CopyObject of another key, read first and copied only while it still has
// the value read (x-amz-copy-source-if-match), so the copy's bytes are known.
Task<void> ObjectsClient::copy(uint32_t key) {
  const uint32_t keys = ctx_.config.keys();
  if (keys < 2) co_return co_await put(key);
  const uint32_t source = (key + 1 + static_cast<uint32_t>(rt_.random().below(keys - 1))) % keys;
  const Instant read_start = rt_.now();
  S3Answer got = co_await s3_.call(S3Op::kGetObject, key_name(source));
  ctx_.checker.check_read(source, read_start, rt_.now(), got.result());
  if (!got.ok()) co_return;
  const Write* value = ctx_.checker.identify(source, got.body());
  if (value == nullptr) co_return;  // torn: reported by check_read
  const uint64_t put_id = value->put_id;
  const size_t size = value->size;
  const std::string etag = got.etag();
  const Instant start = rt_.now();
  auto h = ctx_.checker.begin_write(key, true, put_id, size, start);
  const Params headers = params("x-amz-copy-source", std::string(kSimBucket) + "/" + key_name(source),
                                "x-amz-copy-source-if-match", s3::quoted(etag));
  S3Answer a = co_await s3_.call(S3Op::kCopyObject, key_name(key), {}, headers);
  ctx_.checker.count("copies");
  const std::string what = "CopyObject from key " + std::to_string(source) + " if it has ETag " + etag;
  const auto had_it = [&](const Write& w) { return w.is_put && w.etag == etag; };
  if (refused(a) || a.status.code() == Code::kNotFound) {
    ctx_.checker.end_write_refused(h, rt_.now());
    const bool gone = a.status.code() == Code::kNotFound;
    ctx_.checker.check_get(
        source, start, rt_.now(), [&](const Write& w) { return gone ? !w.is_put : w.is_put && !had_it(w); },
        what + " answered " + answer_text(a));
  } else if (end_put(key, h, a, S3Client::xml_value(a, "ETag"), put_id, size, start)) {
    ctx_.checker.check_get(source, start, rt_.now(), had_it, what + " copied it");
    co_await check_placement(key, a.version_id());
  }
}

// GET with If-Match or If-None-Match (an ETag the key has had) or
// If-Modified-Since (a second of the recent past). The answer's ETag and
// Last-Modified say which value was met, and whether the condition held.
Task<void> ObjectsClient::conditional_get(uint32_t key) {
  const uint64_t kind = rt_.random().below(3);
  const std::string etag = some_etag(key);
  if (kind < 2 && etag.empty()) co_return co_await get(key);
  const int64_t since_ms = (rt_.unix_ms() - static_cast<int64_t>(rt_.random().below(2000))) / 1000 * 1000;
  const Params headers = kind == 0   ? param("if-match", s3::quoted(etag))
                         : kind == 1 ? param("if-none-match", s3::quoted(etag))
                                     : param("if-modified-since", s3::http_date(since_ms));
  const Instant start = rt_.now();
  S3Answer a = co_await s3_.call(S3Op::kGetObject, key_name(key), {}, headers);
  const Instant end = rt_.now();
  ctx_.checker.count("conditional_gets");
  const bool absent = a.status.code() == Code::kNotFound;
  const bool declined = refused(a) || a.error_code() == "NotModified";
  if (!a.ok() && !absent && !declined) co_return ctx_.checker.check_read(key, start, end, a.status);
  const std::string answered = a.etag();
  const int64_t modified_ms = s3::parse_http_date_ms(a.header("last-modified"));
  const auto holds = [&](const Write& w) {
    if (kind == 0) return w.etag == etag;
    if (kind == 1) return w.etag != etag;
    return modified_ms > since_ms;
  };
  // The value's Last-Modified is the second its PUT committed in.
  const auto modified_fits = [&](const Write& w) {
    return modified_ms >= unix_ms(w.start) / 1000 * 1000 && modified_ms <= unix_ms(w.end);
  };
  const auto fits = [&](const Write& w) {
    if (absent) return !w.is_put;
    if (!w.is_put || w.etag != answered || !modified_fits(w) || holds(w) == declined) return false;
    return declined || (w.size == a.body().size() && w.body() == a.body());
  };
  const std::string what = "GET with " + headers[0].first + ": " + headers[0].second + " answered " + answer_text(a) +
                           " (ETag " + answered + ", Last-Modified " + a.header("last-modified") + ")";
  const auto wrote = [&](const Write& w) { return w.is_put && w.body() == a.body(); };
  ctx_.checker.check_get(key, start, end, fits, what, a.ok() ? ObjectsChecker::Fits(wrote) : nullptr);
}

// GET of bytes=first-last or bytes=-suffix.
Task<void> ObjectsClient::range_get(uint32_t key) {
  const uint64_t max = ctx_.config.object_bytes_max();
  const bool suffix = rt_.random().below(4) == 0;
  const uint64_t first = rt_.random().below(max + 1);
  const uint64_t last = first + rt_.random().below(max / 4 + 1);
  const uint64_t suffix_bytes = 1 + rt_.random().below(max / 4 + 1);
  const std::string spec =
      suffix ? "-" + std::to_string(suffix_bytes) : std::to_string(first) + "-" + std::to_string(last);
  const Instant start = rt_.now();
  S3Answer a = co_await s3_.call(S3Op::kGetObject, key_name(key), {}, param("range", "bytes=" + spec));
  const Instant end = rt_.now();
  ctx_.checker.count("range_gets");
  const bool absent = a.status.code() == Code::kNotFound;
  const bool unsatisfiable = a.error_code() == "InvalidRange";
  if (!a.ok() && !absent && !unsatisfiable) co_return ctx_.checker.check_read(key, start, end, a.status);
  const std::string content_range = a.header("content-range");
  const auto fits = [&](const Write& w) {
    if (absent) return !w.is_put;
    if (!w.is_put) return false;
    const uint64_t size = w.size;
    const bool empty = suffix ? size == 0 : first >= size;
    if (unsatisfiable) return empty && content_range == "bytes */" + std::to_string(size);
    if (empty || a.etag() != w.etag) return false;
    const uint64_t from = suffix ? size - std::min(size, suffix_bytes) : first;
    const uint64_t to = suffix ? size - 1 : std::min(last, size - 1);
    return a.http_status == 206 &&
           content_range == "bytes " + std::to_string(from) + "-" + std::to_string(to) + "/" + std::to_string(size) &&
           w.body().substr(from, to - from + 1) == a.body();
  };
  // The bytes the answer says it sends (its Content-Range) of some value.
  uint64_t from = 0, to = 0, of = 0;
  const bool ranged = std::sscanf(content_range.c_str(), "bytes %lu-%lu/%lu", &from, &to, &of) == 3 && from <= to;
  const auto wrote = [&](const Write& w) {
    return ranged && w.is_put && w.size == of && to < w.size && w.body().substr(from, to - from + 1) == a.body();
  };
  ctx_.checker.check_get(key, start, end, fits,
                         "GET of bytes=" + spec + " answered " + answer_text(a) + " (" + content_range + ")",
                         a.ok() ? ObjectsChecker::Fits(wrote) : nullptr);
}

// GET ?partNumber=n: that S3 part of a multipart value (a single PUT is
// one part), with the number of parts.
Task<void> ObjectsClient::part_get(uint32_t key) {
  const auto n = static_cast<uint32_t>(1 + rt_.random().below(4));
  const Instant start = rt_.now();
  S3Answer a = co_await s3_.call(S3Op::kGetObject, key_name(key), param("partNumber", std::to_string(n)));
  const Instant end = rt_.now();
  ctx_.checker.count("part_gets");
  const bool absent = a.status.code() == Code::kNotFound;
  const bool no_such_part = a.error_code() == "InvalidPart";
  if (!a.ok() && !absent && !no_such_part) co_return ctx_.checker.check_read(key, start, end, a.status);
  const uint64_t part_bytes = ctx_.checker.upload_part_bytes();
  const auto fits = [&](const Write& w) {
    if (absent) return !w.is_put;
    if (!w.is_put) return false;
    const uint32_t parts = w.parts(part_bytes);
    if (no_such_part) return n > parts;
    if (n > parts || a.etag() != w.etag || a.header("x-amz-mp-parts-count") != std::to_string(parts)) return false;
    const std::string body = w.body();
    if (!w.multipart) return body == a.body();
    return body.substr(std::min<uint64_t>(body.size(), (n - 1) * part_bytes), part_bytes) == a.body();
  };
  const auto wrote = [&](const Write& w) { return w.is_put && w.body().find(a.body()) != std::string::npos; };
  ctx_.checker.check_get(key, start, end, fits,
                         "GET of partNumber=" + std::to_string(n) + " answered " + answer_text(a),
                         a.ok() ? ObjectsChecker::Fits(wrote) : nullptr);
}

// DeleteObjects of key and up to two others: each key's entry says
// whether it was deleted.
Task<void> ObjectsClient::multi_delete(uint32_t key) {
  std::vector<uint32_t> keys{key};
  for (uint64_t more = rt_.random().below(3); more > 0; --more) {
    const uint32_t other = some_key();
    if (std::find(keys.begin(), keys.end(), other) == keys.end()) keys.push_back(other);
  }
  std::vector<ObjectsChecker::WriteHandle> writes;
  std::vector<std::string> names;
  for (uint32_t k : keys) {
    writes.push_back(ctx_.checker.begin_write(k, false, 0, 0, rt_.now()));
    names.push_back(key_name(k));
  }
  S3Answer a = co_await s3_.call(S3Op::kDeleteObjects, "", param("delete", ""), {}, S3Client::delete_document(names));
  ctx_.checker.count("multi_deletes");
  const auto outcomes = S3Client::delete_outcomes(a);
  for (size_t i = 0; i < keys.size(); ++i) {
    auto found = outcomes.find(names[i]);
    if (!a.ok() && !outcome_unknown(a.status)) {
      ctx_.checker.end_write(writes[i], false, rt_.now());  // refused whole: nothing deleted
    } else if (a.ok() && found != outcomes.end() && found->second.deleted) {
      ctx_.checker.end_write(writes[i], true, rt_.now());
    } else {
      // An <Error> entry may be a metadata call without an answer.
      ctx_.checker.end_write_unknown(writes[i]);
    }
  }
}

// DeleteObject ?versionId= of a version a later PUT superseded.
Task<void> ObjectsClient::version_delete(uint32_t key) {
  const std::string id = ctx_.checker.some_superseded_version(key, rt_.random().next());
  if (id.empty()) co_return co_await remove(key);
  ctx_.checker.begin_version_delete(key, id, rt_.now());
  S3Answer a = co_await s3_.call(S3Op::kDeleteObject, key_name(key), param("versionId", id));
  using State = ObjectsChecker::State;
  const State outcome = a.ok() ? State::kAcked : outcome_unknown(a.status) ? State::kMaybe : State::kFailed;
  ctx_.checker.end_version_delete(key, id, outcome, rt_.now());
  if (a.ok() && a.version_id() != id) {
    ctx_.checker.add_violation(invariant::kReadAfterWrite, "DeleteObject of key " + std::to_string(key) + " version " +
                                                               id + " answered version " + a.version_id());
  }
}

}  // namespace tessera::sim

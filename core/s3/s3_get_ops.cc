// S3 reads: GetObject and HeadObject (conditions, ranges, partNumber,
// checksum headers, response-* overrides) and the delete-marker answer.
#include "core/s3/checksums.h"
#include "core/s3/s3_api.h"
#include "core/s3/s3_error.h"
#include "core/s3/s3_util.h"

namespace tessera::s3 {
namespace {

// bytes=a-b, bytes=a-, bytes=-n. nullopt: no usable range (S3 then sends
// the whole object); an unsatisfiable one is InvalidRange.
Result<std::optional<ByteRange>> parse_range(const std::string& h, uint64_t size) {
  if (h.rfind("bytes=", 0) != 0 || h.find(',') != std::string::npos) return std::optional<ByteRange>();
  const std::string spec = h.substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return std::optional<ByteRange>();
  auto a = decimal(spec.substr(0, dash)), b = decimal(spec.substr(dash + 1));
  ByteRange r;
  if (!a && b) {  // suffix
    if (*b == 0) return s3_status("InvalidRange", "the requested range is not satisfiable");
    r.first = *b >= size ? 0 : size - *b;
    r.last = size == 0 ? 0 : size - 1;
    if (size == 0) return s3_status("InvalidRange", "the requested range is not satisfiable");
    return std::optional<ByteRange>(r);
  }
  if (!a || (b && *b < *a) || (!b && !spec.substr(dash + 1).empty())) return std::optional<ByteRange>();
  if (*a >= size) return s3_status("InvalidRange", "the requested range is not satisfiable");
  r.first = *a;
  r.last = b ? std::min(*b, size - 1) : size - 1;
  ASSERT(r.first <= r.last && r.last < size);
  return std::optional<ByteRange>(r);
}

// Whether the object's stored checksum describes the bytes of range: the
// whole object, or partNumber 1 of a single PUT (which is all of it). An
// arbitrary range has none at all (S3 sends none).
bool checksum_covers(const proto::ObjectVersion& v, const std::optional<ByteRange>& range, bool by_part) {
  if (!range) return true;
  return by_part && v.upload_parts() == 0 && range->first == 0 && range->last + 1 == v.size();
}

// The bytes of S3 part n (1-based) of v; nullopt when the part is empty. A
// single PUT is one part.
std::optional<ByteRange> part_range(const proto::ObjectVersion& v, uint32_t n) {
  uint64_t offset = 0, first = 0, last = 0;
  bool any = false;
  for (const auto& stripe : v.stripes()) {
    const uint32_t belongs = v.upload_parts() == 0 ? 1 : stripe.upload_part();
    if (belongs == n) {
      if (!any) first = offset;
      last = offset + stripe.size() - 1;
      any = any || stripe.size() > 0;
    }
    offset += stripe.size();
  }
  if (!any) return std::nullopt;
  return ByteRange{first, last};
}

// x-amz-checksum-* of what a GET sends, when the client asked for them
// (x-amz-checksum-mode: ENABLED), as S3 does: the object's for the whole
// object, part n's own for partNumber=n of a multipart object, none for an
// arbitrary range. Clients verify them against the body.
void set_checksum_headers(S3Request& r, const proto::ObjectVersion& v, const std::optional<ByteRange>& range,
                          uint32_t part_number) {
  if (r.header("x-amz-checksum-mode") != "ENABLED") return;
  bool any = false;
  if (part_number > 0 && v.upload_parts() > 0) {
    for (const auto& p : v.uploaded_parts()) {
      if (p.number() != part_number) continue;
      for (const auto& c : p.checksums()) r.reply->set_header(c.name(), c.value());
      any = p.checksums_size() > 0;
    }
  } else if (checksum_covers(v, range, part_number > 0)) {
    for (const auto& h : v.headers()) {
      if (checksum_element(h.name()) == nullptr) continue;
      r.reply->set_header(h.name(), h.value());
      any = true;
    }
  }
  if (any) r.reply->set_header("x-amz-checksum-type", checksum_type_of(v.headers()));
}

// If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, in S3's
// order of precedence; ETag and Last-Modified go out either way.
Status check_conditions(S3Request& r, const proto::ObjectVersion& v, bool broken_ignore) {
  const int64_t modified = static_cast<int64_t>(v.modified_ms());
  const std::string if_match = r.header("if-match"), if_none = r.header("if-none-match");
  const int64_t unmodified_since = parse_http_date_ms(r.header("if-unmodified-since"));
  const int64_t modified_since = parse_http_date_ms(r.header("if-modified-since"));
  r.reply->set_header("ETag", quoted(v.etag()));
  r.reply->set_header("Last-Modified", http_date(modified));
  if (broken_ignore) return Status::ok();
  if (!if_match.empty() && unquoted(if_match) != v.etag() && if_match != "*") {
    return s3_status("PreconditionFailed", "If-Match does not hold");
  }
  if (if_match.empty() && unmodified_since >= 0 && modified / 1000 * 1000 > unmodified_since) {
    return s3_status("PreconditionFailed", "If-Unmodified-Since does not hold");
  }
  if (!if_none.empty() && (unquoted(if_none) == v.etag() || if_none == "*")) return s3_status("NotModified", "");
  if (if_none.empty() && modified_since >= 0 && modified / 1000 * 1000 <= modified_since) {
    return s3_status("NotModified", "");
  }
  return Status::ok();
}

// The bytes asked for: part *part_number (set when ?partNumber= is given)
// or the Range header; nullopt for the whole object.
Result<std::optional<ByteRange>> requested_range(S3Request& r, const proto::ObjectVersion& v, uint32_t* part_number,
                                                 bool broken_past_end) {
  if (r.has("partNumber")) {
    uint32_t n = 0;
    try {
      n = static_cast<uint32_t>(std::stoul(r.param("partNumber")));
    } catch (...) {
    }
    const uint32_t parts = std::max<uint32_t>(v.upload_parts(), 1);
    if (n < 1 || n > parts) return s3_status("InvalidPart", "partNumber is out of range");
    *part_number = n;
    r.reply->set_header("x-amz-mp-parts-count", std::to_string(parts));
    return part_range(v, n);
  }
  if (r.header("range").empty()) return std::optional<ByteRange>();
  auto parsed = parse_range(r.header("range"), v.size());
  if (!parsed.is_ok()) r.reply->set_header("Content-Range", "bytes */" + std::to_string(v.size()));
  if (broken_past_end && parsed.is_ok() && parsed.value() && parsed.value()->last + 1 < v.size()) {
    ++parsed.value()->last;
  }
  return parsed;
}

// The object's own headers, then the response-* overrides, which apply to
// signed requests only, as in S3.
void set_object_headers(S3Request& r, const proto::ObjectVersion& v) {
  r.reply->set_header("Accept-Ranges", "bytes");
  r.reply->set_header("Content-Type", v.content_type().empty() ? "binary/octet-stream" : v.content_type());
  for (const auto& m : v.user_metadata()) r.reply->set_header("x-amz-meta-" + m.name(), m.value());
  for (const auto& h : v.headers()) {
    if (h.name().rfind("x-amz-checksum-", 0) != 0) r.reply->set_header(h.name(), h.value());
  }
  if (!v.storage_class().empty() && v.storage_class() != "STANDARD") {
    r.reply->set_header("x-amz-storage-class", v.storage_class());
  }
  set_version_header(r, v);
  if (!v.tags().empty()) r.reply->set_header("x-amz-tagging-count", std::to_string(v.tags().size()));
  if (r.access_key.empty()) return;
  for (const auto& [param, header] : std::vector<std::pair<std::string, std::string>>{
           {"response-content-type", "Content-Type"},
           {"response-content-language", "Content-Language"},
           {"response-expires", "Expires"},
           {"response-cache-control", "Cache-Control"},
           {"response-content-disposition", "Content-Disposition"},
           {"response-content-encoding", "Content-Encoding"}}) {
    if (r.has(param)) r.reply->set_header(header, r.param(param));
  }
}

}  // namespace

Task<Status> S3Api::get_object(S3Request& r, bool head) {
  // Signed requests (presigned URLs too) are the bucket owner's. For
  // anonymous ones the object's own ACL decides, whatever the bucket's: a
  // public-read bucket lets anyone list it, not read its private objects.
  if (!r.access_key.empty()) {
    if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  }
  auto found = co_await gateway_.head_object(r.bucket, r.key, r.param("versionId"));
  if (r.access_key.empty() && !(found.is_ok() && found.value().public_read())) {
    // Whether the key exists is not told to strangers.
    co_return s3_status("AccessDenied", "anonymous access is not allowed to this object");
  }
  if (!found.is_ok()) {
    if (found.status().reason() == "NoSuchKey" || found.status().reason() == "MethodNotAllowed") {
      co_await tell_delete_marker(r);
    }
    co_return found.status();
  }
  const proto::ObjectVersion& v = found.value();
  if (Status s = check_conditions(r, v, broken_.get_ignores_conditions); !s.is_ok()) co_return s;
  uint32_t part_number = 0;
  auto range = requested_range(r, v, &part_number, broken_.range_past_its_end);
  if (!range.is_ok()) co_return range.status();
  const size_t mark = r.reply->header_count();
  set_object_headers(r, v);
  set_checksum_headers(r, v, range.value(), part_number);
  co_return co_await send_object(r, v, range.value(), head, mark);
}

// Out of line, and the awaited value in a variable: GCC 12 miscompiles
// this coroutine in the class body (SIGILL on its first resume).
Task<Status> ReplySink::write(std::string bytes) {
  if (!started_) {
    started_ = true;
    const bool began = co_await reply_.begin_stream(status_, length_);
    if (!began) co_return Status(Code::kUnavailable, "the client went away");
  }
  co_return co_await reply_.write_chunk(std::move(bytes));
}

// The object's bytes (those of range, when given) as the response body.
Task<Status> S3Api::send_object(S3Request& r, const proto::ObjectVersion& v, std::optional<ByteRange> range,
                                    bool head, size_t headers_mark) {
  const ByteRange whole{0, v.size() == 0 ? 0 : v.size() - 1};
  const ByteRange span = range.value_or(whole);
  const uint64_t length = v.size() == 0 ? 0 : span.last - span.first + 1;
  ASSERT(length <= v.size() && (v.size() == 0 || span.last < v.size()));
  const unsigned status = range ? 206 : 200;
  if (range) {
    r.reply->set_header("Content-Range", "bytes " + std::to_string(span.first) + "-" + std::to_string(span.last) + "/" +
                                        std::to_string(v.size()));
  }
  if (head || length == 0) {
    r.reply->set_header("Content-Length", std::to_string(length));
    co_await r.reply->send(status, "");
    co_return Status::ok();
  }
  ReplySink sink(*r.reply, status, length);
  Status s = co_await gateway_.read_object(v, span, sink);
  if (!s.is_ok() && !sink.started()) {
    // Nothing sent: the client gets the error (a lost object's 500, a 503
    // it retries), without the object's headers.
    r.reply->drop_headers_after(headers_mark);
    co_return s;
  }
  // Headers are gone: a failure now can only cut the connection short.
  if (!s.is_ok()) co_return Status::ok();
  co_await r.reply->end_stream();
  co_return Status::ok();
}

Task<void> S3Api::tell_delete_marker(S3Request& r) {
  auto marker = co_await gateway_.metadata().get_object(r.bucket, r.key, r.param("versionId"));
  if (!marker.is_ok() || !marker.value().delete_marker()) co_return;
  r.reply->set_header("x-amz-delete-marker", "true");
  set_version_header(r, marker.value());
  r.reply->set_header("Last-Modified", http_date(static_cast<int64_t>(marker.value().modified_ms())));
}

}  // namespace tessera::s3

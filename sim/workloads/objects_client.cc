#include "sim/workloads/objects_client.h"

#include "core/s3/s3_util.h"
#include "io_abstraction/combinators.h"

namespace tessera::sim {

using s3::S3Op;

std::string key_name(uint32_t key) { return "key-" + std::to_string(key); }

namespace {

std::string versioning_document() {
  return "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status>"
         "</VersioningConfiguration>";
}

}  // namespace

Task<void> ObjectsClient::create_bucket() {
  // A creation that went unanswered but happened answers the retry with
  // success, or (when its owner could not be read back) BucketAlreadyExists.
  co_await until_done(S3Op::kCreateBucket, Params(), std::string(), std::string("BucketAlreadyExists"));
  if (ctx_.config.versioned()) {
    co_await until_done(S3Op::kPutBucketVersioning, param("versioning", ""), versioning_document(), std::string());
  }
}

Task<void> ObjectsClient::until_done(S3Op op, Params query, std::string body, std::string also_retried) {
  // A metadata node may not answer yet (crashed, cut off): ask again.
  for (;;) {
    S3Answer a = co_await s3_.call(op, std::string(), query, {}, body);
    if (a.ok()) break;
    ASSERT(outcome_unknown(a.status) || a.status.code() == Code::kUnavailable ||
           (!also_retried.empty() && a.error_code() == also_retried));
    co_await sleep(rt_, Duration::millis(50));
  }
}

Task<void> ObjectsClient::one_operation() {
  const auto& c = ctx_.config;
  const uint32_t key = some_key();
  const uint64_t dice = rt_.random().below(100);
  if (dice < c.put_percent()) {
    co_await put_some(key);
  } else if (dice < c.put_percent() + c.get_percent()) {
    co_await get_some(key);
  } else if (dice < c.put_percent() + c.get_percent() + c.list_percent()) {
    co_await list_all();
  } else {
    co_await delete_some(key);
  }
}

Task<void> ObjectsClient::put_some(uint32_t key) {
  if (percent(ctx_.config.copy_percent())) co_return co_await copy(key);
  if (percent(ctx_.config.conditional_put_percent())) co_return co_await conditional_put(key);
  co_await put(key);
}

Task<void> ObjectsClient::get_some(uint32_t key) {
  const auto& c = ctx_.config;
  if (c.versioned() && percent(c.versioned_read_percent()) && !ctx_.checker.some_version(key, 0).empty()) {
    co_return co_await versioned_get(key);
  }
  if (percent(c.conditional_get_percent())) co_return co_await conditional_get(key);
  if (percent(c.partial_get_percent())) {
    if (rt_.random().below(2) == 0) co_return co_await range_get(key);
    co_return co_await part_get(key);
  }
  co_await get(key);
}

Task<void> ObjectsClient::delete_some(uint32_t key) {
  if (percent(ctx_.config.multi_delete_percent())) co_return co_await multi_delete(key);
  if (ctx_.config.versioned() && percent(ctx_.config.version_delete_percent())) co_return co_await version_delete(key);
  co_await remove(key);
}

Task<void> ObjectsClient::put(uint32_t key) {
  const auto& c = ctx_.config;
  const size_t size = rt_.random().below(uint64_t{c.object_bytes_max()} + 1);
  const uint64_t put_id = ctx_.checker.next_put_id();
  const bool multipart = percent(c.multipart_percent());
  const Instant start = rt_.now();
  auto h = ctx_.checker.begin_write(key, true, put_id, size, start, multipart);
  // Not `?:` around co_await: GCC 12 destroys its temporaries twice.
  S3Answer a;
  if (multipart) {
    a = co_await multipart_put(key_name(key), make_body(put_id, size));
  } else {
    a = co_await s3_.call(S3Op::kPutObject, key_name(key), {}, {}, make_body(put_id, size));
  }
  if (end_put(key, h, a, a.etag(), put_id, size, start)) co_await check_placement(key, a.version_id());
}

bool ObjectsClient::end_put(uint32_t key, ObjectsChecker::WriteHandle h, const S3Answer& a, const std::string& etag,
                            uint64_t put_id, size_t size, Instant start) {
  // No answer from a metadata node (in-process metadata always answers):
  // the write may have committed, or may yet.
  if (!a.ok() && outcome_unknown(a.status)) {
    ctx_.checker.end_write_unknown(h);
    return false;
  }
  ctx_.checker.end_write(h, a.ok(), rt_.now(), a.ok() ? etag : "", a.ok() ? "" : a.status.to_string());
  if (a.ok() && ctx_.config.versioned()) {
    ctx_.checker.record_version(key, a.version_id(), put_id, size, start, rt_.now());
  }
  return a.ok();
}

Task<void> ObjectsClient::check_placement(uint32_t key, const std::string& version_id) {
  auto v = co_await metadata_.get_object(kSimBucket, key_name(key), version_id);
  // Overwritten or deleted since, or the metadata unreachable: a later
  // PUT checks its own.
  if (v.is_ok()) ctx_.checker.check_placement(v.value(), ctx_.disks, ctx_.level);
}

// A multipart upload of body: parts in parallel in a shuffled order, one
// of them uploaded twice (the second replaces the first), then completed.
Task<S3Answer> ObjectsClient::multipart_put(std::string key, std::string body) {
  S3Answer created = co_await s3_.call(S3Op::kCreateMultipartUpload, key, param("uploads", ""));
  if (!created.ok()) co_return created;
  const std::string id = S3Client::xml_value(created, "UploadId");
  ASSERT(!id.empty());
  const uint64_t part = std::max<uint64_t>(1, ctx_.config.upload_part_bytes());
  std::vector<std::string> parts;
  for (uint64_t off = 0; off < body.size() || parts.empty(); off += part) parts.push_back(body.substr(off, part));
  std::vector<uint32_t> order;
  for (uint32_t i = 1; i <= parts.size(); ++i) order.push_back(i);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rt_.random().below(i)]);
  order.insert(order.begin(), order[rt_.random().below(order.size())]);  // uploaded twice
  std::vector<Task<S3Answer>> uploads;
  for (uint32_t n : order) {
    uploads.push_back(s3_.call(S3Op::kUploadPart, key, params("uploadId", id, "partNumber", std::to_string(n)), {},
                               n == order.front() && uploads.empty() ? "stale" : parts[n - 1]));
  }
  // The first (stale) upload of the repeated part must finish before the
  // good one starts, or the good one could be replaced.
  S3Answer stale = co_await std::move(uploads.front());
  if (!stale.ok()) co_return stale;
  uploads.erase(uploads.begin());
  std::vector<std::pair<uint32_t, std::string>> list(parts.size());
  std::vector<S3Answer> done = co_await when_all(rt_, std::move(uploads));
  for (size_t i = 0; i < done.size(); ++i) {
    if (!done[i].ok()) co_return std::move(done[i]);
    list[order[i + 1] - 1] = {order[i + 1], done[i].etag()};
  }
  S3Answer completed = co_await s3_.call(S3Op::kCompleteMultipartUpload, key, param("uploadId", id), {},
                                         S3Client::complete_document(list));
  if (completed.ok()) {
    // The version's ETag is in the document; the checker wants it as a PUT's.
    completed.reply.set_header("ETag", s3::quoted(S3Client::xml_value(completed, "ETag")));
  }
  co_return completed;
}

Task<Result<std::string>> ObjectsClient::read(uint32_t key, const std::string& version_id) {
  Params query;
  if (!version_id.empty()) query.emplace_back("versionId", version_id);
  S3Answer a = co_await s3_.call(S3Op::kGetObject, key_name(key), std::move(query));
  co_return a.result();
}

Task<void> ObjectsClient::get(uint32_t key) {
  const Instant start = rt_.now();
  auto r = co_await read(key);
  ctx_.checker.check_read(key, start, rt_.now(), r);
}

Task<void> ObjectsClient::versioned_get(uint32_t key) {
  const std::string version = ctx_.checker.some_version(key, rt_.random().next());
  const Instant start = rt_.now();
  auto r = co_await read(key, version);
  ctx_.checker.check_versioned_read(key, version, start, rt_.now(), r);
}

// ListObjectsV2 of the whole bucket, paged by a random page size; every
// key's presence, size and ETag must fit its history.
Task<void> ObjectsClient::list_all() {
  const Instant start = rt_.now();
  const auto page_keys = rt_.random().between(1, 2 * ctx_.config.keys());
  std::map<uint32_t, ObjectsChecker::Listed> listed;
  std::string token;
  for (;;) {
    Params query = params("list-type", "2", "max-keys", std::to_string(page_keys));
    if (!token.empty()) query.emplace_back("continuation-token", token);
    S3Answer a = co_await s3_.call(S3Op::kListObjects, "", std::move(query));
    if (!a.ok()) co_return;  // an error is allowed under faults
    auto page = S3Client::list_page(a);
    if (!page.is_ok()) {
      ctx_.checker.add_violation(invariant::kReadAfterWrite, page.status().to_string());
      co_return;
    }
    for (const auto& o : page.value().objects) {
      listed[static_cast<uint32_t>(std::stoul(o.key.substr(4)))] = ObjectsChecker::Listed{o.size, o.etag};
    }
    if (page.value().next_token.empty()) break;
    token = page.value().next_token;
  }
  ctx_.checker.check_list(ctx_.config.keys(), start, rt_.now(), listed);
}

Task<void> ObjectsClient::remove(uint32_t key) {
  auto h = ctx_.checker.begin_write(key, false, 0, 0, rt_.now());
  S3Answer a = co_await s3_.call(S3Op::kDeleteObject, key_name(key));
  // Deleting an absent key leaves it absent: S3 answers 204 either way.
  if (!a.ok() && outcome_unknown(a.status)) {
    ctx_.checker.end_write_unknown(h);
  } else {
    ctx_.checker.end_write(h, a.ok(), rt_.now());
  }
}

}  // namespace tessera::sim

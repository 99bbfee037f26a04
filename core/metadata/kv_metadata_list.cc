// LIST (current versions) and LIST VERSIONS: each one range scan over
// order-preserving keys, skipping whole common prefixes at once.
#include "core/metadata/kv_store_util.h"
#include "core/metadata/metadata_store.h"

namespace tessera {

using namespace kv_store_util;

namespace {

// The common prefix key falls under (prefix + text up to the delimiter), or
// "" when it has none.
std::string common_prefix_of(const std::string& key, const std::string& prefix, const std::string& delimiter) {
  if (delimiter.empty()) return "";
  const size_t at = key.find(delimiter, prefix.size());
  if (at == std::string::npos) return "";
  return key.substr(0, at + delimiter.size());
}

Status check_max(uint32_t max) {
  if (max > kMaxKeysMax) {
    return Status(Code::kInvalidArgument, "max-keys must be 0.." + std::to_string(kMaxKeysMax), "InvalidArgument");
  }
  return Status::ok();
}

}  // namespace

Task<Result<ListResult>> KvMetadataStore::list_objects(std::string bucket, ListRequest req) {
  if (Status s = check_max(req.max_keys); !s.is_ok()) co_return s;
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  ListResult out;
  const std::string base = keys::head_prefix(bucket);
  const std::string end = keys::head_range_end(bucket);
  // Start at the later of the prefix and just past start_after.
  std::string from_key = req.prefix;
  if (!req.start_after.empty() && req.start_after >= req.prefix) from_key = req.start_after + std::string(1, '\0');
  std::string from = base + keys::escape(from_key);
  uint32_t returned = 0;
  for (;;) {
    auto rows = co_await kv_.scan(from, end, kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    bool skipped = false;
    for (auto& [kv_key, value] : rows.value()) {
      const std::string key = keys::unescape(std::string_view(kv_key).substr(base.size()));
      if (key.compare(0, req.prefix.size(), req.prefix) != 0) co_return out;  // past the prefix
      proto::ObjectVersion v;
      if (!v.ParseFromString(value)) co_return Status(Code::kCorrupt, "object record does not parse");
      if (v.delete_marker()) continue;
      if (returned == req.max_keys) {
        out.truncated = true;
        co_return out;
      }
      const std::string common = common_prefix_of(key, req.prefix, req.delimiter);
      if (!common.empty()) {
        // Continuing after this prefix skips it whole.
        if (req.start_after.empty() || common > req.start_after) {
          out.common_prefixes.push_back(common);
          out.next_marker = common;
          ++returned;
        }
        const std::string next = keys::prefix_successor(common);
        if (next.empty()) co_return out;
        from = base + keys::escape(next);
        skipped = true;
        break;  // rescan from past this common prefix
      }
      out.next_marker = key;
      out.objects.push_back(std::move(v));
      ++returned;
    }
    if (skipped) continue;
    if (rows.value().size() < kScanBatch) co_return out;
    from = rows.value().back().first + std::string(1, '\0');
  }
}

Task<Result<ListVersionsResult>> KvMetadataStore::list_versions(std::string bucket, ListVersionsRequest req) {
  if (Status s = check_max(req.max_keys); !s.is_ok()) co_return s;
  auto b = co_await get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  ListVersionsResult out;
  const std::string base = keys::versions_prefix(bucket);
  const std::string end = keys::versions_range_end(bucket);
  std::string from = base + keys::escape(req.prefix);
  // The key whose newest version was already passed (resuming inside it).
  std::optional<std::string> inside_key;
  if (!req.key_marker.empty() && req.key_marker >= req.prefix) {
    from = keys::prefix_successor(keys::key_versions_prefix(bucket, req.key_marker));
    if (!req.version_id_marker.empty()) {
      auto all = co_await key_versions(bucket, req.key_marker);
      if (!all.is_ok()) co_return all.status();
      for (const auto& v : all.value()) {
        if (v.version_id() == req.version_id_marker) {
          from = keys::version(bucket, req.key_marker, v.version()) + std::string(1, '\0');
          inside_key = req.key_marker;
        }
      }
    }
  }
  std::optional<std::string> previous_key = inside_key;
  uint32_t returned = 0;
  for (;;) {
    auto rows = co_await kv_.scan(from, end, kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    bool skipped = false;
    for (auto& [kv_key, value] : rows.value()) {
      const std::string key = keys::key_of_version_row(std::string_view(kv_key).substr(base.size()));
      if (key.compare(0, req.prefix.size(), req.prefix) != 0) co_return out;
      if (returned == req.max_keys) {
        out.truncated = true;
        co_return out;
      }
      const std::string common = common_prefix_of(key, req.prefix, req.delimiter);
      if (!common.empty()) {
        if (req.key_marker.empty() || common > req.key_marker) {
          out.common_prefixes.push_back(common);
          out.next_key_marker = common;
          out.next_version_id_marker.clear();
          ++returned;
        }
        const std::string next = keys::prefix_successor(common);
        if (next.empty()) co_return out;
        from = base + keys::escape(next);
        skipped = true;
        break;
      }
      VersionEntry entry;
      if (!entry.version.ParseFromString(value)) co_return Status(Code::kCorrupt, "object record does not parse");
      entry.is_latest = !previous_key || *previous_key != key;
      previous_key = key;
      out.next_key_marker = key;
      out.next_version_id_marker = entry.version.version_id();
      out.versions.push_back(std::move(entry));
      ++returned;
    }
    if (skipped) continue;
    if (rows.value().size() < kScanBatch) co_return out;
    from = rows.value().back().first + std::string(1, '\0');
  }
}

}  // namespace tessera

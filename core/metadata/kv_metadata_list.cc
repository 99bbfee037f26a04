// LIST (current versions) and LIST VERSIONS: each one range scan over
// order-preserving keys, skipping whole common prefixes at once.
#include <functional>
#include <optional>

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

// One grouped range scan, shared by LIST and LIST VERSIONS: visits the rows
// of [from, end) in order until a row's key leaves prefix, folding the keys
// under one common prefix into a single entry (and skipping past them with
// a new scan), and stops after max entries. Rows `take` declines are not
// entries. Returns whether entries were left (truncated).
struct GroupedScan {
  std::string base;        // the kv prefix of the bucket's rows
  std::string from, end;   // kv range
  std::string prefix, delimiter;
  std::string marker;      // common prefixes at or before it were returned already
  uint32_t max = 0;
  std::function<std::string(std::string_view rest)> key_of;  // row key (past base) -> object key
  std::function<Result<bool>(const std::string& key, const std::string& value)> take;
  std::function<Status(const std::string& key, const std::string& value)> add_object;
  std::function<void(const std::string& common)> add_prefix;
};

Task<Result<bool>> grouped_scan(Kv& kv, GroupedScan g) {
  if (g.max == 0) co_return false;  // S3: max-keys=0 lists nothing and is not truncated
  uint32_t returned = 0;
  std::string from = g.from;
  for (;;) {
    auto rows = co_await kv.scan(from, g.end, kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    bool skipped = false;
    for (auto& [kv_key, value] : rows.value()) {
      const std::string key = g.key_of(std::string_view(kv_key).substr(g.base.size()));
      if (key.compare(0, g.prefix.size(), g.prefix) != 0) co_return false;  // past the prefix
      auto take = g.take(key, value);
      if (!take.is_ok()) co_return take.status();
      if (!take.value()) continue;
      if (returned == g.max) co_return true;
      const std::string common = common_prefix_of(key, g.prefix, g.delimiter);
      if (common.empty()) {
        if (Status s = g.add_object(key, value); !s.is_ok()) co_return s;
        ++returned;
        continue;
      }
      if (g.marker.empty() || common > g.marker) {
        g.add_prefix(common);
        ++returned;
      }
      // Rescan from past this common prefix.
      const std::string next = keys::prefix_successor(common);
      if (next.empty()) co_return false;
      from = g.base + keys::escape(next);
      skipped = true;
      break;
    }
    if (skipped) continue;
    if (rows.value().size() < kScanBatch) co_return false;
    from = rows.value().back().first + std::string(1, '\0');
  }
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
  GroupedScan g;
  g.base = base;
  g.from = base + keys::escape(from_key);
  g.end = end;
  g.prefix = req.prefix;
  g.delimiter = req.delimiter;
  g.marker = req.start_after;
  g.max = req.max_keys;
  g.key_of = [](std::string_view rest) { return keys::unescape(rest); };
  proto::ObjectVersion v;
  // Delete markers are not listed, and do not make a common prefix.
  g.take = [&v](const std::string&, const std::string& value) -> Result<bool> {
    if (!v.ParseFromString(value)) return Status(Code::kCorrupt, "object record does not parse");
    return !v.delete_marker();
  };
  g.add_object = [&](const std::string& key, const std::string&) {
    out.next_marker = key;
    out.objects.push_back(v);
    return Status::ok();
  };
  g.add_prefix = [&](const std::string& common) {
    out.common_prefixes.push_back(common);
    out.next_marker = common;
  };
  auto truncated = co_await grouped_scan(kv_, std::move(g));
  if (!truncated.is_ok()) co_return truncated.status();
  out.truncated = truncated.value();
  co_return out;
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
  GroupedScan g;
  g.base = base;
  g.from = from;
  g.end = end;
  g.prefix = req.prefix;
  g.delimiter = req.delimiter;
  g.marker = req.key_marker;
  g.max = req.max_keys;
  g.key_of = [](std::string_view rest) { return keys::key_of_version_row(rest); };
  g.take = [](const std::string&, const std::string&) -> Result<bool> { return true; };
  g.add_object = [&](const std::string& key, const std::string& value) {
    VersionEntry entry;
    if (!entry.version.ParseFromString(value)) return Status(Code::kCorrupt, "object record does not parse");
    // The first row of a key is its newest version.
    entry.is_latest = !previous_key || *previous_key != key;
    previous_key = key;
    out.next_key_marker = key;
    out.next_version_id_marker = entry.version.version_id();
    out.versions.push_back(std::move(entry));
    return Status::ok();
  };
  g.add_prefix = [&](const std::string& common) {
    out.common_prefixes.push_back(common);
    out.next_key_marker = common;
    out.next_version_id_marker.clear();
  };
  auto truncated = co_await grouped_scan(kv_, std::move(g));
  if (!truncated.is_ok()) co_return truncated.status();
  out.truncated = truncated.value();
  co_return out;
}

}  // namespace tessera

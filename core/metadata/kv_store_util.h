// Shared by the KvMetadataStore's translation units: record parsing, lock
// names, scan bounds.
#pragma once

#include <string>

#include <vector>

#include "core/codec/sha256.h"
#include "core/metadata/key_encoding.h"
#include "io_abstraction/kv.h"
#include "io_abstraction/status.h"

namespace tessera::kv_store_util {

namespace keys = metadata_keys;

// Bounds on one LIST: kv rows per scan call; entries per answer.
inline constexpr size_t kScanBatch = 256;
inline constexpr uint32_t kMaxKeysMax = 1000;

template <typename Record>
Result<Record> parse(const Result<std::string>& raw, const char* what) {
  if (!raw.is_ok()) return raw.status();
  Record r;
  if (!r.ParseFromString(raw.value())) return Status(Code::kCorrupt, std::string(what) + " record does not parse");
  return r;
}

// Every record in [from, end), in key order, a batch of rows at a time.
template <typename Record>
Task<Result<std::vector<Record>>> scan_records(Kv& kv, std::string from, std::string end, const char* what) {
  std::vector<Record> out;
  for (;;) {
    auto rows = co_await kv.scan(from, end, kScanBatch);
    if (!rows.is_ok()) co_return rows.status();
    for (auto& [k, v] : rows.value()) {
      Record r;
      if (!r.ParseFromString(v)) co_return Status(Code::kCorrupt, std::string(what) + " record does not parse");
      out.push_back(std::move(r));
    }
    if (rows.value().size() < kScanBatch) co_return out;
    from = rows.value().back().first + std::string(1, '\0');
  }
}

// Lock order: the bucket's lock, then the key's, then the upload's. Object
// writes hold the bucket lock shared (they run in parallel); create/delete
// bucket hold it exclusive, so a bucket cannot be deleted under a commit.
inline std::string bucket_lock(const std::string& bucket) { return "b:" + bucket; }
inline std::string key_lock(const std::string& bucket, const std::string& key) {
  return "k:" + bucket + std::string(1, '\0') + key;
}
inline std::string upload_lock(const std::string& upload_id) { return "u:" + upload_id; }
inline std::string upload_part_lock(const std::string& upload_id, uint32_t number) {
  return "u:" + upload_id + ":" + std::to_string(number);
}

}  // namespace tessera::kv_store_util

// Order-preserving encoding of metadata keys in the ordered kv.
//   "B" bucket                                   -> BucketRecord
//   "H" bucket 0x00 0x01 esc(key)                -> ObjectVersion (the newest)
//   "V" bucket 0x00 0x01 esc(key) 0x00 0x01 be64(~version)
//                                                -> ObjectVersion (every version,
//                                                   newest first within a key)
//   "U" bucket 0x00 0x01 esc(key) 0x00 0x01 id   -> UploadRecord
//   "P" upload_id 0x00 be32(part number)         -> UploadPartRecord
//   "G" be64(unix ms) be64(random)               -> GarbageRecord, oldest first
//   "O" be64(client) be64(seq)                   -> MetaOnceRecord (a write's reply)
// esc() maps 0x00 to 0x00 0xFF, so for any keys a < b, esc(a) < esc(b) and
// every key of a bucket is one contiguous, sorted range: LIST is a scan.
// Bucket names never contain 0x00 (S3 names are [a-z0-9.-]).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::metadata_keys {

inline std::string escape(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 2);
  for (char c : key) {
    out.push_back(c);
    if (c == '\0') out.push_back('\xff');
  }
  return out;
}

inline std::string unescape(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    out.push_back(encoded[i]);
    if (encoded[i] == '\0') ++i;  // skip the 0xFF that follows
  }
  return out;
}

inline std::string bucket(std::string_view name) { return "B" + std::string(name); }
inline std::string bucket_range_end() { return "C"; }

inline std::string head_prefix(std::string_view bucket_name) {
  return "H" + std::string(bucket_name) + std::string("\0\1", 2);
}
inline std::string head(std::string_view bucket_name, std::string_view key) {
  return head_prefix(bucket_name) + escape(key);
}
// The first kv key after every head of the bucket.
inline std::string head_range_end(std::string_view bucket_name) {
  return "H" + std::string(bucket_name) + std::string("\0\2", 2);
}

// Separates an escaped key from what follows it; sorts before any byte an
// escaped key can continue with (esc() only ever follows 0x00 by 0xFF).
inline std::string key_end() { return std::string("\0\1", 2); }

inline std::string big_endian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
}
inline uint64_t from_big_endian(std::string_view s) {
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  return v;
}

inline std::string versions_prefix(std::string_view bucket_name) {
  return "V" + std::string(bucket_name) + std::string("\0\1", 2);
}
inline std::string versions_range_end(std::string_view bucket_name) {
  return "V" + std::string(bucket_name) + std::string("\0\2", 2);
}
inline std::string key_versions_prefix(std::string_view bucket_name, std::string_view key) {
  return versions_prefix(bucket_name) + escape(key) + key_end();
}
inline std::string version(std::string_view bucket_name, std::string_view key, uint64_t number) {
  return key_versions_prefix(bucket_name, key) + big_endian(~number, 8);
}
// The key of a "V" row, given the row with its bucket prefix removed.
inline std::string key_of_version_row(std::string_view rest) {
  return unescape(rest.substr(0, rest.size() - 10));
}

inline std::string uploads_prefix(std::string_view bucket_name) {
  return "U" + std::string(bucket_name) + std::string("\0\1", 2);
}
inline std::string uploads_range_end(std::string_view bucket_name) {
  return "U" + std::string(bucket_name) + std::string("\0\2", 2);
}
inline std::string upload(std::string_view bucket_name, std::string_view key, std::string_view upload_id) {
  return uploads_prefix(bucket_name) + escape(key) + key_end() + std::string(upload_id);
}
inline std::string upload_parts_prefix(std::string_view upload_id) {
  return "P" + std::string(upload_id) + std::string(1, '\0');
}
inline std::string upload_parts_range_end(std::string_view upload_id) {
  return "P" + std::string(upload_id) + std::string(1, '\1');
}
inline std::string upload_part(std::string_view upload_id, uint32_t number) {
  return upload_parts_prefix(upload_id) + big_endian(number, 4);
}

inline std::string garbage(uint64_t unix_ms, uint64_t unique) {
  return "G" + big_endian(unix_ms, 8) + big_endian(unique, 8);
}
inline std::string garbage_range_end() { return "H"; }

// The reply of a write sent with a once id (see OnceId).
inline std::string once(uint64_t client, uint64_t seq) { return "O" + big_endian(client, 8) + big_endian(seq, 8); }
inline std::string once_range_begin() { return "O"; }
inline std::string once_range_end() { return "P"; }

// The smallest string greater than every string that starts with prefix;
// "" when there is none (prefix is all 0xFF).
inline std::string prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace tessera::metadata_keys

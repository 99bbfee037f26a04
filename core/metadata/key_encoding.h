// Order-preserving encoding of metadata keys in the ordered kv.
//   "B" bucket                      -> BucketRecord
//   "H" bucket 0x00 0x01 esc(key)   -> ObjectVersion (the head)
// esc() maps 0x00 to 0x00 0xFF, so for any keys a < b, esc(a) < esc(b) and
// every key of a bucket is one contiguous, sorted range: LIST is a scan.
// Bucket names never contain 0x00 (S3 names are [a-z0-9.-]).
#pragma once

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

// The smallest string greater than every string that starts with prefix;
// "" when there is none (prefix is all 0xFF).
inline std::string prefix_successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

}  // namespace tessera::metadata_keys

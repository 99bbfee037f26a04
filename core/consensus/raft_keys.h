// Where a RaftReplica keeps its own state in the kv: under "\0raft/",
// below every state-machine key (metadata keys begin with a letter), so a
// scan of the state machine starts at kStateBegin and never sees it.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::raft_keys {

inline const std::string kPrefix("\0raft/", 6);
inline const std::string kHard = kPrefix + "hard";              // RaftHardState
inline const std::string kSnap = kPrefix + "snap";              // RaftSnapshotPoint: where the log starts
inline const std::string kApplied = kPrefix + "applied";        // be64: the state machine holds this much
inline const std::string kInstalling = kPrefix + "installing";  // a snapshot half installed
inline const std::string kLogPrefix = kPrefix + "log/";         // + be64(index) -> RaftEntry
inline const std::string kLogEnd = kPrefix + "log0";            // just past every log key
inline const std::string kStateBegin("\x01", 1);

inline std::string be64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}
inline uint64_t from_be64(const std::string& s) {
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  return v;
}
inline std::string log_key(uint64_t index) { return kLogPrefix + be64(index); }

}  // namespace tessera::raft_keys

// ObjectsChecker: judges the objects workload. Every write (PUT, DELETE)
// is recorded with its interval; a crash of the gateway turns in-flight
// writes into maybe-writes (they may or may not have committed). Checkers:
//  - read_after_write: a GET (or what a LIST shows of each key: absent,
//    or present with a size and ETag) returns a value some linearization
//    allows: a
//    write not superseded before the GET began (superseded = an
//    acknowledged write began after it ended and ended before the GET
//    began), or one concurrent with it;
//  - no_torn_objects: a GET never returns bytes that no PUT wrote;
//  - durability: after faults heal, every key reads back an allowed value;
//  - placement: every committed part keeps the failure-domain rule.
// Bodies are a pure function of (put id, size), so nothing is stored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/placement/placement.h"
#include "io_abstraction/status.h"
#include "io_abstraction/types.h"
#include "metadata.pb.h"
#include "sim/workload.h"

namespace tessera::sim {

std::string make_body(uint64_t put_id, size_t size);

class ObjectsChecker {
 public:
  struct WriteHandle {
    uint32_t key;
    size_t index;
  };

  WriteHandle begin_write(uint32_t key, bool is_put, uint64_t put_id, size_t size, Instant now);
  // etag: the committed version's, when known (a PUT's reply).
  void end_write(WriteHandle h, bool committed, Instant now, const std::string& etag = "");
  // The write failed without an answer from the metadata: it may or may not
  // have committed, and (its request still in the network or queued at the
  // metadata node) it may do so at any later time.
  void end_write_unknown(WriteHandle h);
  // The gateway crashed: its in-flight writes may or may not have committed;
  // with remote metadata (set_late_commits) they may still commit later.
  void gateway_crashed(Instant now);
  void set_late_commits(bool late) { late_commits_ = late; }
  // A PUT begun at or after from that fails is an availability violation.
  void require_puts_from(Instant from) { puts_required_from_ = from; }
  void check_read(uint32_t key, Instant start, Instant end, const Result<std::string>& result);
  struct Listed {
    uint64_t size = 0;
    std::string etag;
  };
  // A LIST of keys [0, keys) during [start, end]: listed holds the keys it showed.
  void check_list(uint32_t keys, Instant start, Instant end, const std::map<uint32_t, Listed>& listed);
  // Versioned buckets: an acknowledged PUT made version_id of key.
  void record_version(uint32_t key, const std::string& version_id, uint64_t put_id, size_t size);
  // A version id of key acknowledged so far ("" when none); r picks which.
  std::string some_version(uint32_t key, uint64_t r) const;
  // A read of that version must return its bytes (or an error; never
  // NotFound or other bytes: versions are never removed in this workload).
  void check_versioned_read(uint32_t key, const std::string& version_id, const Result<std::string>& result);
  void check_placement(const proto::ObjectVersion& version, const std::vector<DiskInfo>& disks,
                       FailureDomain level);
  void record_final(uint32_t key, const Result<std::string>& result, Instant now);

  uint64_t next_put_id() { return next_put_id_++; }
  Violations& violations() { return violations_; }
  std::string stats() const;

 private:
  enum class State { kInFlight, kAcked, kFailed, kMaybe };
  bool late_commits_ = false;
  struct Write {
    bool is_put;
    uint64_t put_id;
    size_t size;
    Instant start;
    Instant end;
    State state;
    std::string etag;  // when known
  };
  // Whether some write that a linearization allows to be the key's last at
  // some point in [start, end] satisfies matches; *matched_any: whether any
  // write at all does (else the value was never written: torn).
  bool allowed_if(uint32_t key, Instant start, Instant end, const std::function<bool(const Write&)>& matches,
                  bool* matched_any) const;
  // Whether result is what one of the allowed writes left.
  bool allowed(uint32_t key, Instant start, Instant end, const Result<std::string>& result, bool* torn) const;

  std::map<uint32_t, std::vector<Write>> history_;
  struct Version {
    std::string id;
    uint64_t put_id;
    size_t size;
  };
  std::map<uint32_t, std::vector<Version>> versions_;
  uint64_t versioned_reads_ = 0;
  uint64_t next_put_id_ = 1;
  Violations violations_;
  Instant puts_required_from_{INT64_MAX};
  uint64_t reads_ok_ = 0, reads_not_found_ = 0, reads_failed_ = 0, writes_acked_ = 0, writes_failed_ = 0,
           writes_maybe_ = 0, final_ok_ = 0, lists_ = 0;
};

}  // namespace tessera::sim

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
// Conditional requests, ranges, partNumber, copies and version deletes are
// judged the same way: an answer is allowed when some value a
// linearization allows fits it (check_get), and a conditional write
// refused by its precondition must have met a value that refuses it.
// Bodies are a pure function of (put id, size), so nothing is stored.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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
  enum class State { kInFlight, kAcked, kFailed, kMaybe };
  // A write of a key, as the judge of reads sees it: a PUT of (put_id,
  // size), as a multipart upload or not, or a DELETE (is_put false).
  struct Write {
    bool is_put;
    uint64_t put_id;
    size_t size;
    bool multipart;
    Instant start;
    Instant end;
    State state;
    std::string etag;  // what S3 must answer for these bytes
    bool placeable = true;  // a PUT: a placement existed when it began
    std::string body() const { return make_body(put_id, size); }
    // The S3 parts of a multipart value (one for a single PUT).
    uint32_t parts(uint64_t part_bytes) const;
  };

  // Multipart uploads cut bodies into parts of this many bytes.
  void set_upload_part_bytes(uint64_t bytes) { upload_part_bytes_ = bytes; }
  uint64_t upload_part_bytes() const { return upload_part_bytes_; }
  WriteHandle begin_write(uint32_t key, bool is_put, uint64_t put_id, size_t size, Instant now,
                          bool multipart = false);
  // etag: the committed version's, when known (a PUT's reply): it must be
  // the one S3 gives those bytes.
  // why: a failure's reason, for the availability violation it may be.
  void end_write(WriteHandle h, bool committed, Instant now, const std::string& etag = "",
                 const std::string& why = "");
  // A conditional write refused by its precondition: nothing was written
  // (and no availability is owed). The caller then checks, with
  // check_get, that a value it could have met refuses it.
  void end_write_refused(WriteHandle h, Instant now);
  // The write failed without an answer from the metadata: it may or may not
  // have committed, and (its request still in the network or queued at the
  // metadata node) it may do so at any later time.
  void end_write_unknown(WriteHandle h);
  // The gateway crashed: its in-flight writes may or may not have committed;
  // with remote metadata (set_late_commits) they may still commit later.
  void gateway_crashed(Instant now);
  // The metadata leader crashed: the stats report how long until the next
  // write was acknowledged (leader_kill_to_write_ms).
  void leader_crashed(Instant now) { leader_crashes_.push_back(LeaderCrash{now, std::nullopt}); }
  void set_late_commits(bool late) { late_commits_ = late; }
  // A PUT begun at or after from that fails is an availability violation,
  // unless placement_exists (the ground truth: live disks with room on
  // nodes that are up, for the fragments of a PUT of size bytes) says no
  // placement existed when it began or when it failed.
  void require_puts_from(Instant from) { puts_required_from_ = from; }
  // Every GET of a key that fails is an availability violation (a
  // scenario without faults, where nothing excuses one).
  void set_gets_must_succeed(bool must) { gets_must_succeed_ = must; }
  void set_placement_exists(std::function<bool(size_t size)> exists) { placement_exists_ = std::move(exists); }
  void check_read(uint32_t key, Instant start, Instant end, const Result<std::string>& result);
  // A GET of key during [start, end] whose answer fits(w) says a value
  // could have given (w.is_put false: the key absent). wrote, for answers
  // with bytes: whether w holds those bytes at all (when no write does,
  // the answer is torn). what names the request and its answer.
  using Fits = std::function<bool(const Write&)>;
  void check_get(uint32_t key, Instant start, Instant end, const Fits& fits, const std::string& what,
                 const Fits& wrote = nullptr);
  // The ETag of a PUT of key so far, whatever its outcome ("" when none);
  // r picks which.
  std::string some_etag(uint32_t key, uint64_t r) const;
  // The value the bytes of a whole GET of key are (for a copy's source).
  const Write* identify(uint32_t key, const std::string& bytes) const;
  // A violation of invariant found by the workload itself.
  void add_violation(const char* invariant, const std::string& what) { violations_.add(invariant, what); }
  void count(const std::string& what) { ++counts_[what]; }
  struct Listed {
    uint64_t size = 0;
    std::string etag;
  };
  // A LIST of keys [0, keys) during [start, end]: listed holds the keys it showed.
  void check_list(uint32_t keys, Instant start, Instant end, const std::map<uint32_t, Listed>& listed);
  // Versioned buckets: an acknowledged PUT made version_id of key.
  void record_version(uint32_t key, const std::string& version_id, uint64_t put_id, size_t size, Instant started,
                      Instant acked);
  // A version id of key acknowledged so far ("" when none); r picks which.
  std::string some_version(uint32_t key, uint64_t r) const;
  // A version of key that a later acknowledged PUT superseded and that no
  // delete has named ("" when none): deleting it cannot change what the
  // key reads, so reads of the key stay judged as before.
  std::string some_superseded_version(uint32_t key, uint64_t r) const;
  // DeleteObject of that version: begun now, then committed, failed or
  // unknown (ended by end_version_delete).
  void begin_version_delete(uint32_t key, const std::string& version_id, Instant now);
  void end_version_delete(uint32_t key, const std::string& version_id, State outcome, Instant now);
  // A read of that version during [start, end] must return its bytes, or
  // NotFound once a delete of it may have committed (never other bytes).
  void check_versioned_read(uint32_t key, const std::string& version_id, Instant start, Instant end,
                            const Result<std::string>& result);
  void check_placement(const proto::ObjectVersion& version, const std::vector<DiskInfo>& disks,
                       FailureDomain level);
  void record_final(uint32_t key, const Result<std::string>& result, Instant now);

  uint64_t next_put_id() { return next_put_id_++; }
  Violations& violations() { return violations_; }
  std::string stats() const;

 private:
  bool late_commits_ = false;
  uint64_t upload_part_bytes_ = 1;
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
    Instant acked;
    bool superseded = false;
    // A delete of this version: not begun (kFailed also: it did nothing),
    // in flight or unknown, or acknowledged at deleted_at.
    State deleted = State::kFailed;
    bool delete_named = false;
    Instant delete_start{INT64_MAX}, deleted_at{INT64_MAX};
  };
  std::map<uint32_t, std::vector<Version>> versions_;
  Version* find_version(uint32_t key, const std::string& version_id);
  std::string counted() const;
  std::string leader_kill_gaps() const;
  std::string put_latencies() const;
  uint64_t versioned_reads_ = 0;
  uint64_t next_put_id_ = 1;
  Violations violations_;
  std::function<bool(size_t)> placement_exists_;
  uint64_t puts_without_placement_ = 0;  // failed when none existed: owed nothing
  Instant puts_required_from_{INT64_MAX};
  bool gets_must_succeed_ = false;
  uint64_t reads_ok_ = 0, reads_not_found_ = 0, reads_failed_ = 0, writes_acked_ = 0, writes_failed_ = 0,
           writes_maybe_ = 0, final_ok_ = 0, lists_ = 0, writes_refused_ = 0;
  std::map<std::string, uint64_t> counts_;
  struct LeaderCrash {
    Instant at;
    std::optional<Instant> next_ack;
  };
  std::vector<LeaderCrash> leader_crashes_;
};

}  // namespace tessera::sim

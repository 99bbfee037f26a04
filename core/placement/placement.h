// Placement: chooses the k+m disks for the fragments of one part.
//
// Rules, in order of strength:
//  1. at most one fragment per disk;
//  2. at most m fragments in any failure domain at the configured level
//     (disk, node, rack or zone), so losing one whole domain leaves >= k;
//  3. at most one fragment per node when there are at least k+m eligible
//     nodes (else as few per node as the count allows).
// Among the placements that keep the rules it prefers the least-filled
// disks (fill = used / capacity, in steps of 2^-20), and among equally
// filled disks a rendezvous hash of (part key, disk) spreads parts evenly.
// A disk is eligible when writable, not gone, and it has room for the
// fragment (below capacity and within the free bytes its node reports);
// new disks are eligible at once. The choice is a pure function of the
// topology and the request: no randomness, no floating point.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "io_abstraction/status.h"

namespace tessera {

enum class FailureDomain : uint8_t { kDisk = 0, kNode = 1, kRack = 2, kZone = 3 };
const char* failure_domain_name(FailureDomain level);
// "disk", "node", "rack" or "zone"; nullopt for anything else.
std::optional<FailureDomain> parse_failure_domain(std::string_view name);

struct DiskRef {
  uint32_t node = 0;
  uint32_t disk = 0;  // index within the node
  auto operator<=>(const DiskRef&) const = default;
};

struct DiskInfo {
  DiskRef ref;
  uint32_t zone = 0;
  uint32_t rack = 0;  // globally unique rack id
  uint64_t capacity_bytes = 0;
  uint64_t used_bytes = 0;
  bool writable = true;
  // Room its node last reported (it may share a file system); no bound
  // until a report comes.
  uint64_t free_bytes = UINT64_MAX;
  bool gone = false;  // its node, a write or the repairer said so
};

struct PlacementRequest {
  uint32_t k = 10;
  uint32_t m = 4;
  FailureDomain level = FailureDomain::kRack;
  uint64_t key = 0;             // identifies the part (object, version, part)
  uint64_t fragment_bytes = 0;  // room each chosen disk needs
};

// disks: the whole topology, any order. Returns k+m disks (fragment i goes
// to element i), or kUnavailable with a message naming the missing resource.
// (A PlacementIndex, placement_index.h, keeps the order between picks.)
Result<std::vector<DiskRef>> pick_disks(const std::vector<DiskInfo>& disks,
                                        const PlacementRequest& request);

// The rules' terms: a disk's failure domain at a level; its fill in steps
// of 2^-20 of capacity; whether it may take a fragment of `bytes`.
uint64_t failure_domain_of(const DiskInfo& disk, FailureDomain level);
uint64_t fill_step(const DiskInfo& disk);
bool eligible(const DiskInfo& disk, uint64_t bytes);

// True when no disk holds two fragments and no domain at `level` holds more
// than m: the rule the placement checker verifies for every committed part.
bool placement_keeps_rule(const std::vector<DiskInfo>& disks, const std::vector<DiskRef>& chosen,
                          uint32_t m, FailureDomain level);

}  // namespace tessera

// StorageService: the storage-node role. Serves put/get/delete of
// fragments on the node's disks over RPC:
//  - put verifies the writer's SHA-256 before writing (a corrupted transfer
//    is refused, not stored) and answers only once the fragment is durable
//    (Durability::kSync);
//  - get verifies magic, header, id, length and SHA-256, and reports any
//    mismatch as kCorrupt: rot is never served as data;
//  - inventory_tree answers a Merkle comparison of a disk's fragments
//    (core/storage/inventory_keeper.h) with those found corrupt (by a read
//    or the scrubber) since they were last written, so repair compares
//    what is here with what the metadata expects in O(differences)
//    messages.
// Hashing runs through Runtime::offload.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/codec/sha256.h"
#include "core/rpc/rpc_endpoint.h"
#include "core/storage/inventory_keeper.h"
#include "io_abstraction/disk.h"
#include "io_abstraction/runtime.h"
#include "storage.pb.h"

namespace tessera {

class StorageService {
 public:
  struct Stats {
    uint64_t puts = 0;
    uint64_t gets = 0;
    uint64_t corrupt_reads = 0;
    uint64_t refused_puts = 0;
    uint64_t inventories = 0;
  };

  // Registers the "storage.*" methods on rpc. disks must outlive the service.
  // verify_reads = false (test only) serves fragments without checking them.
  StorageService(Runtime& rt, RpcEndpoint& rpc, std::vector<Disk*> disks, bool verify_reads = true);
  const Stats& stats() const { return stats_; }

  // payload: encode_put_payload's. verify: check the bytes against the
  // writer's checksum before writing.
  Task<Status> put(std::string payload, bool verify = true);
  Task<Result<proto::GetFragmentResponse>> get(proto::GetFragmentRequest request);
  Task<Status> remove(proto::DeleteFragmentRequest request);
  Task<Result<proto::InventoryTreeResponse>> inventory_tree(proto::InventoryTreeRequest request);
  // A disk's fragment blobs, listed now (the scrubber's pass): the
  // inventory tree is brought in line with the listing.
  Task<Result<std::vector<std::string>>> list_blobs(uint32_t disk);

  // The blob named on disk failed verification; reported by inventory
  // until it is written again or removed. False when it already was.
  bool report_corrupt(uint32_t disk, const std::string& blob_name);

 private:
  Result<Disk*> disk(uint32_t index);

  Runtime& rt_;
  std::vector<Disk*> disks_;
  bool verify_reads_;
  std::vector<std::set<std::string>> corrupt_;  // per disk
  InventoryKeeper inventory_;
  Stats stats_;
};

// Client side: the calls a gateway makes. get_fragment verifies the bytes
// again on arrival (checksum on both sides of every trust boundary).
// Parameters are values: these tasks may start after their caller's
// temporaries are gone.
// digest: the data's SHA-256 when the caller already has it (computed off
// the loop); otherwise it is computed here.
Task<Status> put_fragment(RpcEndpoint& rpc, NodeId node, uint32_t disk, proto::FragmentId id,
                          std::string data, Duration deadline, std::optional<Sha256> digest = std::nullopt);
// The same with the payload built already (encode_put_payload), which a
// writer does off the loop.
Task<Status> put_fragment(RpcEndpoint& rpc, NodeId node, std::string payload, Duration deadline);
// Whether a fragment read that failed with code proves the fragment lost
// (missing, corrupt, or its disk gone), not merely unreachable.
inline bool read_proves_lost(Code code) {
  return code == Code::kNotFound || code == Code::kCorrupt || code == Code::kDiskGone;
}
Task<Result<std::string>> get_fragment(RpcEndpoint& rpc, NodeId node, uint32_t disk,
                                       proto::FragmentId id, Duration deadline, bool verify = true);
// One round of a Merkle comparison of a disk's inventory.
Task<Result<proto::InventoryTreeResponse>> ask_inventory_tree(RpcEndpoint& rpc, NodeId node,
                                                              proto::InventoryTreeRequest request, Duration deadline);
// Deletes a fragment by the blob name an inventory listed.
Task<Status> delete_blob(RpcEndpoint& rpc, NodeId node, uint32_t disk, std::string blob_name, Duration deadline);
Task<Status> delete_fragment(RpcEndpoint& rpc, NodeId node, uint32_t disk,
                             proto::FragmentId id, Duration deadline);

}  // namespace tessera

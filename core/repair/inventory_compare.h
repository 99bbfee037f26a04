// Compares what should be on a disk (an InventoryTree kept by the caller)
// with what is on it (the storage node's tree, asked over RPC), descending
// only into nodes whose summaries differ, one level per round trip with
// every differing node of the level in one request.
//
// A node is listed rather than descended once the disk holds few names
// under it (listing them costs less than 16 summaries), or none is expected
// there. When almost everything differs (a replaced disk) the descent
// becomes a paged listing: the cost stays within a small factor of a scan.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/storage/inventory_tree.h"
#include "io_abstraction/task.h"
#include "io_abstraction/status.h"
#include "storage.pb.h"

namespace tessera {

struct InventoryDiff {
  std::vector<std::string> missing;  // expected, not on the disk
  std::vector<std::string> extra;    // on the disk, not expected
  std::vector<std::string> corrupt;  // on the disk, found corrupt by the node
  uint64_t messages = 0;             // requests sent
  uint64_t bytes = 0;                // requests and answers, serialized
};

using InventoryAsk = std::function<Task<Result<proto::InventoryTreeResponse>>(proto::InventoryTreeRequest)>;

// Limits on one request: nodes asked for children, names asked for.
inline constexpr size_t kInventoryNodesPerRequest = 1024;
inline constexpr uint64_t kInventoryNamesPerRequest = 8192;

// Fills *out (messages and bytes even when it fails); an error when the
// disk is gone (kDiskGone), did not answer, or answered malformed.
Task<Status> compare_inventory(const InventoryTree& expected, InventoryAsk ask, InventoryDiff* out);

}  // namespace tessera

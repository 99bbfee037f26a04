// The admin endpoint of a gateway: GET /_tessera/admin/v1/<report> with
// "Authorization: Bearer <admin key>", answered in JSON (what tessera-admin
// reads). Reports:
//   status  storage nodes and disks: state, fill; the metadata group
//   heal    repair: the pass under way, damaged stripes by fragments left,
//           repair traffic left and its ETA at the repair budget
//   scrub   each storage node's scrub pass and the corruption it found
//   gc      garbage waiting (records, fragments, bytes), the next pass
//   lost    the lost-objects report (stripes with fewer than k fragments)
// No bucket name holds '_', so the path never shadows an S3 request.
// Errors are {"error": code, "message": text} with the HTTP status.
#pragma once

#include <string>
#include <vector>

#include "core/metadata/remote_metadata_store.h"
#include "core/node/node.h"
#include "prod/s3/http_server.h"

namespace tessera::prod {

// What the reports read: the gateway's node, and its metadata (replicas in
// this process, or a group it reaches over the network).
struct AdminSources {
  Node* node = nullptr;
  std::vector<const RaftReplica*> replicas;
  RemoteMetadataStore* remote = nullptr;
};

class AdminApi {
 public:
  static constexpr const char* kPrefix = "/_tessera/admin/v1/";
  // key: the admin key (never empty).
  AdminApi(std::string key, AdminSources sources);
  Task<s3::SideReply> serve(s3::SideRequest request);

 private:
  std::string key_;
  AdminSources sources_;
};

}  // namespace tessera::prod

// MetadataService: a metadata process's MetadataStore, served over RPC to
// gateways in other processes as "meta.<method>" (proto/metadata_rpc.proto);
// RemoteMetadataStore is its client. The store does all the work, under its
// own locks, so gateways in many processes see one linearizable store.
#pragma once

#include <functional>

#include "core/metadata/metadata_store.h"
#include "core/rpc/rpc_endpoint.h"

namespace tessera {

class MetadataService {
 public:
  // A reply stays under this many bytes (a TCP frame holds 64 MiB): a list
  // whose page would not is answered with a shorter, truncated page.
  static constexpr size_t kReplyBytesMax = 16u << 20;

  // Passed before every call, or the call fails with its status: a
  // replicated store's read barrier (only the leader serves, and only
  // once its state holds every committed write).
  using Gate = std::function<Task<Status>()>;

  // Registers the "meta.*" methods on rpc. store must outlive the service.
  MetadataService(RpcEndpoint& rpc, MetadataStore& store, Gate gate = nullptr,
                  size_t reply_bytes_max = kReplyBytesMax);

 private:
  void serve(RpcEndpoint& rpc, std::string method, RpcEndpoint::Handler handler);
  void serve_buckets(RpcEndpoint& rpc);
  void serve_objects(RpcEndpoint& rpc);
  void serve_uploads(RpcEndpoint& rpc);
  void serve_stripes(RpcEndpoint& rpc);
  template <typename Reply>
  bool fits(const Reply& reply) const {
    return reply.ByteSizeLong() <= reply_bytes_max_;
  }

  MetadataStore& store_;
  Gate gate_;
  size_t reply_bytes_max_;
};

}  // namespace tessera

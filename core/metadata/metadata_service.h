// MetadataService: a metadata process's MetadataStore, served over RPC to
// gateways in other processes as "meta.<method>" (proto/metadata_rpc.proto);
// RemoteMetadataStore is its client. The store does all the work, under its
// own locks, so gateways in many processes see one linearizable store.
#pragma once

#include "core/metadata/metadata_store.h"
#include "core/rpc/rpc_endpoint.h"

namespace tessera {

class MetadataService {
 public:
  // A reply stays under this many bytes (a TCP frame holds 64 MiB): a list
  // whose page would not is answered with a shorter, truncated page.
  static constexpr size_t kReplyBytesMax = 16u << 20;

  // Registers the "meta.*" methods on rpc. store must outlive the service.
  MetadataService(RpcEndpoint& rpc, MetadataStore& store, size_t reply_bytes_max = kReplyBytesMax);

 private:
  void serve_buckets(RpcEndpoint& rpc);
  void serve_objects(RpcEndpoint& rpc);
  void serve_uploads(RpcEndpoint& rpc);
  void serve_stripes(RpcEndpoint& rpc);
  template <typename Reply>
  bool fits(const Reply& reply) const {
    return reply.ByteSizeLong() <= reply_bytes_max_;
  }

  MetadataStore& store_;
  size_t reply_bytes_max_;
};

}  // namespace tessera

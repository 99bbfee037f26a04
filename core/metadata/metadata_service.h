// MetadataService: a metadata process's MetadataStore, served over RPC to
// gateways in other processes as "meta.<method>" (proto/metadata_rpc.proto);
// RemoteMetadataStore is its client. The store does all the work, under its
// own locks, so gateways in many processes see one linearizable store.
// A write may come wrapped in "meta.once" (MetaOnce: a client id and
// number): it is then applied at most once, however often it is sent, and
// every copy gets the first one's reply.
#pragma once

#include <functional>
#include <map>

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
  MetadataService(RpcEndpoint& rpc, KvMetadataStore& store, Gate gate = nullptr,
                  size_t reply_bytes_max = kReplyBytesMax);

  // Forever: every `every`, forgets the once-records older than keep (on
  // a group's leader only). keep must be well past a client's deadline:
  // a repeat after its record is gone would be applied again.
  Task<void> forget_once_records(Duration every, Duration keep);
  static constexpr Duration kOnceKeep = Duration::seconds(120);
  static constexpr Duration kOnceForgetEvery = Duration::seconds(30);

  using StoreHandler = std::function<Task<Result<std::string>>(MetadataStore& store, std::string payload)>;

 private:
  void serve_gated(RpcEndpoint& rpc, std::string method, RpcEndpoint::Handler handler);
  // Serves method on the store; a write can also be sent through meta.once.
  void serve(RpcEndpoint& rpc, std::string method, StoreHandler handler);
  Task<Result<std::string>> once(std::string payload);
  void serve_buckets(RpcEndpoint& rpc);
  void serve_objects(RpcEndpoint& rpc);
  void serve_uploads(RpcEndpoint& rpc);
  void serve_stripes(RpcEndpoint& rpc);
  template <typename Reply>
  bool fits(const Reply& reply) const {
    return reply.ByteSizeLong() <= reply_bytes_max_;
  }

  Runtime& rt_;
  KvMetadataStore& store_;
  Gate gate_;
  size_t reply_bytes_max_;
  std::map<std::string, StoreHandler> writes_;  // by method
  KeyedMutex once_locks_;                       // by once id: one copy runs at a time
};

}  // namespace tessera

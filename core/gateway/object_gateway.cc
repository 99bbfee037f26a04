#include "core/gateway/object_gateway.h"

#include <algorithm>

#include "core/codec/sha256.h"
#include "core/gateway/gateway_util.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/combinators.h"

namespace tessera {

using namespace gateway_util;

ObjectGateway::ObjectGateway(Runtime& rt, RpcEndpoint& rpc, MetadataStore& metadata,
                             std::vector<DiskInfo> disks, GatewayConfig config)
    : rt_(rt),
      metadata_(metadata),
      config_(std::move(config)),
      stripes_(rt, rpc, std::move(disks), config_.stripes) {
  ASSERT(config_.part_bytes > 0);
  ASSERT(config_.inline_bytes_max < config_.part_bytes);
  ASSERT(!config_.storage_classes.empty());
  for (const StorageClass& c : config_.storage_classes) ASSERT(stripes_.codec(c.k, c.m).is_ok());
}

Result<const StorageClass*> ObjectGateway::storage_class(const std::string& name) const {
  return find_storage_class(config_.storage_classes, name);
}

Task<Result<DeleteResult>> ObjectGateway::delete_object(std::string bucket, std::string key,
                                                        std::string version_id) {
  co_return co_await metadata_.delete_object(std::move(bucket), std::move(key), std::move(version_id));
}

}  // namespace tessera

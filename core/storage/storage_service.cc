#include "core/storage/storage_service.h"

#include <algorithm>

#include "core/codec/sha256.h"
#include "core/storage/fragment_format.h"
#include "io_abstraction/assert.h"

namespace tessera {

StorageService::StorageService(Runtime& rt, RpcEndpoint& rpc, std::vector<Disk*> disks, bool verify_reads)
    : rt_(rt), disks_(std::move(disks)), verify_reads_(verify_reads), corrupt_(disks_.size()), inventory_(rt, disks_) {
  // A put from this very node crossed no trust boundary: its checksum was
  // computed from these bytes in this process a moment ago.
  rpc.serve("storage.put", [this, self = rpc.self()](NodeId from, std::string payload) -> Task<Result<std::string>> {
    Status s = co_await put(std::move(payload), from != self);
    if (!s.is_ok()) co_return s;
    co_return std::string();
  });
  rpc.serve("storage.get",
            typed_handler<proto::GetFragmentRequest>([this](NodeId, auto r) { return get(std::move(r)); }));
  rpc.serve("storage.delete",
            typed_handler<proto::DeleteFragmentRequest>([this](NodeId, auto r) { return remove(std::move(r)); }));
  rpc.serve("storage.inventory_tree", typed_handler<proto::InventoryTreeRequest>(
                                          [this](NodeId, auto r) { return inventory_tree(std::move(r)); }));
}

bool StorageService::report_corrupt(uint32_t disk, const std::string& blob_name) {
  ASSERT(disk < corrupt_.size());
  return corrupt_[disk].insert(blob_name).second;
}

Result<Disk*> StorageService::disk(uint32_t index) {
  if (index >= disks_.size()) {
    return Status(Code::kInvalidArgument, "no disk " + std::to_string(index) + " on this node (" +
                                              std::to_string(disks_.size()) + " disks)");
  }
  return disks_[index];
}

Task<Status> StorageService::put(std::string payload, bool verify) {
  auto decoded = decode_put_payload(std::move(payload));
  if (!decoded.is_ok()) co_return decoded.status();
  const proto::PutFragmentRequest& request = decoded.value().request;
  auto d = disk(request.disk());
  if (!d.is_ok()) co_return d.status();
  if (request.sha256().size() != 32) co_return Status(Code::kInvalidArgument, "a put needs the data's SHA-256");
  std::string blob = std::move(decoded.value().blob);
  // The header must be the writer's for this id; its checksum is verified
  // off the loop when the bytes crossed a trust boundary.
  auto view = parse_fragment_blob(blob, request.id(), false);
  bool matches = view.is_ok() && view.value().header.sha256() == request.sha256();
  if (matches && verify) {
    const std::string_view data = view.value().data;
    const Sha256 digest = co_await offload(rt_, [data] { return sha256(data); });
    matches = digest_matches(request.sha256(), digest);
  }
  if (!matches) {
    ++stats_.refused_puts;
    co_return Status(Code::kCorrupt, "fragment bytes do not match the writer's checksum");
  }
  std::string name = fragment_blob_name(request.id());
  Status s = co_await d.value()->write(name, std::move(blob), Durability::kSync);
  if (s.is_ok()) {
    ++stats_.puts;
    corrupt_[request.disk()].erase(name);
    inventory_.written(request.disk(), name);
  }
  co_return s;
}

Task<Result<proto::GetFragmentResponse>> StorageService::get(proto::GetFragmentRequest request) {
  auto d = disk(request.disk());
  if (!d.is_ok()) co_return d.status();
  Result<std::string> blob = co_await d.value()->read(fragment_blob_name(request.id()));
  if (blob.code() == Code::kNotFound) inventory_.removed(request.disk(), fragment_blob_name(request.id()));
  if (!blob.is_ok()) co_return blob.status();
  ++stats_.gets;
  std::string bytes = std::move(blob).value();
  proto::FragmentId id = request.id();
  const bool verify = verify_reads_;
  Result<DecodedFragment> decoded = co_await offload(
      rt_, [&bytes, &id, verify] { return decode_fragment_blob(std::move(bytes), id, verify); });
  if (!decoded.is_ok()) {
    ++stats_.corrupt_reads;
    report_corrupt(request.disk(), fragment_blob_name(id));
    co_return decoded.status();
  }
  proto::GetFragmentResponse response;
  response.set_sha256(decoded.value().header.sha256());
  response.set_data(std::move(decoded.value().data));
  co_return response;
}

Task<Status> StorageService::remove(proto::DeleteFragmentRequest request) {
  auto d = disk(request.disk());
  if (!d.is_ok()) co_return d.status();
  std::string name = request.blob_name().empty() ? fragment_blob_name(request.id()) : request.blob_name();
  if (name.rfind("f-", 0) != 0 || !valid_blob_name(name)) {
    co_return Status(Code::kInvalidArgument, "not a fragment blob name: " + name);
  }
  Status s = co_await d.value()->remove(name);
  if (s.is_ok() || s.code() == Code::kNotFound) {
    corrupt_[request.disk()].erase(name);
    inventory_.removed(request.disk(), name);
  }
  co_return s;
}

Task<Result<proto::InventoryTreeResponse>> StorageService::inventory_tree(proto::InventoryTreeRequest request) {
  auto d = disk(request.disk());
  if (!d.is_ok()) co_return d.status();
  ++stats_.inventories;
  const uint32_t index = request.disk();
  const bool root = asks_for_root(request);
  auto r = co_await inventory_.answer(index, std::move(request));
  if (r.is_ok() && root) {
    for (const std::string& name : corrupt_[index]) r.value().add_corrupt(name);
  }
  co_return r;
}

Task<Result<std::vector<std::string>>> StorageService::list_blobs(uint32_t disk) {
  ASSERT(disk < disks_.size());
  return inventory_.list(disk);
}

Task<Result<proto::InventoryTreeResponse>> ask_inventory_tree(RpcEndpoint& rpc, NodeId node,
                                                              proto::InventoryTreeRequest request, Duration deadline) {
  co_return co_await call_message<proto::InventoryTreeResponse>(rpc, node, "storage.inventory_tree", request, deadline);
}

Task<Status> put_fragment(RpcEndpoint& rpc, NodeId node, std::string payload, Duration deadline) {
  auto r = co_await rpc.call(node, "storage.put", std::move(payload), deadline);
  co_return r.is_ok() ? Status::ok() : r.status();
}

Task<Status> put_fragment(RpcEndpoint& rpc, NodeId node, uint32_t disk, proto::FragmentId id,
                          std::string data, Duration deadline, std::optional<Sha256> digest) {
  if (!digest) digest = sha256(data);
  co_return co_await put_fragment(rpc, node, encode_put_payload(disk, id, data, *digest), deadline);
}

Task<Result<std::string>> get_fragment(RpcEndpoint& rpc, NodeId node, uint32_t disk,
                                       proto::FragmentId id, Duration deadline, bool verify) {
  proto::GetFragmentRequest request;
  request.set_disk(disk);
  *request.mutable_id() = id;
  auto r = co_await call_message<proto::GetFragmentResponse>(rpc, node, "storage.get", request, deadline);
  if (!r.is_ok()) co_return r.status();
  // A fragment from this very node crossed no trust boundary: the storage
  // service verified it against its header a moment ago in this process.
  if (verify && node != rpc.self()) {
    const std::string& data = r.value().data();
    const Sha256 digest = co_await offload(rpc.runtime(), [&data] { return sha256(data); });
    if (!digest_matches(r.value().sha256(), digest)) {
      co_return Status(Code::kCorrupt, "fragment arrived with a checksum mismatch");
    }
  }
  co_return std::move(*r.value().mutable_data());
}

namespace {
Task<Status> send_delete(RpcEndpoint& rpc, NodeId node, proto::DeleteFragmentRequest request, Duration deadline) {
  auto r = co_await call_message<proto::DeleteFragmentResponse>(rpc, node, "storage.delete", request, deadline);
  co_return r.is_ok() ? Status::ok() : r.status();
}
}  // namespace

Task<Status> delete_blob(RpcEndpoint& rpc, NodeId node, uint32_t disk, std::string blob_name, Duration deadline) {
  proto::DeleteFragmentRequest request;
  request.set_disk(disk);
  request.set_blob_name(std::move(blob_name));
  co_return co_await send_delete(rpc, node, std::move(request), deadline);
}

Task<Status> delete_fragment(RpcEndpoint& rpc, NodeId node, uint32_t disk,
                             proto::FragmentId id, Duration deadline) {
  proto::DeleteFragmentRequest request;
  request.set_disk(disk);
  *request.mutable_id() = id;
  co_return co_await send_delete(rpc, node, std::move(request), deadline);
}

}  // namespace tessera

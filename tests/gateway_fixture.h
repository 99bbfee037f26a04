// A gateway over a small simulated world, shared by the gateway and repair
// tests: one gateway node, one storage node with six disks, a 2+1 class on
// disk failure domains (and a 3+2 one), tiny stripes. The metadata lives in
// the gateway's node, or (remote_metadata) on a metadata node of its own
// that the gateway, and the test through `metadata`, reach over RPC.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "core/gateway/object_gateway.h"
#include "core/gc/garbage_collector.h"
#include "core/metadata/metadata_service.h"
#include "core/metadata/remote_metadata_store.h"
#include "core/storage/storage_service.h"
#include "sim/sim_disk.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera::testing {

inline constexpr uint32_t kDisks = 6;

inline GatewayConfig small_config() {
  GatewayConfig c;
  c.storage_classes = {StorageClass{"STANDARD", 2, 1, FailureDomain::kDisk},
                       StorageClass{"WIDE", 3, 2, FailureDomain::kDisk}};
  c.part_bytes = 1000;
  c.inline_bytes_max = 64;
  c.min_upload_part_bytes = 2000;
  c.stripes.fragment_deadline = Duration::seconds(1);
  return c;
}

inline std::vector<DiskInfo> disk_infos() {
  std::vector<DiskInfo> out;
  for (uint32_t d = 0; d < kDisks; ++d) out.push_back(DiskInfo{DiskRef{1, d}, 0, 0, 1 << 24, 0, true});
  return out;
}

inline std::string body(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7 + i / 251);
  return s;
}

class GatewayFixture : public ::testing::Test {
 protected:
  explicit GatewayFixture(bool remote_metadata = false)
      : world(3), rt0(world, 0, 1), rt1(world, 1, 2), rt2(world, 2, 5),
        net(world, testing::uniform_network(50, 100), {{0, 0}, {0, 0}, {0, 0}}, 3), n0(net, 0), n1(net, 1),
        n2(net, 2), kv(remote_metadata ? rt2 : rt0, Duration::micros(10), 4), client(rt0, n0), server(rt1, n1),
        metadata_rpc(rt2, n2), store(remote_metadata ? rt2 : rt0, kv), remote(client, NodeId(2), Duration::seconds(1)),
        metadata_service(metadata_rpc, store),
        metadata(remote_metadata ? static_cast<MetadataStore&>(remote) : static_cast<MetadataStore&>(store)),
        gateway(rt0, client, metadata, disk_infos(), small_config()), collector(gateway.stripes(), metadata) {
    for (uint32_t d = 0; d < kDisks; ++d) {
      disks.push_back(std::make_unique<sim::SimDisk>(rt1, testing::uniform_disk(100, 200), 1 << 24, 10 + d));
    }
    std::vector<Disk*> raw;
    for (auto& d : disks) raw.push_back(d.get());
    service = std::make_unique<StorageService>(rt1, server, raw);
    proto::BucketRecord b;
    b.set_name("b");
    EXPECT_TRUE(run(metadata.create_bucket(b)).is_ok());
  }
  ~GatewayFixture() override {
    rt0.stop();
    rt1.stop();
    rt2.stop();
  }

  template <typename T>
  T run(Task<T> task) {
    return testing::run_in_sim(world, rt0, std::move(task));
  }
  // Bucket "b" as a request that authorized itself read it.
  proto::BucketRecord bucket() { return run(metadata.get_bucket("b")).value(); }
  Result<proto::ObjectVersion> put(const std::string& key, const std::string& bytes, CommitConditions c = {},
                                   ObjectAttributes attrs = {}) {
    StringSource source(bytes);
    return run(gateway.put_object(bucket(), key, source, c, std::move(attrs)));
  }
  // The newest version's bytes (of range, clipped to the object).
  Result<std::string> get(const std::string& key, std::optional<ByteRange> range = std::nullopt) {
    auto v = run(gateway.head_object("b", key));
    if (!v.is_ok()) return v.status();
    StringSink sink;
    if (v.value().size() == 0) return std::string();
    ByteRange span = range.value_or(ByteRange{0, v.value().size() - 1});
    span.last = std::min(span.last, v.value().size() - 1);
    Status s = run(gateway.read_object(v.value(), span, sink));
    if (!s.is_ok()) return s;
    return std::move(sink.bytes());
  }
  // Blobs on every disk of the storage node.
  size_t blob_count() {
    size_t n = 0;
    for (auto& d : disks) n += run(d->list("")).value().size();
    return n;
  }
  Result<proto::UploadPartRecord> part(const std::string& key, const std::string& id, uint32_t n,
                                       const std::string& bytes) {
    StringSource source(bytes);
    auto upload = run(metadata.get_upload("b", key, id));
    if (!upload.is_ok()) return upload.status();
    return run(gateway.upload_part(upload.value(), n, source));
  }

  sim::SimWorld world;
  sim::SimRuntime rt0, rt1, rt2;
  sim::SimNetwork net;
  sim::SimNodeNetwork n0, n1, n2;
  sim::SimKv kv;
  RpcEndpoint client, server, metadata_rpc;
  KvMetadataStore store;
  RemoteMetadataStore remote;
  MetadataService metadata_service;
  MetadataStore& metadata;  // store, or remote
  ObjectGateway gateway;
  GarbageCollector collector;
  std::vector<std::unique_ptr<sim::SimDisk>> disks;
  std::unique_ptr<StorageService> service;
};

// Parameter of suites run twice: false, the metadata in the gateway's node;
// true, on a metadata node of its own.
inline std::string metadata_placement(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "RemoteMetadata" : "LocalMetadata";
}

}  // namespace tessera::testing

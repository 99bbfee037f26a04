#include "core/gateway/object_gateway.h"

#include <algorithm>

#include "core/codec/sha256.h"
#include "core/storage/storage_service.h"
#include "io_abstraction/combinators.h"

namespace tessera {
namespace {

// Room a fragment's header takes on disk beyond its bytes (an upper bound).
constexpr uint64_t kFragmentHeaderBytesMax = 1024;

std::string object_id(const std::string& bucket, const std::string& key) {
  return bucket + std::string(1, '\0') + key;
}

proto::FragmentId fragment_id(const std::string& object, uint64_t upload_id, uint32_t part, uint32_t index) {
  proto::FragmentId id;
  id.set_object(object);
  id.set_version(upload_id);
  id.set_part(part);
  id.set_index(index);
  return id;
}

uint64_t placement_key(const std::string& object, uint64_t upload_id, uint32_t part) {
  uint64_t h = 0;
  for (unsigned char c : object) h = mix_seed(h, c);
  return mix_seed(mix_seed(h, upload_id), part);
}

}  // namespace

ObjectGateway::ObjectGateway(Runtime& rt, RpcEndpoint& rpc, MetadataStore& metadata,
                             std::vector<DiskInfo> disks, GatewayConfig config)
    : rt_(rt), rpc_(rpc), metadata_(metadata), disks_(std::move(disks)), config_(config),
      codec_(ReedSolomon::create(config.k, config.m).value()) {
  ASSERT(config_.part_bytes > 0);
}

Task<Result<proto::ObjectVersion>> ObjectGateway::put_object(std::string bucket, std::string key,
                                                             std::string body, CommitConditions conditions) {
  auto b = co_await metadata_.get_bucket(bucket);
  if (!b.is_ok()) co_return b.status();
  proto::ObjectVersion version;
  version.set_bucket(bucket);
  version.set_key(key);
  version.set_size(body.size());
  version.set_etag(md5_hex(body));
  version.set_upload_id(rt_.random().next() | 1);
  version.set_modified_ms(static_cast<uint64_t>(rt_.now().us / 1000));

  if (body.size() <= config_.inline_bytes_max) {
    proto::PartRecord* part = version.add_parts();
    part->set_number(1);
    part->set_size(body.size());
    part->set_inline_data(body);
  } else {
    const std::string object = object_id(bucket, key);
    std::vector<Task<Result<proto::PartRecord>>> parts;
    uint32_t number = 1;
    for (uint64_t offset = 0; offset < body.size(); offset += config_.part_bytes, ++number) {
      const std::string_view bytes = std::string_view(body).substr(offset, config_.part_bytes);
      parts.push_back(write_part(object, version.upload_id(), number, bytes));
    }
    // Every fragment of every part is durable before the commit below.
    std::vector<Result<proto::PartRecord>> written = co_await when_all(rt_, std::move(parts));
    for (auto& p : written) {
      if (!p.is_ok()) co_return p.status();  // orphans only; GC reclaims them
      *version.add_parts() = std::move(p).value();
    }
  }
  Status committed = co_await metadata_.commit_object(version, conditions);
  if (!committed.is_ok()) co_return committed;
  co_return version;
}

Task<Result<proto::PartRecord>> ObjectGateway::write_part(std::string object, uint64_t upload_id,
                                                          uint32_t number, std::string_view bytes) {
  EncodedPart encoded;
  co_await offload(rt_, [&] {
    codec_.encode(bytes, encoded);
    return true;
  });
  PlacementRequest request{config_.k, config_.m, config_.level, placement_key(object, upload_id, number),
                           encoded.fragment_bytes + kFragmentHeaderBytesMax};
  const proto::FragmentId base = fragment_id(object, upload_id, number, 0);
  // One placement, and at most one re-placement away from disks that failed.
  constexpr int kPlacementAttemptsMax = 2;
  std::vector<DiskInfo> candidates = disks_;
  Status last;
  for (int attempt = 0; attempt < kPlacementAttemptsMax; ++attempt) {
    auto placement = pick_disks(candidates, request);
    if (!placement.is_ok()) co_return placement.status();
    std::vector<uint32_t> failed;
    last = co_await write_fragments(base, encoded, placement.value(), failed);
    if (failed.empty()) {
      proto::PartRecord part;
      part.set_number(number);
      part.set_size(bytes.size());
      part.set_fragment_bytes(encoded.fragment_bytes);
      part.set_k(config_.k);
      part.set_m(config_.m);
      for (const DiskRef& ref : placement.value()) {
        auto* loc = part.add_fragments();
        loc->set_node(ref.node);
        loc->set_disk(ref.disk);
        for (DiskInfo& d : disks_) {
          if (d.ref == ref) d.used_bytes = std::min(d.capacity_bytes, d.used_bytes + request.fragment_bytes);
        }
      }
      co_return part;
    }
    // A failed write most often means its node is down or cut off: avoid
    // the whole node in the next placement.
    for (uint32_t i : failed) {
      for (DiskInfo& d : candidates) {
        if (d.ref.node == placement.value()[i].node) d.writable = false;
      }
    }
  }
  co_return Status(Code::kUnavailable, "part " + std::to_string(number) + ": fragment writes failed: " +
                                           last.to_string());
}

Task<Status> ObjectGateway::write_fragments(const proto::FragmentId& base, const EncodedPart& encoded,
                                            const std::vector<DiskRef>& placement,
                                            std::vector<uint32_t>& failed) {
  std::vector<Task<Status>> writes;
  for (uint32_t i = 0; i < placement.size(); ++i) {
    proto::FragmentId id = base;
    id.set_index(i);
    writes.push_back(put_fragment(rpc_, NodeId(placement[i].node), placement[i].disk, id,
                                  std::string(encoded.fragments[i]), config_.fragment_deadline));
  }
  std::vector<Status> results = co_await when_all(rt_, std::move(writes));
  Status last;
  for (uint32_t i = 0; i < results.size(); ++i) {
    if (results[i].is_ok()) {
      ++stats_.fragments_written;
    } else {
      ++stats_.fragment_write_failures;
      failed.push_back(i);
      last = results[i];
    }
  }
  co_return last;
}

Task<Result<std::string>> ObjectGateway::read_part(const std::string& object, uint64_t upload_id,
                                                   const proto::PartRecord& part) {
  if (part.fragments_size() == 0) co_return part.inline_data();
  const uint32_t k = part.k(), m = part.m();
  if (static_cast<uint32_t>(part.fragments_size()) != k + m) {
    co_return Status(Code::kCorrupt, "part record lists " + std::to_string(part.fragments_size()) +
                                         " fragments for " + std::to_string(k) + "+" + std::to_string(m));
  }
  auto fetch = [&](uint32_t i) {
    return get_fragment(rpc_, NodeId(part.fragments(i).node()), part.fragments(i).disk(),
                        fragment_id(object, upload_id, part.number(), i), config_.fragment_deadline,
                        config_.verify_fragments);
  };
  std::vector<std::optional<std::string>> fragments(k + m);
  std::vector<Task<Result<std::string>>> data;
  for (uint32_t i = 0; i < k; ++i) data.push_back(fetch(i));
  std::vector<Result<std::string>> got = co_await when_all(rt_, std::move(data));
  uint32_t missing = 0;
  for (uint32_t i = 0; i < k; ++i) {
    if (got[i].is_ok() && got[i].value().size() == part.fragment_bytes()) {
      ++stats_.fragments_read;
      fragments[i] = std::move(got[i]).value();
    } else {
      ++stats_.fragment_read_failures;
      ++missing;
    }
  }
  if (missing > 0) {
    // Any `missing` of the m parity fragments complete the set.
    std::vector<Task<Result<std::string>>> parity;
    for (uint32_t j = 0; j < m; ++j) parity.push_back(fetch(k + j));
    auto extra = co_await first_k_of_n(rt_, std::move(parity), std::min(missing, m));
    if (!extra.is_ok() || missing > m) {
      co_return Status(Code::kUnavailable, "part " + std::to_string(part.number()) + ": " +
                                               std::to_string(missing) + " data fragments unreadable and " +
                                               (extra.is_ok() ? std::string("only m parity") : extra.status().message()));
    }
    for (auto& [j, bytes] : extra.value()) {
      if (bytes.size() != part.fragment_bytes()) co_return Status(Code::kCorrupt, "parity fragment has the wrong size");
      fragments[k + j] = std::move(bytes);
    }
    ++stats_.parts_decoded;
  }
  // Parts keep the profile they were written with; only another profile
  // needs a codec of its own.
  std::optional<ReedSolomon> other;
  if (k != codec_.k() || m != codec_.m()) {
    auto created = ReedSolomon::create(k, m);
    if (!created.is_ok()) co_return created.status();
    other.emplace(std::move(created).value());
  }
  const ReedSolomon& codec = other ? *other : codec_;
  std::vector<std::optional<std::string_view>> views(k + m);
  for (uint32_t i = 0; i < k + m; ++i) {
    if (fragments[i]) views[i] = *fragments[i];
  }
  const uint64_t size = part.size();
  co_return co_await offload(rt_, [&] { return codec.decode(views, size); });
}

Task<Result<std::string>> ObjectGateway::get_object(std::string bucket, std::string key,
                                                    std::optional<ByteRange> range) {
  auto head = co_await metadata_.get_object(bucket, key);
  if (!head.is_ok()) co_return head.status();
  const proto::ObjectVersion& v = head.value();
  if (v.delete_marker()) co_return Status(Code::kNotFound, "no key " + key + " in " + bucket);
  uint64_t first = 0, last = v.size() == 0 ? 0 : v.size() - 1;
  if (range) {
    if (range->first >= v.size() || range->first > range->last) {
      co_return Status(Code::kInvalidArgument, "range " + std::to_string(range->first) + "-" +
                                                   std::to_string(range->last) + " is not satisfiable for " +
                                                   std::to_string(v.size()) + " bytes");
    }
    first = range->first;
    last = std::min(range->last, last);
  }
  const std::string object = object_id(bucket, key);
  std::string out;
  uint64_t offset = 0;
  for (const proto::PartRecord& part : v.parts()) {
    const uint64_t end = offset + part.size();  // exclusive
    if (v.size() > 0 && end > first && offset <= last) {
      auto bytes = co_await read_part(object, v.upload_id(), part);
      if (!bytes.is_ok()) co_return bytes.status();
      if (bytes.value().size() != part.size()) co_return Status(Code::kCorrupt, "part decoded to the wrong size");
      const uint64_t from = std::max(first, offset) - offset;
      const uint64_t to = std::min(last + 1, end) - offset;
      out.append(bytes.value(), from, to - from);
    }
    offset = end;
  }
  co_return out;
}

Task<Result<proto::ObjectVersion>> ObjectGateway::delete_object(std::string bucket, std::string key) {
  co_return co_await metadata_.delete_object(std::move(bucket), std::move(key));
}

}  // namespace tessera

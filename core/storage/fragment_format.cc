#include "core/storage/fragment_format.h"

#include <cstring>
#include <utility>

namespace tessera {
namespace {
constexpr char kMagic[4] = {'T', 'S', 'F', 'R'};
constexpr size_t kPrefixBytes = 8;  // magic + header length
constexpr uint32_t kHeaderBytesMax = 64 * 1024;
}  // namespace

bool same_fragment_id(const proto::FragmentId& a, const proto::FragmentId& b) {
  return a.object() == b.object() && a.version() == b.version() && a.part() == b.part() &&
         a.index() == b.index();
}

std::string fragment_blob_name(const proto::FragmentId& id) {
  return "f-" + to_hex(sha256(id.object())).substr(0, 32) + "." + std::to_string(id.version()) + "." +
         std::to_string(id.part()) + "." + std::to_string(id.index());
}

std::string encode_fragment_blob(const proto::FragmentId& id, std::string_view data,
                                 const Sha256& digest) {
  proto::FragmentHeader header;
  *header.mutable_id() = id;
  header.set_length(data.size());
  header.set_sha256(digest.data(), digest.size());
  const std::string h = header.SerializeAsString();
  ASSERT(h.size() <= kHeaderBytesMax);
  std::string blob;
  blob.reserve(kPrefixBytes + h.size() + data.size());
  blob.append(kMagic, sizeof kMagic);
  const auto n = static_cast<uint32_t>(h.size());
  for (int i = 0; i < 4; ++i) blob.push_back(static_cast<char>(n >> (8 * i)));
  blob += h;
  blob.append(data);
  return blob;
}

namespace {

// The header of blob and where the data starts; name is for messages.
Result<std::pair<proto::FragmentHeader, size_t>> read_header(std::string_view blob, const std::string& name) {
  if (blob.size() < kPrefixBytes || std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0) {
    return Status(Code::kCorrupt, name + ": bad fragment magic");
  }
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(blob[4 + i]);
  if (n > kHeaderBytesMax || n > blob.size() - kPrefixBytes) {
    return Status(Code::kCorrupt, name + ": bad fragment header length");
  }
  proto::FragmentHeader header;
  if (!header.ParseFromArray(blob.data() + kPrefixBytes, static_cast<int>(n))) {
    return Status(Code::kCorrupt, name + ": fragment header does not parse");
  }
  return std::make_pair(std::move(header), kPrefixBytes + n);
}

}  // namespace

Result<DecodedFragment> decode_fragment_blob(std::string blob, const proto::FragmentId& expected,
                                             bool verify_checksum) {
  const std::string name = fragment_blob_name(expected);
  auto header = read_header(blob, name);
  if (!header.is_ok()) return header.status();
  DecodedFragment out;
  out.header = std::move(header.value().first);
  const size_t data_start = header.value().second;
  if (!same_fragment_id(out.header.id(), expected)) {
    return Status(Code::kCorrupt, name + ": header names another fragment");
  }
  const size_t data_bytes = blob.size() - data_start;
  if (out.header.length() != data_bytes) {
    return Status(Code::kCorrupt, name + ": length " + std::to_string(data_bytes) + ", header says " +
                                      std::to_string(out.header.length()));
  }
  blob.erase(0, data_start);
  out.data = std::move(blob);
  if (!verify_checksum) return out;
  const Sha256 digest = sha256(out.data);
  if (out.header.sha256().size() != digest.size() ||
      std::memcmp(out.header.sha256().data(), digest.data(), digest.size()) != 0) {
    return Status(Code::kCorrupt, name + ": checksum mismatch");
  }
  return out;
}

Status check_fragment_blob(const std::string& name, std::string blob) {
  auto header = read_header(blob, name);
  if (!header.is_ok()) return header.status();
  const proto::FragmentId id = header.value().first.id();
  if (fragment_blob_name(id) != name) return Status(Code::kCorrupt, name + ": header names another fragment");
  auto decoded = decode_fragment_blob(std::move(blob), id);
  return decoded.is_ok() ? Status::ok() : decoded.status();
}

}  // namespace tessera

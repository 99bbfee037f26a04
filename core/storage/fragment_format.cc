#include "core/storage/fragment_format.h"

#include <cstring>
#include <utility>

namespace tessera {
namespace {
constexpr char kMagic[4] = {'T', 'S', 'F', 'R'};
constexpr size_t kPrefixBytes = 8;  // magic + header length
constexpr uint32_t kHeaderBytesMax = 64 * 1024;

void append_u32(std::string& out, uint32_t n) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
}
uint32_t read_u32(const char* p) {
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  return n;
}
}  // namespace

bool same_fragment_id(const proto::FragmentId& a, const proto::FragmentId& b) {
  return a.object() == b.object() && a.version() == b.version() && a.part() == b.part() &&
         a.index() == b.index();
}

std::string fragment_blob_name(const proto::FragmentId& id) {
  return "f-" + to_hex(sha256(id.object())).substr(0, 32) + "." + std::to_string(id.version()) + "." +
         std::to_string(id.part()) + "." + std::to_string(id.index());
}

namespace {

// The blob with `spare` bytes of capacity left behind it.
std::string blob_with_room(const proto::FragmentId& id, std::string_view data, const Sha256& digest,
                           size_t spare) {
  proto::FragmentHeader header;
  *header.mutable_id() = id;
  header.set_length(data.size());
  header.set_sha256(digest.data(), digest.size());
  const std::string h = header.SerializeAsString();
  ASSERT(h.size() <= kHeaderBytesMax);
  std::string blob;
  blob.reserve(kPrefixBytes + h.size() + data.size() + spare);
  blob.append(kMagic, sizeof kMagic);
  append_u32(blob, static_cast<uint32_t>(h.size()));
  blob += h;
  blob.append(data);
  return blob;
}

}  // namespace

std::string encode_fragment_blob(const proto::FragmentId& id, std::string_view data,
                                 const Sha256& digest) {
  return blob_with_room(id, data, digest, 0);
}

namespace {

// The header of blob and where the data starts; name is for messages.
Result<std::pair<proto::FragmentHeader, size_t>> read_header(std::string_view blob, const std::string& name) {
  if (blob.size() < kPrefixBytes || std::memcmp(blob.data(), kMagic, sizeof kMagic) != 0) {
    return Status(Code::kCorrupt, name + ": bad fragment magic");
  }
  const uint32_t n = read_u32(blob.data() + 4);
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

Result<FragmentView> parse_fragment_blob(std::string_view blob, const proto::FragmentId& expected,
                                         bool verify_checksum) {
  const std::string name = fragment_blob_name(expected);
  auto header = read_header(blob, name);
  if (!header.is_ok()) return header.status();
  FragmentView out;
  out.header = std::move(header.value().first);
  out.data = blob.substr(header.value().second);
  if (!same_fragment_id(out.header.id(), expected)) {
    return Status(Code::kCorrupt, name + ": header names another fragment");
  }
  if (out.header.length() != out.data.size()) {
    return Status(Code::kCorrupt, name + ": length " + std::to_string(out.data.size()) + ", header says " +
                                      std::to_string(out.header.length()));
  }
  if (verify_checksum && !digest_matches(out.header.sha256(), sha256(out.data))) {
    return Status(Code::kCorrupt, name + ": checksum mismatch");
  }
  return out;
}

Result<DecodedFragment> decode_fragment_blob(std::string blob, const proto::FragmentId& expected,
                                             bool verify_checksum) {
  auto view = parse_fragment_blob(blob, expected, verify_checksum);
  if (!view.is_ok()) return view.status();
  DecodedFragment out;
  out.header = std::move(view.value().header);
  blob.erase(0, blob.size() - view.value().data.size());
  out.data = std::move(blob);
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

bool digest_matches(const std::string& claimed, const Sha256& actual) {
  return claimed.size() == actual.size() && std::memcmp(claimed.data(), actual.data(), actual.size()) == 0;
}

std::string encode_put_payload(uint32_t disk, const proto::FragmentId& id, std::string_view data,
                               const Sha256& digest) {
  proto::PutFragmentRequest request;
  request.set_disk(disk);
  *request.mutable_id() = id;
  request.set_sha256(digest.data(), digest.size());
  const std::string trailer = request.SerializeAsString();
  std::string payload = blob_with_room(id, data, digest, trailer.size() + 4);
  payload += trailer;
  append_u32(payload, static_cast<uint32_t>(trailer.size()));
  return payload;
}

Result<PutPayload> decode_put_payload(std::string payload) {
  if (payload.size() < 4) return Status(Code::kInvalidArgument, "storage.put payload has no trailer");
  const uint32_t n = read_u32(payload.data() + payload.size() - 4);
  if (n > kHeaderBytesMax || n > payload.size() - 4) {
    return Status(Code::kInvalidArgument, "storage.put payload has a bad trailer length");
  }
  PutPayload out;
  if (!out.request.ParseFromArray(payload.data() + payload.size() - 4 - n, static_cast<int>(n))) {
    return Status(Code::kInvalidArgument, "storage.put trailer does not parse");
  }
  payload.resize(payload.size() - 4 - n);  // no copy: the blob is in front
  out.blob = std::move(payload);
  return out;
}

}  // namespace tessera

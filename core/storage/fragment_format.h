// The on-disk form of a fragment: "TSFR", the header length (u32 LE), a
// proto::FragmentHeader (id, length, SHA-256), then the bytes. Parsing
// verifies all of it, so rot anywhere in the blob is reported as kCorrupt,
// never returned as data.
#pragma once

#include <string>
#include <string_view>

#include "core/codec/sha256.h"
#include "io_abstraction/status.h"
#include "storage.pb.h"

namespace tessera {

// Blob name for a fragment id: "f-<32 hex of SHA-256(object)>.<version>.<part>.<index>".
std::string fragment_blob_name(const proto::FragmentId& id);

std::string encode_fragment_blob(const proto::FragmentId& id, std::string_view data,
                                 const Sha256& digest);

struct DecodedFragment {
  proto::FragmentHeader header;
  std::string data;
};

// A blob's header and a view of its bytes within it.
struct FragmentView {
  proto::FragmentHeader header;
  std::string_view data;
};

// Checks magic, header, the id it claims (against `expected`), the length
// and (unless verify_checksum is false) the SHA-256 of the bytes.
Result<FragmentView> parse_fragment_blob(std::string_view blob, const proto::FragmentId& expected,
                                         bool verify_checksum);
// The same checks (verify_checksum = false: test only), and the bytes.
Result<DecodedFragment> decode_fragment_blob(std::string blob, const proto::FragmentId& expected,
                                             bool verify_checksum = true);

// The scrubber's check of a stored blob that only its name identifies:
// the header must name the fragment the blob name does, and verify.
Status check_fragment_blob(const std::string& name, std::string blob);

bool same_fragment_id(const proto::FragmentId& a, const proto::FragmentId& b);
// A SHA-256 as a proto carries it equals the one computed.
bool digest_matches(const std::string& claimed, const Sha256& actual);

// storage.put's payload: the blob, then the request as a trailer (see
// PutFragmentRequest in storage.proto). The bytes are copied once, here.
std::string encode_put_payload(uint32_t disk, const proto::FragmentId& id, std::string_view data,
                               const Sha256& digest);
struct PutPayload {
  proto::PutFragmentRequest request;
  std::string blob;  // unchecked: parse_fragment_blob it
};
// Cuts the trailer off (no copy of the blob); kInvalidArgument if malformed.
Result<PutPayload> decode_put_payload(std::string payload);

}  // namespace tessera

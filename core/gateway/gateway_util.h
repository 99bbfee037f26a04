// Naming shared by the gateway's translation units: which object a
// fragment belongs to, and the placement seed of a stripe.
#pragma once

#include <string>

#include "io_abstraction/random.h"
#include "metadata.pb.h"
#include "storage.pb.h"

namespace tessera::gateway_util {

inline std::string object_id(const std::string& bucket, const std::string& key) {
  return bucket + std::string(1, '\0') + key;
}

inline proto::FragmentId fragment_id(const std::string& object, uint64_t fragment_version, uint32_t stripe,
                                     uint32_t index) {
  proto::FragmentId id;
  id.set_object(object);
  id.set_version(fragment_version);
  id.set_part(stripe);
  id.set_index(index);
  return id;
}

// The FragmentId.version of a stripe's fragments: its own, or (records
// from before stripes carried one) the object's upload_id.
inline uint64_t fragment_version_of(const proto::PartRecord& stripe, uint64_t upload_id) {
  return stripe.fragment_version() != 0 ? stripe.fragment_version() : upload_id;
}

inline uint64_t placement_key(const std::string& object, uint64_t fragment_version, uint32_t stripe) {
  uint64_t h = 0;
  for (unsigned char c : object) h = mix_seed(h, c);
  return mix_seed(mix_seed(h, fragment_version), stripe);
}

}  // namespace tessera::gateway_util

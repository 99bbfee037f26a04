// Naming shared by the gateway's translation units: which object a
// fragment belongs to, the placement seed of a stripe, a body's trailers.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "io_abstraction/random.h"
#include "metadata.pb.h"
#include "storage.pb.h"

namespace tessera::gateway_util {

// Appends the body's trailers (name, value) to entries, except names
// entries already has.
inline void add_trailers(std::vector<std::pair<std::string, std::string>> trailers,
                         google::protobuf::RepeatedPtrField<proto::MetadataEntry>* entries) {
  for (auto& [name, value] : trailers) {
    if (std::any_of(entries->begin(), entries->end(), [&](const auto& e) { return e.name() == name; })) continue;
    auto* e = entries->Add();
    e->set_name(std::move(name));
    e->set_value(std::move(value));
  }
}

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
// from before stripes carried one) the object's.
inline uint64_t fragment_version_of(const proto::StripeRecord& stripe, uint64_t object_fragment_version) {
  return stripe.fragment_version() != 0 ? stripe.fragment_version() : object_fragment_version;
}

inline uint64_t placement_key(const std::string& object, uint64_t fragment_version, uint32_t stripe) {
  uint64_t h = 0;
  for (unsigned char c : object) h = mix_seed(h, c);
  return mix_seed(mix_seed(h, fragment_version), stripe);
}

}  // namespace tessera::gateway_util

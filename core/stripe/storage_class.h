// Storage classes: named erasure profiles (k+m and the failure domain
// their fragments spread over). Objects record the class they were
// written with, so classes can be added later without touching old ones.
#pragma once

#include <string>
#include <vector>

#include "core/placement/placement.h"
#include "io_abstraction/status.h"
#include "metadata.pb.h"

namespace tessera {

struct StorageClass {
  std::string name;
  uint32_t k = 10;
  uint32_t m = 4;
  FailureDomain level = FailureDomain::kRack;
};

// kInvalidArgument (InvalidStorageClass) for a name no class has.
inline Result<const StorageClass*> find_storage_class(const std::vector<StorageClass>& classes,
                                                      const std::string& name) {
  for (const StorageClass& c : classes) {
    if (c.name == name) return &c;
  }
  return Status(Code::kInvalidArgument, "no storage class " + name, "InvalidStorageClass");
}

// The class of a new object: the one requested, else the bucket's, else
// the first (the default).
inline Result<const StorageClass*> class_for(const std::vector<StorageClass>& classes,
                                             const proto::BucketRecord& bucket, const std::string& requested) {
  ASSERT(!classes.empty());
  if (!requested.empty()) return find_storage_class(classes, requested);
  if (!bucket.storage_class().empty()) return find_storage_class(classes, bucket.storage_class());
  return &classes.front();
}

}  // namespace tessera

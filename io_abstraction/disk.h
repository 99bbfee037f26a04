// Disk: one physical disk of a node, as a flat namespace of named blobs.
// A write with Durability::kSync is durable (survives power loss) when its
// task completes; a kBuffered write may be lost or torn by a crash. remove()
// is durable when it completes. Errors are values: kNotFound, kIoError,
// kCorrupt (the medium reported a bad read), kNoSpace, kDiskGone.
// Silent corruption is not detected here: callers checksum their data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io_abstraction/status.h"
#include "io_abstraction/task.h"

namespace tessera {

enum class Durability { kBuffered, kSync };

// What a disk holds and has room for, as its node reports it.
struct DiskSpace {
  uint64_t used_bytes = 0;  // the blobs stored on it
  uint64_t free_bytes = 0;  // room left for more (the file system's, shared or not)
};

class Disk {
 public:
  virtual ~Disk() = default;
  virtual Task<Status> write(std::string name, std::string data, Durability durability) = 0;
  virtual Task<Result<std::string>> read(std::string name) = 0;
  virtual Task<Status> remove(std::string name) = 0;
  // Names that start with prefix, in byte order.
  virtual Task<Result<std::vector<std::string>>> list(std::string prefix) = 0;
  // Now, without waiting: kDiskGone for a disk that is gone.
  virtual Result<DiskSpace> space() const = 0;
  // Changes when another disk took this one's place (a replaced disk, a
  // new file system mounted at its path): what was written through this
  // object is no longer what it holds.
  virtual uint64_t generation() const { return 0; }
};

// Names are restricted so that every implementation can store them as-is:
// 1..200 bytes of [A-Za-z0-9._-], not starting with '.'.
bool valid_blob_name(const std::string& name);

}  // namespace tessera

// ObjectSource: a stored object (or a byte range of it) read back as a
// ByteSource, a stripe at a time: the body of CopyObject and UploadPartCopy
// with bounded memory.
#pragma once

#include "core/gateway/object_gateway.h"
#include "core/s3/body_checks.h"

namespace tessera::s3 {

class ObjectSource final : public ByteSource {
 public:
  ObjectSource(ObjectGateway& gateway, proto::ObjectVersion version, ByteRange range)
      : gateway_(gateway), version_(std::move(version)), next_(range.first), last_(range.last),
        empty_(version_.size() == 0) {}
  Task<Result<std::string>> read(size_t max) override {
    if (empty_ || next_ > last_) co_return std::string();
    const uint64_t end = std::min(last_, next_ + std::min<uint64_t>(max, gateway_.config().part_bytes) - 1);
    StringSink sink;
    Status s = co_await gateway_.read_object(version_, ByteRange{next_, end}, sink);
    if (!s.is_ok()) co_return s;
    next_ = end + 1;
    co_return std::move(sink.bytes());
  }

 private:
  ObjectGateway& gateway_;
  proto::ObjectVersion version_;
  uint64_t next_, last_;
  bool empty_;
};

// Another source's bytes with checks on the way, as a request body has
// them: a copy computing the checksum S3 keeps for it.
class ChecksummedSource final : public CheckedSource {
 public:
  explicit ChecksummedSource(ByteSource& inner) : inner_(inner) {}
  Task<Result<std::string>> read(size_t max) override {
    auto bytes = co_await inner_.read(max);
    if (!bytes.is_ok()) co_return bytes;
    if (!bytes.value().empty()) {
      checks_.update(bytes.value());
    } else if (Status s = checks_.verify(); !s.is_ok()) {
      co_return s;
    }
    co_return bytes;
  }

 private:
  ByteSource& inner_;
};

}  // namespace tessera::s3

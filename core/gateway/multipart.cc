// The gateway's multipart upload: each part is a stripe stream of its own,
// durable before the metadata records it.
#include "core/codec/sha256.h"
#include "core/gateway/gateway_util.h"
#include "core/gateway/object_gateway.h"
#include "core/metadata/key_encoding.h"

namespace tessera {

using namespace gateway_util;

namespace {
constexpr uint32_t kPartNumberMax = 10000;
}

Task<Result<std::string>> ObjectGateway::create_upload(proto::BucketRecord bucket, std::string key,
                                                       ObjectAttributes attrs, std::string checksum_algorithm,
                                                       std::string checksum_type) {
  ASSERT(!bucket.name().empty());
  auto cls = class_for(config_.storage_classes, bucket, attrs.storage_class());
  if (!cls.is_ok()) co_return cls.status();
  proto::UploadRecord upload;
  upload.set_bucket(bucket.name());
  upload.set_key(key);
  const uint64_t a = rt_.random().next(), c = rt_.random().next();
  upload.set_upload_id(hex_of(metadata_keys::big_endian(a, 8) + metadata_keys::big_endian(c, 8)));
  upload.set_initiated_ms(rt_.unix_ms());
  upload.set_content_type(attrs.content_type());
  *upload.mutable_user_metadata() = attrs.user_metadata();
  *upload.mutable_headers() = attrs.headers();
  upload.set_storage_class(cls.value()->name);
  upload.set_public_read(attrs.public_read());
  *upload.mutable_tags() = attrs.tags();
  upload.set_checksum_algorithm(std::move(checksum_algorithm));
  upload.set_checksum_type(std::move(checksum_type));
  Status s = co_await metadata_.create_upload(upload);
  if (!s.is_ok()) co_return s;
  co_return upload.upload_id();
}

Task<Result<proto::UploadPartRecord>> ObjectGateway::upload_part(proto::UploadRecord upload, uint32_t number,
                                                                 ByteSource& body) {
  ASSERT(!upload.upload_id().empty());
  if (number < 1 || number > kPartNumberMax) {
    co_return Status(Code::kInvalidArgument, "part number must be 1.." + std::to_string(kPartNumberMax),
                     "InvalidArgument");
  }
  const std::string &bucket = upload.bucket(), &key = upload.key(), &upload_id = upload.upload_id();
  auto cls = storage_class(upload.storage_class());
  if (!cls.is_ok()) co_return cls.status();
  auto written = co_await write_stream(bucket, key, *cls.value(), number, body, false);
  if (!written.is_ok()) co_return written.status();
  proto::UploadPartRecord part;
  part.set_number(number);
  part.set_size(written.value().size);
  part.set_etag(written.value().md5_hex);
  part.set_modified_ms(rt_.unix_ms());
  for (const auto& stripe : written.value().stripes) *part.add_stripes() = stripe;
  add_trailers(body.trailers(), part.mutable_checksums());
  // The stripes are durable; only now does the upload know the part.
  auto replaced = co_await metadata_.put_upload_part(bucket, key, upload_id, part);
  if (!replaced.is_ok()) {
    // The upload is gone, unless no answer came (then the part may be in).
    if (!outcome_unknown(replaced.status())) co_await discard(bucket, key, std::move(written.value().stripes));
    co_return replaced.status();
  }
  co_return part;
}

Task<Result<proto::ObjectVersion>> ObjectGateway::complete_upload(std::string bucket, std::string key,
                                                                  std::string upload_id,
                                                                  std::vector<CompletedPart> parts,
                                                                  CommitConditions conditions,
                                                                  std::vector<proto::MetadataEntry> headers) {
  co_return co_await metadata_.complete_upload(std::move(bucket), std::move(key), std::move(upload_id),
                                               std::move(parts), config_.min_upload_part_bytes, rt_.unix_ms(),
                                               std::move(conditions), std::move(headers));
}

}  // namespace tessera

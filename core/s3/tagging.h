// S3 tag sets: the <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet>
// document of Put/GetObjectTagging and Put/GetBucketTagging, and the
// x-amz-tagging header of PutObject, CopyObject and CreateMultipartUpload
// ("k1=v1&k2=v2", URL-encoded). S3's limits: at most 10 tags on an object
// and 50 on a bucket, keys of 1-128 characters and values of 0-256, keys
// unique within a set (InvalidTag otherwise).
#pragma once

#include <string>
#include <string_view>

#include "io_abstraction/status.h"
#include "metadata.pb.h"

namespace tessera::s3 {

using Tags = google::protobuf::RepeatedPtrField<proto::MetadataEntry>;

inline constexpr size_t kObjectTagsMax = 10;
inline constexpr size_t kBucketTagsMax = 50;

Result<Tags> tags_from_xml(std::string_view xml, size_t tags_max);
Result<Tags> tags_from_header(std::string_view value);
std::string tags_xml(const Tags& tags);

}  // namespace tessera::s3

// S3 tagging: Put/Get/DeleteObjectTagging (of the newest version or of
// versionId) and Put/Get/DeleteBucketTagging. Tags are settings of a
// record, changed in place by MetadataStore::update_object/update_bucket:
// never a new version, never the object's bytes.
#include "prod/s3/s3_error.h"
#include "prod/s3/s3_service.h"
#include "prod/s3/tagging.h"

namespace tessera::prod::s3 {

Task<Status> S3Service::get_tagging(S3Request& r) {
  proto::BucketRecord b;
  if (Status s = co_await authorize_bucket(r, false, &b); !s.is_ok()) co_return s;
  if (r.key.empty()) {
    if (b.tags().empty()) co_return s3_status("NoSuchTagSet", "bucket " + r.bucket + " has no tags");
    co_await r.x.send(200, tags_xml(b.tags()));
    co_return Status::ok();
  }
  auto v = co_await gateway_.head_object(r.bucket, r.key, r.param("versionId"));
  if (!v.is_ok()) co_return v.status();
  set_version_header(r, v.value());
  co_await r.x.send(200, tags_xml(v.value().tags()));
  co_return Status::ok();
}

Task<Status> S3Service::put_tagging(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  if (Status s = prepare_body(r); !s.is_ok()) co_return s;
  auto body = co_await r.x.read_all(config_.xml_body_bytes_max);
  if (!body.is_ok()) co_return body.status();
  auto tags = tags_from_xml(body.value(), r.key.empty() ? kBucketTagsMax : kObjectTagsMax);
  if (!tags.is_ok()) co_return tags.status();
  co_return co_await set_tags(r, std::move(tags).value(), 200);
}

Task<Status> S3Service::delete_tagging(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  co_return co_await set_tags(r, Tags(), 204);
}

Task<Status> S3Service::set_tags(S3Request& r, Tags tags, unsigned status) {
  if (r.key.empty()) {
    proto::BucketPatch patch;
    *patch.mutable_tags()->mutable_tags() = std::move(tags);
    if (Status s = co_await gateway_.metadata().update_bucket(r.bucket, std::move(patch)); !s.is_ok()) co_return s;
  } else {
    proto::ObjectPatch patch;
    *patch.mutable_tags()->mutable_tags() = std::move(tags);
    auto v = co_await gateway_.metadata().update_object(r.bucket, r.key, r.param("versionId"), std::move(patch));
    if (!v.is_ok()) co_return v.status();
    set_version_header(r, v.value());
  }
  co_await r.x.send(status, "");
  co_return Status::ok();
}

}  // namespace tessera::prod::s3

// S3 tagging: Put/Get/DeleteObjectTagging (of the newest version or of
// versionId) and Put/Get/DeleteBucketTagging. Tags are settings of a
// record, changed in place by MetadataStore::update_object/update_bucket:
// never a new version, never the object's bytes.
#include "core/s3/s3_error.h"
#include "core/s3/s3_api.h"
#include "core/s3/tagging.h"

namespace tessera::s3 {

Task<Status> S3Api::get_tagging(S3Request& r) {
  proto::BucketRecord b;
  if (Status s = co_await authorize_bucket(r, false, &b); !s.is_ok()) co_return s;
  if (r.key.empty()) {
    if (b.tags().empty()) co_return s3_status("NoSuchTagSet", "bucket " + r.bucket + " has no tags");
    co_await r.reply->send(200, tags_xml(b.tags()));
    co_return Status::ok();
  }
  auto v = co_await gateway_.head_object(r.bucket, r.key, r.param("versionId"));
  if (!v.is_ok()) co_return v.status();
  set_version_header(r, v.value());
  co_await r.reply->send(200, tags_xml(v.value().tags()));
  co_return Status::ok();
}

Task<Status> S3Api::put_tagging(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto body = co_await read_xml_body(r);
  if (!body.is_ok()) co_return body.status();
  auto tags = tags_from_xml(body.value(), r.key.empty() ? kBucketTagsMax : kObjectTagsMax);
  if (!tags.is_ok()) co_return tags.status();
  co_return co_await patch_record(r, 200,
                                  [&tags](auto& patch) { *patch.mutable_tags()->mutable_tags() = tags.value(); });
}

Task<Status> S3Api::delete_tagging(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  // A set that is present and empty: the tags are removed.
  co_return co_await patch_record(r, 204, [](auto& patch) { patch.mutable_tags(); });
}

}  // namespace tessera::s3

// The gateway over a small simulated world (one gateway node, one storage
// node with six disks, a 2+1 class on disk failure domains, tiny stripes):
// streamed PUT/GET across stripes, versioning, and multipart uploads with
// the S3 rules; each with the metadata local and on a node of its own.
#include <gtest/gtest.h>

#include "tests/gateway_fixture.h"

namespace tessera {
namespace {

// Each test runs with the metadata local and on a metadata node (over RPC).
class GatewayTest : public testing::GatewayFixture, public ::testing::WithParamInterface<bool> {
 protected:
  GatewayTest() : GatewayFixture(GetParam()) {}
};
using testing::body;

// A body whose client goes away after `good` bytes.
class BrokenSource final : public ByteSource {
 public:
  BrokenSource(std::string bytes, size_t good) : bytes_(std::move(bytes)), good_(good) {}
  Task<Result<std::string>> read(size_t max) override {
    if (sent_ >= good_) co_return Status(Code::kAborted, "client disconnected");
    const std::string chunk = bytes_.substr(sent_, std::min(max, good_ - sent_));
    sent_ += chunk.size();
    co_return chunk;
  }

 private:
  std::string bytes_;
  size_t good_;
  size_t sent_ = 0;
};

TEST_P(GatewayTest, StripedPutGetAndRanges) {
  for (size_t size : {0u, 1u, 64u, 65u, 999u, 1000u, 1001u, 4321u}) {
    const std::string bytes = body(size, static_cast<char>(size));
    auto v = put("k" + std::to_string(size), bytes);
    ASSERT_TRUE(v.is_ok()) << size << ": " << v.status().to_string();
    EXPECT_EQ(v.value().etag(), md5_hex(bytes));
    EXPECT_EQ(v.value().stripes_size(), size <= 64 ? 1 : static_cast<int>((size + 999) / 1000));
    auto back = get("k" + std::to_string(size));
    ASSERT_TRUE(back.is_ok()) << size;
    EXPECT_EQ(back.value(), bytes) << size;
  }
  const std::string bytes = body(4321, 'r');
  ASSERT_TRUE(put("r", bytes).is_ok());
  EXPECT_EQ(get("r", ByteRange{998, 2002}).value(), bytes.substr(998, 1005));
  EXPECT_EQ(get("r", ByteRange{4000, 1u << 30}).value(), bytes.substr(4000));
}

TEST_P(GatewayTest, StorageClassesAreRecordedPerObject) {
  proto::ObjectVersion attrs;
  attrs.set_storage_class("WIDE");
  auto v = put("wide", body(2500, 'w'), {}, attrs);
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(v.value().storage_class(), "WIDE");
  EXPECT_EQ(v.value().stripes(0).k(), 3u);
  EXPECT_EQ(v.value().stripes(0).fragments_size(), 5);
  EXPECT_EQ(get("wide").value(), body(2500, 'w'));
  attrs.set_storage_class("GLACIER");
  EXPECT_EQ(put("x", "y", {}, attrs).status().reason(), "InvalidStorageClass");
}

TEST_P(GatewayTest, VersionedBucketKeepsVersionsAndDeleteMarkers) {
  ASSERT_TRUE(put("k", "unversioned").is_ok());
  ASSERT_TRUE(run(metadata.set_versioning("b", proto::VERSIONING_ENABLED)).is_ok());
  auto v1 = put("k", body(1500, 'a'));
  auto v2 = put("k", "second");
  ASSERT_TRUE(v1.is_ok() && v2.is_ok());
  EXPECT_NE(v1.value().version_id(), v2.value().version_id());
  EXPECT_EQ(get("k").value(), "second");
  auto old = run(gateway.head_object("b", "k", v1.value().version_id()));
  ASSERT_TRUE(old.is_ok());
  EXPECT_EQ(old.value().size(), 1500u);
  EXPECT_EQ(run(gateway.head_object("b", "k", "null")).value().size(), 11u);

  auto marker = run(gateway.delete_object("b", "k"));
  ASSERT_TRUE(marker.is_ok());
  EXPECT_TRUE(marker.value().delete_marker);
  EXPECT_EQ(get("k").status().reason(), "NoSuchKey");
  EXPECT_EQ(run(gateway.head_object("b", "k", marker.value().version_id)).status().reason(), "MethodNotAllowed");
  EXPECT_TRUE(run(metadata.list_objects("b", {})).value().objects.empty());

  auto versions = run(metadata.list_versions("b", {})).value();
  ASSERT_EQ(versions.versions.size(), 4u);
  EXPECT_TRUE(versions.versions[0].is_latest);
  EXPECT_TRUE(versions.versions[0].version.delete_marker());
  EXPECT_FALSE(versions.versions[1].is_latest);
  EXPECT_EQ(versions.versions[3].version.version_id(), "null");

  // Paging one entry at a time visits the same four, in order.
  ListVersionsRequest page;
  page.max_keys = 1;
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    auto r = run(metadata.list_versions("b", page)).value();
    for (auto& e : r.versions) ids.push_back(e.version.version_id());
    if (!r.truncated) break;
    page.key_marker = r.next_key_marker;
    page.version_id_marker = r.next_version_id_marker;
  }
  ASSERT_EQ(ids.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(ids[i], versions.versions[i].version.version_id());

  // Removing the marker by id brings the previous version back.
  ASSERT_TRUE(run(gateway.delete_object("b", "k", marker.value().version_id)).is_ok());
  EXPECT_EQ(get("k").value(), "second");
  EXPECT_EQ(run(metadata.delete_bucket("b")).reason(), "BucketNotEmpty");
  EXPECT_EQ(run(metadata.set_versioning("b", proto::VERSIONING_OFF)).reason(),
            "IllegalVersioningConfigurationException");

  // Suspended: a plain write replaces the "null" version only.
  ASSERT_TRUE(run(metadata.set_versioning("b", proto::VERSIONING_SUSPENDED)).is_ok());
  auto v3 = put("k", "third");
  ASSERT_TRUE(v3.is_ok());
  EXPECT_EQ(v3.value().version_id(), "null");
  EXPECT_EQ(run(metadata.list_versions("b", {})).value().versions.size(), 3u);
}

TEST_P(GatewayTest, MultipartUploadFollowsTheS3Rules) {
  auto id = run(gateway.create_upload(bucket(), "big", {}));
  ASSERT_TRUE(id.is_ok());
  const std::string p1 = body(2500, '1'), p2 = body(2000, '2'), p3 = body(10, '3');
  // Parts in any order, and a re-upload replaces a part.
  auto r3 = part("big", id.value(), 3, p3);
  auto r1 = part("big", id.value(), 1, body(2500, 'x'));
  auto r2 = part("big", id.value(), 2, p2);
  auto r1b = part("big", id.value(), 1, p1);
  ASSERT_TRUE(r1.is_ok() && r2.is_ok() && r3.is_ok() && r1b.is_ok());
  EXPECT_NE(r1.value().etag(), r1b.value().etag());
  EXPECT_EQ(part("big", id.value(), 0, "x").status().reason(), "InvalidArgument");
  EXPECT_EQ(part("big", id.value(), 10001, "x").status().reason(), "InvalidArgument");
  EXPECT_EQ(part("big", "nope", 1, "x").status().reason(), "NoSuchUpload");

  auto parts = run(metadata.list_upload_parts("b", "big", id.value(), 0, 2)).value();
  ASSERT_EQ(parts.parts.size(), 2u);
  EXPECT_TRUE(parts.truncated);
  EXPECT_EQ(parts.parts[0].etag(), md5_hex(p1));

  auto complete = [&](std::vector<CompletedPart> list) {
    return run(gateway.complete_upload("b", "big", id.value(), std::move(list), {}));
  };
  const std::string e1 = r1b.value().etag(), e2 = r2.value().etag(), e3 = r3.value().etag();
  EXPECT_EQ(complete({{2, e2}, {1, e1}}).status().reason(), "InvalidPartOrder");
  EXPECT_EQ(complete({{1, r1.value().etag()}, {2, e2}}).status().reason(), "InvalidPart");
  EXPECT_EQ(complete({{1, e1}, {4, e2}}).status().reason(), "InvalidPart");
  EXPECT_EQ(complete({{3, e3}, {4, e2}}).status().reason(), "InvalidPart");
  EXPECT_EQ(complete({{1, e1}, {3, e3}, {2, e2}}).status().reason(), "InvalidPartOrder");
  // Part 3 (10 bytes) may only be last.
  auto small = run(gateway.create_upload(bucket(), "small", {}));
  ASSERT_TRUE(part("small", small.value(), 1, p3).is_ok());
  ASSERT_TRUE(part("small", small.value(), 2, p3).is_ok());
  EXPECT_EQ(run(gateway.complete_upload("b", "small", small.value(), {{1, e3}, {2, e3}}, {})).status().reason(),
            "EntityTooSmall");
  // Nothing is visible before completion.
  EXPECT_EQ(get("big").status().reason(), "NoSuchKey");

  auto done = complete({{1, e1}, {2, e2}, {3, e3}});
  ASSERT_TRUE(done.is_ok()) << done.status().to_string();
  const std::string expected_etag =
      md5_hex(*from_hex(e1) + *from_hex(e2) + *from_hex(e3)) + "-3";
  EXPECT_EQ(done.value().etag(), expected_etag);
  EXPECT_EQ(done.value().upload_parts(), 3u);
  EXPECT_EQ(get("big").value(), p1 + p2 + p3);
  EXPECT_EQ(get("big", ByteRange{2400, 2600}).value(), (p1 + p2).substr(2400, 201));
  // The upload is gone: a second completion or a part upload is refused.
  EXPECT_EQ(complete({{1, e1}}).status().reason(), "NoSuchUpload");
  EXPECT_EQ(part("big", id.value(), 4, "x").status().reason(), "NoSuchUpload");

  auto aborted = run(metadata.abort_upload("b", "small", small.value()));
  ASSERT_TRUE(aborted.is_ok());
  EXPECT_EQ(aborted.value().size(), 2u);
  EXPECT_TRUE(run(metadata.list_uploads("b", {})).value().uploads.empty());
}

TEST_P(GatewayTest, CompletionIsConditional) {
  ASSERT_TRUE(put("k", "exists").is_ok());
  auto id = run(gateway.create_upload(bucket(), "k", {}));
  auto p = part("k", id.value(), 1, "tiny");
  CommitConditions create_only;
  create_only.if_none_match_any = true;
  EXPECT_EQ(run(gateway.complete_upload("b", "k", id.value(), {{1, p.value().etag()}}, create_only))
                .status()
                .reason(),
            "PreconditionFailed");
  EXPECT_EQ(get("k").value(), "exists");
  // The failed completion left the upload in place.
  EXPECT_TRUE(run(gateway.complete_upload("b", "k", id.value(), {{1, p.value().etag()}}, {})).is_ok());
  EXPECT_EQ(get("k").value(), "tiny");
}

TEST_P(GatewayTest, GarbageCollectionDeletesOnlyUnreferencedFragments) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());  // 3 stripes x 3 fragments
  EXPECT_EQ(blob_count(), 9u);
  ASSERT_TRUE(put("k", body(1500, 'b')).is_ok());  // overwrites: the first 9 become garbage
  ASSERT_TRUE(put("tiny", "inline").is_ok());       // inline: nothing to collect, ever
  EXPECT_EQ(blob_count(), 15u);
  // Within the grace period nothing goes (a read may still be using them).
  EXPECT_EQ(run(collector.collect(Duration::seconds(3600), 100)).value(), 0u);
  EXPECT_EQ(blob_count(), 15u);
  EXPECT_EQ(run(collector.collect(Duration::micros(0), 100)).value(), 1u);
  EXPECT_EQ(blob_count(), 6u);
  EXPECT_EQ(get("k").value(), body(1500, 'b'));
  // A delete, a replaced part and an aborted upload are garbage too.
  ASSERT_TRUE(run(gateway.delete_object("b", "k")).is_ok());
  auto id = run(gateway.create_upload(bucket(), "mp", {}));
  ASSERT_TRUE(part("mp", id.value(), 1, body(1200, 'c')).is_ok());
  ASSERT_TRUE(part("mp", id.value(), 1, body(1200, 'd')).is_ok());
  ASSERT_TRUE(run(metadata.abort_upload("b", "mp", id.value())).is_ok());
  EXPECT_EQ(blob_count(), 6u + 12u);
  EXPECT_EQ(run(collector.collect(Duration::micros(0), 100)).value(), 3u);
  EXPECT_EQ(blob_count(), 0u);
  EXPECT_TRUE(run(metadata.list_garbage(~0ull >> 1, 100)).value().empty());
  EXPECT_EQ(get("tiny").value(), "inline");
}

TEST_P(GatewayTest, StripesOfAPutThatFailsBecomeGarbageNotOrphans) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());
  EXPECT_EQ(blob_count(), 9u);
  // A conditional PUT that loses: written in full, never committed.
  CommitConditions create_only;
  create_only.if_none_match_any = true;
  EXPECT_EQ(put("k", body(2500, 'b'), create_only).code(), Code::kFailedPrecondition);
  // A client that goes away after two stripes.
  BrokenSource broken(body(5000, 'c'), 2500);
  EXPECT_FALSE(run(gateway.put_object(bucket(), "j", broken, {}, {})).is_ok());
  EXPECT_EQ(blob_count(), 9u + 9u + 6u);
  EXPECT_EQ(run(metadata.list_garbage(~0ull >> 1, 100)).value().size(), 2u);
  EXPECT_EQ(run(collector.collect(Duration::micros(0), 100)).value(), 2u);
  EXPECT_EQ(blob_count(), 9u);
  EXPECT_EQ(get("k").value(), body(2500, 'a'));
  EXPECT_EQ(get("j").code(), Code::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Metadata, GatewayTest, ::testing::Bool(), testing::metadata_placement);

}  // namespace
}  // namespace tessera

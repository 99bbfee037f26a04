// The S3 routing table: every sub-resource of the S3 API reference, with
// every method, on a bucket and on an object, either names an operation
// this server implements or is refused (501) before any operation runs.
// The integration test s3_routing_test.py sends the same requests to a
// real server and checks that the refused ones change no state. Here: the
// request-body budget that bounds what uploads hold in memory.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "prod/s3/body_budget.h"
#include "core/s3/s3_routes.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera::prod::s3 {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

Route route_of(const std::string& method, const std::string& target, const Query& query, bool copy = false) {
  return route(RouteInput{method, target != "service", target == "object", &query, copy});
}

// (method, target, sub-resource) -> the operation S3 names it, for every
// row this server implements. Everything else must be refused.
const std::map<std::tuple<std::string, std::string, std::string>, std::string>& implemented() {
  static const std::map<std::tuple<std::string, std::string, std::string>, std::string> m = {
      {{"GET", "bucket", "location"}, "GetBucketLocation"},
      {{"GET", "bucket", "versioning"}, "GetBucketVersioning"},
      {{"PUT", "bucket", "versioning"}, "PutBucketVersioning"},
      {{"GET", "bucket", "acl"}, "GetBucketAcl"},
      {{"PUT", "bucket", "acl"}, "PutBucketAcl"},
      {{"GET", "bucket", "versions"}, "ListObjectVersions"},
      {{"GET", "bucket", "uploads"}, "ListMultipartUploads"},
      {{"POST", "bucket", "delete"}, "DeleteObjects"},
      {{"GET", "object", "acl"}, "GetObjectAcl"},
      {{"PUT", "object", "acl"}, "PutObjectAcl"},
      {{"POST", "object", "uploads"}, "CreateMultipartUpload"},
      {{"PUT", "object", "uploadId"}, "UploadPart"},
      {{"POST", "object", "uploadId"}, "CompleteMultipartUpload"},
      {{"DELETE", "object", "uploadId"}, "AbortMultipartUpload"},
      {{"GET", "object", "uploadId"}, "ListParts"},
      {{"GET", "bucket", "tagging"}, "GetBucketTagging"},
      {{"PUT", "bucket", "tagging"}, "PutBucketTagging"},
      {{"DELETE", "bucket", "tagging"}, "DeleteBucketTagging"},
      {{"GET", "object", "tagging"}, "GetObjectTagging"},
      {{"PUT", "object", "tagging"}, "PutObjectTagging"},
      {{"DELETE", "object", "tagging"}, "DeleteObjectTagging"},
      {{"GET", "object", "attributes"}, "GetObjectAttributes"},
  };
  return m;
}

TEST(S3Routes, EverySubresourceWithEveryMethodIsImplementedOrRefusedWith501) {
  int refused = 0;
  for (const std::string& sub : s3_subresources()) {
    for (const char* method : {"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"}) {
      for (const char* target : {"bucket", "object"}) {
        for (const std::string& value : {std::string(), std::string("x")}) {
          const Route r = route_of(method, target, {{sub, value}});
          auto want = implemented().find({method, target, sub});
          if (want != implemented().end()) {
            EXPECT_EQ(r.name, want->second) << method << " " << target << " ?" << sub;
            EXPECT_NE(r.op, S3Op::kNone);
            continue;
          }
          ++refused;
          EXPECT_EQ(r.op, S3Op::kNone) << method << " " << target << " ?" << sub << " reached " << r.name;
          EXPECT_EQ(r.refusal.reason(), "NotImplemented") << method << " " << target << " ?" << sub;
        }
      }
    }
  }
  // The data-destroying falls-through of old: each of these is refused
  // (tagging is implemented: see the table above and s3_routing_test.py).
  for (const char* sub : {"retention", "legal-hold", "torrent", "restore", "select"}) {
    EXPECT_EQ(route_of("PUT", "object", {{sub, ""}}).op, S3Op::kNone) << sub;
    EXPECT_EQ(route_of("DELETE", "object", {{sub, ""}}).op, S3Op::kNone) << sub;
    EXPECT_EQ(route_of("GET", "object", {{sub, ""}}).op, S3Op::kNone) << sub;
  }
  for (const char* sub : {"cors", "policy", "lifecycle", "encryption", "website", "ownershipControls",
                          "publicAccessBlock"}) {
    EXPECT_EQ(route_of("DELETE", "bucket", {{sub, ""}}).op, S3Op::kNone) << sub;
    EXPECT_EQ(route_of("PUT", "bucket", {{sub, ""}}).op, S3Op::kNone) << sub;
    EXPECT_EQ(route_of("GET", "bucket", {{sub, ""}}).op, S3Op::kNone) << sub;
  }
  EXPECT_GT(refused, 1000);
}

TEST(S3Routes, PlainRequestsNameTheirOperations) {
  EXPECT_EQ(route_of("GET", "service", {}).name, "ListBuckets");
  EXPECT_EQ(route_of("PUT", "bucket", {}).name, "CreateBucket");
  EXPECT_EQ(route_of("DELETE", "bucket", {}).name, "DeleteBucket");
  EXPECT_EQ(route_of("HEAD", "bucket", {}).name, "HeadBucket");
  EXPECT_EQ(route_of("GET", "bucket", {{"list-type", "2"}, {"prefix", "a/"}}).name, "ListObjects");
  EXPECT_EQ(route_of("PUT", "object", {}).name, "PutObject");
  EXPECT_EQ(route_of("PUT", "object", {}, true).name, "CopyObject");
  EXPECT_EQ(route_of("PUT", "object", {{"uploadId", "u"}, {"partNumber", "1"}}, true).name, "UploadPartCopy");
  EXPECT_EQ(route_of("GET", "object", {{"versionId", "v"}, {"response-content-type", "a/b"}}).name, "GetObject");
  EXPECT_EQ(route_of("HEAD", "object", {{"partNumber", "2"}}).name, "HeadObject");
  EXPECT_EQ(route_of("DELETE", "object", {{"versionId", "v"}}).name, "DeleteObject");
}

TEST(S3Routes, SigningParametersAreNoSubresource) {
  const Query presigned = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"}, {"X-Amz-Credential", "c"},
                           {"X-Amz-Date", "d"},  {"X-Amz-Expires", "60"},
                           {"X-Amz-SignedHeaders", "host"},       {"X-Amz-Signature", "s"},
                           {"x-amz-checksum-crc32", "AAAAAA=="}, {"x-id", "PutObject"}};
  EXPECT_EQ(route_of("PUT", "object", presigned).name, "PutObject");
  const Query v2 = {{"AWSAccessKeyId", "a"}, {"Signature", "s"}, {"Expires", "1"}};
  EXPECT_EQ(route_of("GET", "object", v2).name, "GetObject");
}

TEST(S3Routes, UnknownParametersAndMisplacedOnesAreRefused) {
  EXPECT_EQ(route_of("PUT", "object", {{"tagging", ""}, {"partNumber", "1"}}).refusal.reason(), "InvalidArgument");
  Route r = route_of("PUT", "object", {{"renameObject", ""}});
  EXPECT_EQ(r.refusal.reason(), "NotImplemented");
  r = route_of("GET", "object", {{"no-such-thing", "1"}});
  EXPECT_EQ(r.op, S3Op::kNone);
  EXPECT_EQ(r.refusal.reason(), "NotImplemented");
  EXPECT_NE(r.refusal.message().find("no-such-thing"), std::string::npos);
  // A known parameter the operation does not take: partNumber without an
  // uploadId would otherwise overwrite the object with one part's bytes.
  r = route_of("PUT", "object", {{"partNumber", "1"}});
  EXPECT_EQ(r.op, S3Op::kNone);
  EXPECT_EQ(r.refusal.reason(), "InvalidArgument");
  r = route_of("DELETE", "object", {{"partNumber", "1"}});
  EXPECT_EQ(r.refusal.reason(), "InvalidArgument");
  // Two sub-resources at once name no operation.
  r = route_of("GET", "object", {{"acl", ""}, {"uploadId", "u"}});
  EXPECT_EQ(r.refusal.reason(), "NotImplemented");
  // A copy source on a DELETE or a multipart completion is no operation.
  EXPECT_EQ(route_of("DELETE", "object", {}, true).op, S3Op::kNone);
  EXPECT_EQ(route_of("POST", "object", {{"uploadId", "u"}}, true).op, S3Op::kNone);
  // Other methods and the service with anything but GET.
  EXPECT_EQ(route_of("PATCH", "object", {}).refusal.reason(), "NotImplemented");
  EXPECT_EQ(route_of("PUT", "service", {}).refusal.reason(), "NotImplemented");
  EXPECT_EQ(route_of("POST", "bucket", {}).refusal.reason(), "NotImplemented");
}

// The body budget in a simulated runtime: waiters are served in order, a
// wait ends at its deadline, and what is in use never passes the cap.
struct BudgetWorld {
  BudgetWorld() : world(1), rt(world, 0, 1), budget(rt, 100) {}
  ~BudgetWorld() { rt.stop(); }
  Task<void> take(uint64_t n, Duration deadline, std::vector<std::string>* log, std::string name) {
    Status s = co_await budget.acquire(n, deadline);
    log->push_back(name + (s.is_ok() ? ":ok" : ":" + s.reason()));
    EXPECT_LE(budget.in_use(), budget.bytes_max());
  }
  sim::SimWorld world;
  sim::SimRuntime rt;
  BodyBudget budget;
};

TEST(BodyBudget, WaitersAreServedInOrderAsBytesComeBack) {
  BudgetWorld w;
  std::vector<std::string> log;
  w.rt.spawn(w.take(60, Duration::seconds(10), &log, "a"));
  w.rt.spawn(w.take(50, Duration::seconds(10), &log, "b"));
  w.rt.spawn(w.take(10, Duration::seconds(10), &log, "c"));  // fits, but waits behind b
  w.world.run_until(Instant{Duration::seconds(1).us});
  EXPECT_EQ(log, (std::vector<std::string>{"a:ok"}));
  EXPECT_EQ(w.budget.in_use(), 60u);
  w.budget.release(60);
  w.world.run_until(Instant{Duration::seconds(2).us});
  EXPECT_EQ(log, (std::vector<std::string>{"a:ok", "b:ok", "c:ok"}));
  EXPECT_EQ(w.budget.in_use(), 60u);
  EXPECT_EQ(w.budget.waits_total(), 2u);
}

TEST(BodyBudget, AWaitEndsWithSlowDownAtItsDeadlineAndTakesNothing) {
  BudgetWorld w;
  std::vector<std::string> log;
  w.rt.spawn(w.take(90, Duration::seconds(10), &log, "a"));
  w.rt.spawn(w.take(50, Duration::seconds(3), &log, "b"));
  w.rt.spawn(w.take(10, Duration::seconds(10), &log, "c"));
  w.world.run_until(Instant{Duration::seconds(2).us});
  EXPECT_EQ(log, (std::vector<std::string>{"a:ok"}));
  // b gives up; c, which fits beside a, no longer waits behind it.
  w.world.run_until(Instant{Duration::seconds(4).us});
  EXPECT_EQ(log, (std::vector<std::string>{"a:ok", "b:SlowDown", "c:ok"}));
  EXPECT_EQ(w.budget.in_use(), 100u);
  EXPECT_EQ(w.budget.wait_timeouts_total(), 1u);
}

}  // namespace
}  // namespace tessera::prod::s3

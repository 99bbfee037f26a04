// The metadata service over RPC in a small simulated world: two clients
// (the gateways of two processes) share one metadata node. The gateway and
// repair suites also run whole over a metadata node (RemoteMetadata); these
// tests cover what only the remote path has: races between clients, pages
// cut to fit a reply, a node that does not answer, and writes sent again
// after a lost reply (applied once).
#include <gtest/gtest.h>

#include "core/metadata/metadata_service.h"
#include "core/metadata/remote_metadata_store.h"
#include "metadata_rpc.pb.h"
#include "io_abstraction/combinators.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

constexpr uint32_t kMetaNode = 2;

struct TwoClients {
  explicit TwoClients(size_t reply_bytes_max = MetadataService::kReplyBytesMax)
      : world(4), rt_a(world, 0, 1), rt_meta(world, kMetaNode, 2), rt_b(world, 3, 3),
        net(world, testing::uniform_network(50, 400), {{0, 0}, {0, 0}, {0, 0}, {0, 0}}, 4), n_a(net, 0),
        n_meta(net, kMetaNode), n_b(net, 3), kv(rt_meta, Duration::micros(10), 5), rpc_a(rt_a, n_a),
        rpc_meta(rt_meta, n_meta), rpc_b(rt_b, n_b), store(rt_meta, kv),
        service(rpc_meta, store, nullptr, reply_bytes_max), a(rpc_a, NodeId(kMetaNode), Duration::seconds(1)),
        b(rpc_b, NodeId(kMetaNode), Duration::seconds(1)) {
    proto::BucketRecord bucket;
    bucket.set_name("b");
    EXPECT_TRUE(run(a.create_bucket(bucket)).is_ok());
  }
  ~TwoClients() {
    rt_a.stop();
    rt_meta.stop();
    rt_b.stop();
  }
  template <typename T>
  T run(Task<T> task) {
    return testing::run_in_sim(world, rt_a, std::move(task));
  }
  static proto::ObjectVersion version(const std::string& key, const std::string& etag, size_t padding = 0) {
    proto::ObjectVersion v;
    v.set_bucket("b");
    v.set_key(key);
    v.set_etag(etag);
    if (padding > 0) {
      auto* m = v.add_user_metadata();
      m->set_name("pad");
      m->set_value(std::string(padding, 'p'));
    }
    return v;
  }

  sim::SimWorld world;
  sim::SimRuntime rt_a, rt_meta, rt_b;
  sim::SimNetwork net;
  sim::SimNodeNetwork n_a, n_meta, n_b;
  sim::SimKv kv;
  RpcEndpoint rpc_a, rpc_meta, rpc_b;
  KvMetadataStore store;
  MetadataService service;
  RemoteMetadataStore a, b;
};

Task<void> commit_into(RemoteMetadataStore& md, proto::ObjectVersion v,
                       std::optional<Result<proto::ObjectVersion>>* out) {
  CommitConditions create_only;
  create_only.if_none_match_any = true;
  out->emplace(co_await md.commit_object(std::move(v), create_only));
}

TEST(RemoteMetadata, OfTwoClientsCreatingTheSameKeyExactlyOneWins) {
  TwoClients w;
  constexpr int kKeys = 20;
  std::vector<std::optional<Result<proto::ObjectVersion>>> by_a(kKeys), by_b(kKeys);
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "k" + std::to_string(i);
    w.rt_a.spawn(commit_into(w.a, TwoClients::version(key, "from-a"), &by_a[i]));
    w.rt_b.spawn(commit_into(w.b, TwoClients::version(key, "from-b"), &by_b[i]));
  }
  while (w.world.step()) {
  }
  int a_won = 0;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(by_a[i] && by_b[i]);
    const Result<proto::ObjectVersion>& winner = by_a[i]->is_ok() ? *by_a[i] : *by_b[i];
    const Result<proto::ObjectVersion>& loser = by_a[i]->is_ok() ? *by_b[i] : *by_a[i];
    ASSERT_TRUE(winner.is_ok()) << "neither client created k" << i;
    ASSERT_FALSE(loser.is_ok()) << "both clients created k" << i;
    EXPECT_EQ(loser.status().reason(), "PreconditionFailed");
    a_won += by_a[i]->is_ok() ? 1 : 0;
    // Each client reads the winner's record.
    auto seen = w.run(w.b.get_object("b", "k" + std::to_string(i)));
    ASSERT_TRUE(seen.is_ok());
    EXPECT_EQ(seen.value().etag(), winner.value().etag());
  }
  EXPECT_GT(a_won, 0);
  EXPECT_LT(a_won, kKeys);
}

TEST(RemoteMetadata, ListPagesAreCutToFitAReplyAndPageThroughEverything) {
  TwoClients w(4096);
  constexpr int kKeys = 60;
  for (int i = 0; i < kKeys; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%03d", i);
    ASSERT_TRUE(w.run(w.a.commit_object(TwoClients::version(key, "e", 300), {})).is_ok());
  }
  ListRequest request;
  std::vector<std::string> keys;
  int pages = 0;
  for (;;) {
    auto page = w.run(w.b.list_objects("b", request));
    ASSERT_TRUE(page.is_ok()) << page.status().to_string();
    ++pages;
    ASSERT_FALSE(page.value().objects.empty());
    for (const auto& o : page.value().objects) keys.push_back(o.key());
    if (!page.value().truncated) break;
    request.start_after = page.value().next_marker;
  }
  ASSERT_EQ(keys.size(), static_cast<size_t>(kKeys));
  for (int i = 1; i < kKeys; ++i) EXPECT_LT(keys[i - 1], keys[i]);
  EXPECT_GE(pages, 5) << "60 records of over 300 bytes cannot fit 4 KiB replies in fewer";

  ListVersionsRequest versions;
  size_t listed = 0;
  for (;;) {
    auto page = w.run(w.a.list_versions("b", versions));
    ASSERT_TRUE(page.is_ok()) << page.status().to_string();
    listed += page.value().versions.size();
    if (!page.value().truncated) break;
    versions.key_marker = page.value().next_key_marker;
    versions.version_id_marker = page.value().next_version_id_marker;
  }
  EXPECT_EQ(listed, static_cast<size_t>(kKeys));

  // One record larger than a reply is an error that names the problem.
  ASSERT_TRUE(w.run(w.a.commit_object(TwoClients::version("z-huge", "e", 8192), {})).is_ok());
  ListRequest huge;
  huge.prefix = "z-";
  auto r = w.run(w.b.list_objects("b", huge));
  EXPECT_EQ(r.code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("too large"), std::string::npos) << r.status().to_string();
}

TEST(RemoteMetadata, AnUnreachableNodeTimesOutThenFailsFastUntilItAnswers) {
  TwoClients w;
  std::vector<bool> metadata_side(4, false);
  metadata_side[kMetaNode] = true;
  const uint64_t cut = w.net.add_partition(metadata_side, false);
  auto timed_out = w.run(w.a.get_bucket("b"));
  EXPECT_EQ(timed_out.code(), Code::kTimeout);
  EXPECT_TRUE(outcome_unknown(timed_out.status())) << "no answer: the call may have taken effect";
  for (int i = 0; i < RemoteMetadataStore::kProbeFailuresMax; ++i) {
    EXPECT_FALSE(w.run(w.a.probe(Duration::millis(100))).is_ok());
  }
  const Instant before = w.rt_a.now();
  auto fast = w.run(w.a.get_bucket("b"));
  EXPECT_EQ(fast.code(), Code::kUnavailable);
  EXPECT_NE(fast.status().message().find("not answering"), std::string::npos);
  EXPECT_FALSE(outcome_unknown(fast.status())) << "a call never sent took no effect";
  EXPECT_EQ(w.rt_a.now().us, before.us) << "a call to a node known down waits for nothing";
  // The other client has not probed: it still tries, and times out.
  EXPECT_EQ(w.run(w.b.get_bucket("b")).code(), Code::kTimeout);

  w.net.heal_partition(cut);
  EXPECT_TRUE(w.run(w.a.probe(Duration::millis(100))).is_ok());
  EXPECT_TRUE(w.run(w.a.get_bucket("b")).is_ok());
  auto missing = w.run(w.a.get_bucket("nope"));
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.status().reason(), "NoSuchBucket") << "the S3 reason crosses the RPC";
}

// A once-write of delete_object (a delete marker in a versioned bucket),
// sent straight to the service as a gateway would send it.
Task<Result<proto::MetaDeleted>> once_delete(RpcEndpoint& rpc, uint64_t client, uint64_t seq) {
  proto::MetaObjectRef ref;
  ref.set_bucket("b");
  ref.set_key("k");
  proto::MetaOnce once;
  once.set_client(client);
  once.set_seq(seq);
  once.set_method("meta.delete_object");
  once.set_payload(ref.SerializeAsString());
  co_return co_await call_message<proto::MetaDeleted>(rpc, NodeId(kMetaNode), "meta.once", once,
                                                      Duration::seconds(1));
}

size_t version_count(TwoClients& w) {
  auto listed = w.run(w.a.list_versions("b", ListVersionsRequest{}));
  EXPECT_TRUE(listed.is_ok()) << listed.status().to_string();
  return listed.is_ok() ? listed.value().versions.size() : 0;
}

TEST(RemoteMetadata, AOnceWriteSentTwiceIsAppliedOnceAndAnsweredTheSame) {
  TwoClients w;
  ASSERT_TRUE(w.run(w.a.set_versioning("b", proto::VERSIONING_ENABLED)).is_ok());
  auto first = w.run(once_delete(w.rpc_b, 7, 1));
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_TRUE(first.value().delete_marker());
  auto again = w.run(once_delete(w.rpc_b, 7, 1));
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(again.value().version_id(), first.value().version_id()) << "a repeat gets the first reply";
  EXPECT_EQ(version_count(w), 1u) << "one delete marker, not two";
  // Another number, or another client, is another write.
  ASSERT_TRUE(w.run(once_delete(w.rpc_b, 7, 2)).is_ok());
  ASSERT_TRUE(w.run(once_delete(w.rpc_b, 8, 1)).is_ok());
  EXPECT_EQ(version_count(w), 3u);
  // Once its record is forgotten, the same write would apply again: the
  // record is what kept the repeat from applying.
  auto forgot = w.run(w.store.forget_once(static_cast<uint64_t>(w.rt_meta.unix_ms()) + 1));
  ASSERT_TRUE(forgot.is_ok());
  EXPECT_EQ(forgot.value(), 5u) << "three deletes, and client a's create_bucket and set_versioning";
  ASSERT_TRUE(w.run(once_delete(w.rpc_b, 7, 1)).is_ok());
  EXPECT_EQ(version_count(w), 4u);
}

TEST(RemoteMetadata, AOnceWriteOfAReadOrAnUnknownMethodIsRefused) {
  TwoClients w;
  for (const char* method : {"meta.get_bucket", "meta.nope", "meta.once"}) {
    proto::MetaOnce once;
    once.set_client(1);
    once.set_seq(1);
    once.set_method(method);
    auto r = w.run(call_message<proto::MetaEmpty>(w.rpc_b, NodeId(kMetaNode), "meta.once", once,
                                                  Duration::seconds(1)));
    EXPECT_EQ(r.code(), Code::kInvalidArgument) << method;
    EXPECT_NE(r.status().message().find("not a metadata write"), std::string::npos) << r.status().to_string();
  }
}

TEST(RemoteMetadata, AWriteWhoseReplyIsLostIsSentAgainAndAppliedOnce) {
  TwoClients w;
  ASSERT_TRUE(w.run(w.a.set_versioning("b", proto::VERSIONING_ENABLED)).is_ok());
  // The metadata node's replies are lost for a while: the first copy of
  // the commit is applied, its answer never arrives.
  std::vector<bool> metadata_side(4, false);
  metadata_side[kMetaNode] = true;
  const uint64_t cut = w.net.add_partition(metadata_side, /*one_way=*/true);
  w.rt_a.post_after(Duration::millis(450), [&w, cut] { w.net.heal_partition(cut); });
  auto committed = w.run(w.a.commit_object(TwoClients::version("k", "e1"), {}));
  ASSERT_TRUE(committed.is_ok()) << committed.status().to_string();
  EXPECT_GE(w.rt_a.now().us, 450000) << "the answer came to a copy sent after the heal";
  auto listed = w.run(w.a.list_versions("b", ListVersionsRequest{}));
  ASSERT_TRUE(listed.is_ok());
  ASSERT_EQ(listed.value().versions.size(), 1u) << "the resent commit made no second version";
  EXPECT_EQ(listed.value().versions[0].version.version_id(), committed.value().version_id());
}

}  // namespace
}  // namespace tessera

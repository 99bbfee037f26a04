// The single-replica metadata store over the simulated kv: buckets, heads,
// atomic conditional commits, and LIST as a range scan.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>

#include "core/metadata/key_encoding.h"
#include "core/metadata/metadata_store.h"
#include "io_abstraction/combinators.h"
#include "sim/sim_kv.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera {
namespace {

struct Fixture {
  Fixture() : world(1), rt(world, 0, 1), kv(rt, Duration::micros(10), 2), store(rt, kv) {}
  ~Fixture() { rt.stop(); }
  template <typename T>
  T run(Task<T> task) {
    return testing::run_in_sim(world, rt, std::move(task));
  }
  Status bucket(const std::string& name) {
    proto::BucketRecord b;
    b.set_name(name);
    return run(store.create_bucket(b));
  }
  Status put(const std::string& bucket, const std::string& key, const std::string& etag = "e",
             CommitConditions c = {}) {
    auto r = run(store.commit_object(version(bucket, key, etag), c));
    return r.is_ok() ? Status::ok() : r.status();
  }
  static proto::ObjectVersion version(const std::string& bucket, const std::string& key, const std::string& etag) {
    proto::ObjectVersion v;
    v.set_bucket(bucket);
    v.set_key(key);
    v.set_etag(etag);
    return v;
  }
  sim::SimWorld world;
  sim::SimRuntime rt;
  sim::SimKv kv;
  KvMetadataStore store;
};

TEST(Metadata, BucketLifecycle) {
  Fixture f;
  ASSERT_TRUE(f.bucket("photos").is_ok());
  ASSERT_TRUE(f.bucket("logs").is_ok());
  EXPECT_EQ(f.bucket("photos").code(), Code::kAlreadyExists);
  auto all = f.run(f.store.list_buckets()).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name(), "logs");
  EXPECT_EQ(all[1].name(), "photos");
  ASSERT_TRUE(f.put("photos", "cat.jpg").is_ok());
  EXPECT_EQ(f.run(f.store.delete_bucket("photos")).reason(), "BucketNotEmpty");
  ASSERT_TRUE(f.run(f.store.delete_object("photos", "cat.jpg")).is_ok());
  EXPECT_TRUE(f.run(f.store.delete_bucket("photos")).is_ok());
  EXPECT_EQ(f.run(f.store.get_bucket("photos")).code(), Code::kNotFound);
  EXPECT_EQ(f.run(f.store.delete_bucket("photos")).code(), Code::kNotFound);
}

TEST(Metadata, CommitGetDelete) {
  Fixture f;
  EXPECT_EQ(f.put("nobucket", "k").code(), Code::kNotFound);
  ASSERT_TRUE(f.bucket("b").is_ok());
  ASSERT_TRUE(f.put("b", "k", "v1").is_ok());
  ASSERT_TRUE(f.put("b", "k", "v2").is_ok());
  auto head = f.run(f.store.get_object("b", "k"));
  ASSERT_TRUE(head.is_ok());
  EXPECT_EQ(head.value().etag(), "v2");
  EXPECT_EQ(head.value().version(), 2u);
  auto deleted = f.run(f.store.delete_object("b", "k")).value();
  ASSERT_TRUE(deleted.removed.has_value());
  EXPECT_EQ(deleted.removed->etag(), "v2");
  EXPECT_FALSE(deleted.delete_marker);
  EXPECT_EQ(f.run(f.store.get_object("b", "k")).status().reason(), "NoSuchKey");
  // Deleting what is not there succeeds and removes nothing (S3's 204).
  auto again = f.run(f.store.delete_object("b", "k"));
  ASSERT_TRUE(again.is_ok());
  EXPECT_FALSE(again.value().removed.has_value());
  EXPECT_EQ(f.run(f.store.delete_object("nobucket", "k")).status().reason(), "NoSuchBucket");
}

TEST(Metadata, PatchesChangeSettingsInPlaceNotVersionsOrBytes) {
  Fixture f;
  ASSERT_TRUE(f.bucket("b").is_ok());
  ASSERT_TRUE(f.put("b", "k", "first").is_ok());
  proto::ObjectPatch make_public;
  make_public.set_public_read(true);
  auto patched = f.run(f.store.update_object("b", "k", "", make_public));
  ASSERT_TRUE(patched.is_ok()) << patched.status().to_string();
  auto head = f.run(f.store.get_object("b", "k")).value();
  EXPECT_TRUE(head.public_read());
  EXPECT_EQ(head.etag(), "first");
  EXPECT_EQ(head.version(), patched.value().version());
  // The version row and the head row stay one record.
  auto by_id = f.run(f.store.get_object("b", "k", head.version_id())).value();
  EXPECT_TRUE(by_id.public_read());
  auto versions = f.run(f.store.list_versions("b", {})).value();
  EXPECT_EQ(versions.versions.size(), 1u);
  // An empty patch changes nothing; a missing key or bucket is named.
  EXPECT_TRUE(f.run(f.store.update_object("b", "k", "", {})).value().public_read());
  EXPECT_EQ(f.run(f.store.update_object("b", "nope", "", make_public)).status().reason(), "NoSuchKey");
  EXPECT_EQ(f.run(f.store.update_object("nob", "k", "", make_public)).status().reason(), "NoSuchBucket");
  proto::BucketPatch bucket_public;
  bucket_public.set_public_read(true);
  ASSERT_TRUE(f.run(f.store.update_bucket("b", bucket_public)).is_ok());
  EXPECT_TRUE(f.run(f.store.get_bucket("b")).value().public_read());
  EXPECT_EQ(f.run(f.store.update_bucket("nob", bucket_public)).reason(), "NoSuchBucket");
}

TEST(Metadata, PatchingAnOlderVersionLeavesTheHeadAlone) {
  Fixture f;
  ASSERT_TRUE(f.bucket("b").is_ok());
  ASSERT_TRUE(f.run(f.store.set_versioning("b", proto::VERSIONING_ENABLED)).is_ok());
  ASSERT_TRUE(f.put("b", "k", "old").is_ok());
  const std::string old_id = f.run(f.store.get_object("b", "k")).value().version_id();
  ASSERT_TRUE(f.put("b", "k", "new").is_ok());
  proto::ObjectPatch make_public;
  make_public.set_public_read(true);
  ASSERT_TRUE(f.run(f.store.update_object("b", "k", old_id, make_public)).is_ok());
  EXPECT_TRUE(f.run(f.store.get_object("b", "k", old_id)).value().public_read());
  auto head = f.run(f.store.get_object("b", "k")).value();
  EXPECT_FALSE(head.public_read());
  EXPECT_EQ(head.etag(), "new");
  ASSERT_TRUE(f.run(f.store.delete_object("b", "k")).is_ok());  // a delete marker on top
  EXPECT_EQ(f.run(f.store.update_object("b", "k", "", make_public)).status().reason(), "NoSuchKey");
  const std::string marker = f.run(f.store.get_object("b", "k")).value().version_id();
  EXPECT_EQ(f.run(f.store.update_object("b", "k", marker, make_public)).status().reason(), "MethodNotAllowed");
}

TEST(Metadata, ConditionalCommits) {
  Fixture f;
  ASSERT_TRUE(f.bucket("b").is_ok());
  CommitConditions create_only;
  create_only.if_none_match_any = true;
  ASSERT_TRUE(f.put("b", "k", "first", create_only).is_ok());
  EXPECT_EQ(f.put("b", "k", "second", create_only).code(), Code::kFailedPrecondition);
  CommitConditions if_match;
  if_match.if_match = "nope";
  EXPECT_EQ(f.put("b", "k", "third", if_match).code(), Code::kFailedPrecondition);
  if_match.if_match = "first";
  EXPECT_TRUE(f.put("b", "k", "third", if_match).is_ok());
  EXPECT_EQ(f.put("b", "absent", "x", if_match).code(), Code::kFailedPrecondition);
  EXPECT_EQ(f.run(f.store.get_object("b", "k")).value().etag(), "third");
}

TEST(Metadata, RacingCreatorsExactlyOneWins) {
  Fixture f;
  ASSERT_TRUE(f.bucket("b").is_ok());
  CommitConditions create_only;
  create_only.if_none_match_any = true;
  std::vector<Task<Result<int>>> racers;
  for (int i = 0; i < 8; ++i) {
    racers.push_back([](KvMetadataStore& s, int i, CommitConditions c) -> Task<Result<int>> {
      auto st = co_await s.commit_object(Fixture::version("b", "k", "racer" + std::to_string(i)), c);
      if (!st.is_ok()) co_return st.status();
      co_return i;
    }(f.store, i, create_only));
  }
  auto results = f.run(when_all(f.rt, std::move(racers)));
  int wins = 0, preconditions = 0, winner = -1;
  for (auto& r : results) {
    if (r.is_ok()) ++wins, winner = r.value();
    if (r.code() == Code::kFailedPrecondition) ++preconditions;
  }
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(preconditions, 7);
  EXPECT_EQ(f.run(f.store.get_object("b", "k")).value().etag(), "racer" + std::to_string(winner));
}

TEST(Metadata, ListWithPrefixAndDelimiter) {
  Fixture f;
  ASSERT_TRUE(f.bucket("b").is_ok());
  ASSERT_TRUE(f.bucket("c").is_ok());  // keys of other buckets never leak in
  for (const char* k : {"a", "a/b", "a/c", "b/x", "b/y/z", "c", "d/e/f"}) ASSERT_TRUE(f.put("b", k).is_ok());
  ASSERT_TRUE(f.put("c", "a/zzz").is_ok());
  ListRequest req;
  req.delimiter = "/";
  auto r = f.run(f.store.list_objects("b", req)).value();
  std::vector<std::string> keys;
  for (auto& o : r.objects) keys.push_back(o.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(r.common_prefixes, (std::vector<std::string>{"a/", "b/", "d/"}));
  EXPECT_FALSE(r.truncated);

  req.prefix = "b/";
  r = f.run(f.store.list_objects("b", req)).value();
  ASSERT_EQ(r.objects.size(), 1u);
  EXPECT_EQ(r.objects[0].key(), "b/x");
  EXPECT_EQ(r.common_prefixes, std::vector<std::string>{"b/y/"});

  ListRequest none;
  none.max_keys = 0;
  auto empty = f.run(f.store.list_objects("b", none)).value();
  EXPECT_TRUE(empty.objects.empty() && empty.common_prefixes.empty());
  EXPECT_FALSE(empty.truncated);  // else a paging client would loop forever

  ListRequest bad;
  bad.max_keys = 1001;
  EXPECT_EQ(f.run(f.store.list_objects("b", bad)).code(), Code::kInvalidArgument);
  EXPECT_EQ(f.run(f.store.list_objects("nope", {})).code(), Code::kNotFound);
}

TEST(Metadata, KeyEncodingPreservesOrder) {
  const std::vector<std::string> sorted{std::string(""), std::string("\0", 1), std::string("\0\0", 2),
                                        std::string("\0\x01", 2), "a", std::string("a\0", 2), "ab", "\xff"};
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(metadata_keys::escape(sorted[i]), metadata_keys::escape(sorted[i + 1])) << i;
    EXPECT_EQ(metadata_keys::unescape(metadata_keys::escape(sorted[i])), sorted[i]);
  }
  EXPECT_EQ(metadata_keys::prefix_successor("ab"), "ac");
  EXPECT_EQ(metadata_keys::prefix_successor("a\xff"), "b");
  EXPECT_EQ(metadata_keys::prefix_successor("\xff\xff"), "");
}

// The brute-force model of S3 LIST over a sorted key set.
std::vector<std::string> model_list(const std::set<std::string>& keys, const std::string& prefix,
                                    const std::string& delimiter) {
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (k.compare(0, prefix.size(), prefix) != 0) continue;
    const size_t at = delimiter.empty() ? std::string::npos : k.find(delimiter, prefix.size());
    const std::string entry = at == std::string::npos ? k : k.substr(0, at + delimiter.size()) + "/CP";
    if (out.empty() || out.back() != entry) out.push_back(entry);
  }
  return out;
}

// Paging through LIST with any page size returns exactly the model's
// entries, in order, once each; keys may hold any bytes.
RC_GTEST_PROP(MetadataProps, PagedListMatchesTheModel, ()) {
  const auto raw_keys = *rc::gen::container<std::set<std::string>>(
      rc::gen::container<std::string>(rc::gen::element<char>('a', 'b', '/', '\0', '\xff')));
  const std::string prefix = *rc::gen::element<std::string>("", "a", "a/", std::string("\0", 1));
  const std::string delimiter = *rc::gen::element<std::string>("", "/", "b/");
  const uint32_t page = *rc::gen::inRange<uint32_t>(1, 6);
  Fixture f;
  RC_ASSERT(f.bucket("b").is_ok());
  std::set<std::string> keys;
  for (const std::string& k : raw_keys) {
    if (k.empty()) continue;
    RC_ASSERT(f.put("b", k).is_ok());
    keys.insert(k);
  }
  std::vector<std::string> got;
  ListRequest req;
  req.prefix = prefix;
  req.delimiter = delimiter;
  req.max_keys = page;
  for (int pages = 0; pages < 1000; ++pages) {
    auto r = f.run(f.store.list_objects("b", req));
    RC_ASSERT(r.is_ok());
    // Objects and prefixes interleave in key order.
    std::vector<std::string> entries;
    for (auto& o : r.value().objects) entries.push_back(o.key());
    for (auto& p : r.value().common_prefixes) entries.push_back(p + "/CP");
    std::sort(entries.begin(), entries.end());
    RC_ASSERT(entries.size() <= page);
    got.insert(got.end(), entries.begin(), entries.end());
    if (!r.value().truncated) break;
    RC_ASSERT(!r.value().next_marker.empty());
    req.start_after = r.value().next_marker;
  }
  RC_ASSERT(got == model_list(keys, prefix, delimiter));
}

TEST(KeyedMutex, ACrashWithALockHeldAndAWaiterResumesNothing) {
  sim::SimWorld world(1);
  sim::SimRuntime rt(world, 0, 1);
  auto locks = std::make_unique<KeyedMutex>(rt);
  int entered = 0;
  auto worker = [](KeyedMutex& m, Runtime& rt, int& entered) -> Task<void> {
    auto guard = co_await m.lock("k");
    ++entered;
    co_await sleep(rt, Duration::millis(10));
  };
  rt.spawn(worker(*locks, rt, entered));
  rt.spawn(worker(*locks, rt, entered));
  world.run_until(Instant{1000});
  EXPECT_EQ(entered, 1);
  rt.stop();  // destroys the holder (its guard hands the lock on) and the waiter
  world.run_until(Instant{100000});
  EXPECT_EQ(entered, 1);
}

TEST(KeyedMutex, ReadersShareWritersWaitInOrder) {
  sim::SimWorld world(1);
  sim::SimRuntime rt(world, 0, 1);
  KeyedMutex m(rt);
  std::vector<std::string> log;
  auto hold = [](KeyedMutex& m, Runtime& rt, std::vector<std::string>& log, std::string name,
                 bool exclusive) -> Task<void> {
    // (Not a ?: over two co_awaits: GCC 12 destroys such temporaries twice.)
    std::optional<KeyedMutex::Guard> g;
    if (exclusive) {
      g.emplace(co_await m.lock("k"));
    } else {
      g.emplace(co_await m.lock_shared("k"));
    }
    log.push_back(name + "+");
    co_await sleep(rt, Duration::millis(1));
    log.push_back(name + "-");
  };
  rt.spawn(hold(m, rt, log, "r1", false));
  rt.spawn(hold(m, rt, log, "r2", false));
  rt.spawn(hold(m, rt, log, "w", true));
  rt.spawn(hold(m, rt, log, "r3", false));  // arrives after w: waits for it
  world.run_until(Instant{100000});
  EXPECT_EQ(log, (std::vector<std::string>{"r1+", "r2+", "r1-", "r2-", "w+", "w-", "r3+", "r3-"}));
  EXPECT_EQ(m.keys_held(), 0u);
  rt.stop();
}

}  // namespace
}  // namespace tessera

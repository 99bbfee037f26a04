// Scrub and repair over the small simulated world of gateway_fixture.h
// (2+1 on disk failure domains): missing, rotten and gone fragments are
// rebuilt byte-exact, moves keep the placement rule and are committed to
// the metadata, and what cannot be rebuilt is reported, not invented.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/gateway/gateway_util.h"
#include "core/repair/repairer.h"
#include "core/scrub/scrubber.h"
#include "core/storage/fragment_format.h"
#include "tests/gateway_fixture.h"

namespace tessera {
namespace {

using testing::body;

Task<bool> scrub(Scrubber& scrubber) {
  co_await scrubber.pass();
  co_return true;
}

// Each test runs with the metadata local and on a metadata node (over RPC).
class RepairTest : public testing::GatewayFixture, public ::testing::WithParamInterface<bool> {
 protected:
  RepairTest() : GatewayFixture(GetParam()), repairer(gateway.stripes(), metadata, gateway.config().storage_classes, RepairConfig{}) {}

  struct Where {
    uint32_t disk;
    std::string blob;
  };
  // Fragment f of stripe s of the newest version of key.
  Where where(const std::string& key, int s, int f) {
    auto v = run(metadata.get_object("b", key));
    EXPECT_TRUE(v.is_ok());
    const proto::StripeRecord& part = v.value().stripes(s);
    return Where{part.fragments(f).disk(),
                 fragment_blob_name(gateway_util::fragment_id(gateway_util::object_id("b", key),
                                                              part.fragment_version(), part.number(),
                                                              static_cast<uint32_t>(f)))};
  }
  Result<std::string> blob(const Where& w) { return run(disks[w.disk]->read(w.blob)); }
  Repairer::PassResult pass() {
    auto r = run(repairer.pass());
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? r.value() : Repairer::PassResult{};
  }

  Repairer repairer;
};

TEST_P(RepairTest, AHealthyClusterNeedsNothing) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());
  const auto r = pass();
  EXPECT_EQ(r.damaged, 0u);
  EXPECT_EQ(repairer.progress().pass_stripes_total, 3u);
  EXPECT_EQ(repairer.progress().passes, 1u);
}

TEST_P(RepairTest, AMissingFragmentIsRebuiltInPlaceByteExact) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());
  const Where w = where("k", 1, 0);
  const std::string original = blob(w).value();
  ASSERT_TRUE(run(disks[w.disk]->remove(w.blob)).is_ok());
  const auto r = pass();
  EXPECT_EQ(r.damaged, 1u);
  EXPECT_EQ(r.repaired, 1u);
  EXPECT_EQ(repairer.progress().fragments_rebuilt, 1u);
  EXPECT_EQ(blob(w).value(), original);
  EXPECT_EQ(pass().damaged, 0u);
}

// Heal on read: the GET that had to decode around a lost data fragment
// hands its stripe to the repairer, which rebuilds it with no pass run.
TEST_P(RepairTest, AGetThatFindsAFragmentLostHealsItWithoutAPass) {
  gateway.set_on_damaged([this](const proto::ObjectVersion& v, const proto::StripeRecord& part) {
    repairer.queue_heal(v, part);
  });
  const std::string bytes = body(2500, 'h');
  ASSERT_TRUE(put("k", bytes).is_ok());
  const Where lost = where("k", 1, 0);  // a data fragment: the read asks for it
  const std::string original = blob(lost).value();
  ASSERT_TRUE(run(disks[lost.disk]->remove(lost.blob)).is_ok());
  EXPECT_EQ(get("k").value(), bytes);  // parity stands in
  EXPECT_EQ(repairer.progress().heals_queued, 1u);
  testing::pass_time_in_sim(world, rt0, Duration::seconds(1));
  EXPECT_EQ(repairer.progress().stripes_healed_on_read, 1u);
  EXPECT_EQ(repairer.progress().passes, 0u);
  EXPECT_EQ(blob(lost).value(), original);
  // A whole stripe's GET queues nothing.
  EXPECT_EQ(get("k").value(), bytes);
  EXPECT_EQ(repairer.progress().heals_queued, 1u);
}

TEST_P(RepairTest, ScrubFindsRotAtRestAndRepairRewritesIt) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());
  const Where w = where("k", 2, 1);
  const std::string original = blob(w).value();
  std::string rotten = original;
  rotten[rotten.size() / 2] ^= 0x10;
  ASSERT_TRUE(run(disks[w.disk]->write(w.blob, rotten, Durability::kSync)).is_ok());

  std::vector<Disk*> raw;
  for (auto& d : disks) raw.push_back(d.get());
  Scrubber scrubber(rt1, *service, raw, ScrubConfig{1u << 30, Duration::seconds(60)});
  testing::run_in_sim(world, rt1, scrub(scrubber));
  EXPECT_EQ(scrubber.progress().corrupt_found, 1u);
  EXPECT_EQ(scrubber.progress().pass_blobs_done, 9u);

  const auto r = pass();
  EXPECT_EQ(r.damaged, 1u);
  EXPECT_EQ(r.repaired, 1u);
  EXPECT_EQ(blob(w).value(), original);
  // The rewrite cleared the report: the next pass finds nothing.
  EXPECT_EQ(pass().damaged, 0u);
  testing::run_in_sim(world, rt1, scrub(scrubber));
  EXPECT_EQ(scrubber.progress().corrupt_found, 1u);
}

TEST_P(RepairTest, AFragmentReportedCorruptThatReadsWellIsRewrittenAndCleared) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());
  const Where w = where("k", 0, 2);
  service->report_corrupt(w.disk, w.blob);  // e.g. a read that rotted in transit
  const auto r = pass();
  EXPECT_EQ(r.damaged, 1u);
  EXPECT_EQ(r.repaired, 1u);
  EXPECT_EQ(pass().damaged, 0u);
  EXPECT_EQ(get("k").value(), body(2500, 'a'));
}

TEST_P(RepairTest, FragmentsOnAGoneDiskMoveAndTheMetadataFollows) {
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());
  ASSERT_TRUE(put("j", body(900, 'b')).is_ok());
  const uint32_t dead = where("k", 0, 0).disk;
  disks[dead]->kill();
  const auto r = pass();
  EXPECT_GE(r.damaged, 1u);
  EXPECT_EQ(r.repaired, r.damaged);
  EXPECT_EQ(repairer.progress().fragments_moved, r.damaged);
  for (const std::string key : {"k", "j"}) {
    auto v = run(metadata.get_object("b", key));
    ASSERT_TRUE(v.is_ok());
    for (const proto::StripeRecord& part : v.value().stripes()) {
      std::vector<DiskRef> refs;
      for (const auto& loc : part.fragments()) {
        EXPECT_NE(loc.disk(), dead) << key;
        refs.push_back(DiskRef{loc.node(), loc.disk()});
      }
      EXPECT_TRUE(placement_keeps_rule(testing::disk_infos(), refs, 1, FailureDomain::kDisk));
    }
  }
  EXPECT_EQ(get("k").value(), body(2500, 'a'));
  EXPECT_EQ(get("j").value(), body(900, 'b'));
  // Nothing reads from the gone disk any more: the stripes are whole.
  EXPECT_EQ(pass().damaged, 0u);
}

TEST_P(RepairTest, PartsOfAnUploadInProgressAreRepairedToo) {
  auto id = run(gateway.create_upload(bucket(), "mp", {}));
  ASSERT_TRUE(id.is_ok());
  ASSERT_TRUE(part("mp", id.value(), 1, body(2100, 'c')).is_ok());
  auto parts = run(metadata.list_upload_parts("b", "mp", id.value(), 0, 10));
  const proto::StripeRecord& stripe = parts.value().parts[0].stripes(0);
  const uint32_t disk = stripe.fragments(2).disk();
  const std::string name = fragment_blob_name(gateway_util::fragment_id(
      gateway_util::object_id("b", "mp"), stripe.fragment_version(), stripe.number(), 2));
  const std::string original = run(disks[disk]->read(name)).value();
  ASSERT_TRUE(run(disks[disk]->remove(name)).is_ok());
  const auto r = pass();
  EXPECT_EQ(r.damaged, 1u);
  EXPECT_EQ(r.repaired, 1u);
  EXPECT_EQ(run(disks[disk]->read(name)).value(), original);
}

TEST_P(RepairTest, BeyondToleranceIsReportedAndNothingIsWritten) {
  ASSERT_TRUE(put("k", body(900, 'a')).is_ok());  // one stripe, 2+1
  const Where a = where("k", 0, 0), b = where("k", 0, 2);
  ASSERT_TRUE(run(disks[a.disk]->remove(a.blob)).is_ok());
  ASSERT_TRUE(run(disks[b.disk]->remove(b.blob)).is_ok());
  const size_t before = blob_count();
  const auto r = pass();
  EXPECT_EQ(r.damaged, 1u);
  EXPECT_EQ(r.unresolved, 1u);
  EXPECT_EQ(repairer.progress().stripes_unrepairable, 1u);
  EXPECT_EQ(blob_count(), before);
  EXPECT_FALSE(get("k").is_ok());
}

// Lost beyond doubt (every fragment answered for: 1 good of the 2 needed):
// the fragments are marked lost, a GET says the object is lost (500, not a
// retryable 503), the report lists it and later passes do not re-read it.
// Fragments that come back clear the marks.
TEST_P(RepairTest, AStripeFoundLostIsMarkedReportedAndReadAsLost) {
  const std::string bytes = body(900, 'l');
  ASSERT_TRUE(put("k", bytes).is_ok());
  const Where a = where("k", 0, 0), b = where("k", 0, 2);
  const std::string a_bytes = blob(a).value(), b_bytes = blob(b).value();
  ASSERT_TRUE(run(disks[a.disk]->remove(a.blob)).is_ok());
  ASSERT_TRUE(run(disks[b.disk]->remove(b.blob)).is_ok());
  const auto first = pass();
  EXPECT_EQ(first.unresolved, 1u);
  ASSERT_EQ(first.lost.size(), 1u);
  EXPECT_EQ(first.lost[0].owner.key, "k");
  EXPECT_EQ(first.lost[0].fragments_left, 1u);
  EXPECT_EQ(repairer.progress().stripes_marked_lost, 1u);
  auto v = run(metadata.get_object("b", "k"));
  ASSERT_TRUE(v.is_ok());
  EXPECT_TRUE(v.value().stripes(0).fragments(0).lost());
  EXPECT_FALSE(v.value().stripes(0).fragments(1).lost());
  EXPECT_TRUE(v.value().stripes(0).fragments(2).lost());
  auto got = get("k");
  ASSERT_FALSE(got.is_ok());
  EXPECT_EQ(got.code(), Code::kInternal);
  EXPECT_EQ(got.status().reason(), "InternalError");
  EXPECT_NE(got.status().message().find("b/k (version"), std::string::npos) << got.status().message();
  EXPECT_NE(got.status().message().find("is lost: stripe 1 has 1 of the 2 fragments"), std::string::npos)
      << got.status().message();
  const uint64_t reads = gateway.stats().fragments_read + gateway.stats().fragment_read_failures;
  const auto second = pass();
  EXPECT_EQ(second.damaged, 0u);
  EXPECT_EQ(second.lost.size(), 1u);
  EXPECT_EQ(gateway.stats().fragments_read + gateway.stats().fragment_read_failures, reads);
  EXPECT_EQ(repairer.progress().stripes_marked_lost, 1u);
  EXPECT_EQ(repairer.progress().stripes_lost, 1u);
  // The fragments come back behind the node's back (a disk remounted).
  // The node's inventory learns of them at its next listing (the
  // scrubber's pass); then repair rewrites them and clears the marks.
  ASSERT_TRUE(run(disks[a.disk]->write(a.blob, a_bytes, Durability::kSync)).is_ok());
  ASSERT_TRUE(run(disks[b.disk]->write(b.blob, b_bytes, Durability::kSync)).is_ok());
  EXPECT_EQ(pass().lost.size(), 1u);
  ASSERT_TRUE(run(service->list_blobs(a.disk)).is_ok());
  ASSERT_TRUE(run(service->list_blobs(b.disk)).is_ok());
  const auto third = pass();
  EXPECT_EQ(third.repaired, 1u);
  EXPECT_TRUE(third.lost.empty());
  v = run(metadata.get_object("b", "k"));
  for (const auto& f : v.value().stripes(0).fragments()) EXPECT_FALSE(f.lost());
  EXPECT_EQ(get("k").value(), bytes);
}

TEST_P(RepairTest, OrphansGoAfterTheGraceAndReferencedFragmentsStay) {
  RepairConfig config;
  config.orphan_grace = Duration::seconds(10);
  Repairer sweeper(gateway.stripes(), metadata, gateway.config().storage_classes, config);
  ASSERT_TRUE(put("k", body(2500, 'a')).is_ok());  // 9 referenced fragments
  // An orphan: a fragment nothing references (as a PUT that died leaves).
  proto::FragmentId orphan = gateway_util::fragment_id(gateway_util::object_id("b", "lost"), 77, 1, 0);
  ASSERT_TRUE(run(put_fragment(client, NodeId(1), 4, orphan, "orphan bytes", Duration::seconds(1))).is_ok());
  // Garbage is the collector's, not an orphan, even past the grace.
  ASSERT_TRUE(put("g", body(1500, 'g')).is_ok());
  ASSERT_TRUE(put("g", body(1500, 'h')).is_ok());
  EXPECT_EQ(blob_count(), 9u + 1u + 6u + 6u);
  ASSERT_TRUE(run(sweeper.pass()).is_ok());
  EXPECT_EQ(sweeper.progress().orphans_pending, 1u);
  EXPECT_EQ(blob_count(), 22u);
  run([](Runtime& rt) -> Task<bool> {
    co_await sleep(rt, Duration::seconds(11));
    co_return true;
  }(rt0));
  ASSERT_TRUE(run(sweeper.pass()).is_ok());
  EXPECT_EQ(sweeper.progress().orphans_deleted, 1u);
  EXPECT_EQ(sweeper.progress().orphans_pending, 0u);
  EXPECT_EQ(blob_count(), 21u);
  EXPECT_EQ(get("k").value(), body(2500, 'a'));
  EXPECT_EQ(get("g").value(), body(1500, 'h'));
  // The collector still finds every garbage fragment where it left it.
  EXPECT_EQ(run(collector.collect(Duration::micros(0), 100)).value(), 1u);
  EXPECT_EQ(blob_count(), 15u);
}

TEST_P(RepairTest, AMoveOfAStripeThatIsGoneIsRefused) {
  ASSERT_TRUE(put("k", body(900, 'a')).is_ok());
  auto v = run(metadata.get_object("b", "k")).value();
  const proto::StripeRecord& part = v.stripes(0);
  std::vector<proto::FragmentLocation> before(part.fragments().begin(), part.fragments().end());
  std::vector<proto::FragmentLocation> after = before;
  uint32_t unused = 0;
  while (std::any_of(before.begin(), before.end(), [&](const auto& loc) { return loc.disk() == unused; })) ++unused;
  after[0].set_disk(unused);
  const StripeOwner owner{"b", "k", v.version(), "", 0};
  // Locations that differ from the record's: refused.
  EXPECT_EQ(run(metadata.move_stripe(owner, part.fragment_version(), part.number(), after, before)).code(),
            Code::kFailedPrecondition);
  // The move lands on both the version and the head.
  ASSERT_TRUE(run(metadata.move_stripe(owner, part.fragment_version(), part.number(), before, after)).is_ok());
  EXPECT_EQ(run(metadata.get_object("b", "k")).value().stripes(0).fragments(0).disk(), unused);
  EXPECT_EQ(run(metadata.get_object("b", "k", v.version_id())).value().stripes(0).fragments(0).disk(), unused);
  // Overwritten: the old version is gone, and so is its stripe.
  ASSERT_TRUE(put("k", body(800, 'b')).is_ok());
  EXPECT_EQ(run(metadata.move_stripe(owner, part.fragment_version(), part.number(), after, after)).code(),
            Code::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Metadata, RepairTest, ::testing::Bool(), testing::metadata_placement);

}  // namespace
}  // namespace tessera

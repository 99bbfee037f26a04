// Raft's pure state machine (core/consensus/raft.h): elections, commit,
// read index and membership under loss, duplication, reordering, crashes
// and partitions, checked by tests/raft_cluster.h; and the broken rules
// that checker must catch.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/raft_cluster.h"

namespace tessera {
namespace {

using raft_test::Faults;
using raft_test::RaftCluster;

// Runs until a leader exists (or steps run out).
std::optional<raft::PeerId> await_leader(RaftCluster& c, int steps = 2000) {
  for (int i = 0; i < steps; ++i) {
    if (auto l = c.leader()) return l;
    c.step();
  }
  return std::nullopt;
}

TEST(Raft, ElectsOneLeaderAndReplicatesInOrder) {
  RaftCluster c(3, 1);
  ASSERT_TRUE(await_leader(c));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(c.propose("cmd" + std::to_string(i)));
  c.run(100);
  EXPECT_TRUE(c.violations().empty()) << c.violations().front();
  for (raft::PeerId p = 1; p <= 3; ++p) {
    std::vector<std::string> normal;
    for (const raft::Entry& e : c.applied(p)) {
      if (e.type() == raft::Entry::NORMAL) normal.push_back(e.data());
    }
    ASSERT_EQ(normal.size(), 20u) << "replica " << p;
    EXPECT_EQ(normal.front(), "cmd0");
    EXPECT_EQ(normal.back(), "cmd19");
  }
}

TEST(Raft, NothingCommitsBeforeItIsPersisted) {
  RaftCluster c(1, 2);
  ASSERT_TRUE(await_leader(c));
  raft::Raft& r = *c.replica(1);
  auto index = r.propose("x");
  ASSERT_TRUE(index.is_ok());
  EXPECT_LT(r.commit_index(), index.value());  // alone, but not yet durable
  c.step();
  EXPECT_GE(r.commit_index(), index.value());
}

TEST(Raft, FollowersRefuseToServeReadsAndAFormerLeaderFailsItsReads) {
  RaftCluster c(3, 3);
  auto l = await_leader(c);
  ASSERT_TRUE(l);
  const raft::PeerId follower = *l % 3 + 1;
  EXPECT_EQ(c.replica(follower)->read_index(7).reason(), "NotLeader");
  c.run(20);
  // Isolated, the leader cannot confirm a read: it steps down (check
  // quorum) and the read fails instead of answering from a stale state.
  c.partition({*l});
  ASSERT_TRUE(c.replica(*l)->read_index(8).is_ok());
  const uint64_t before = c.reads_answered();
  c.run(200);
  EXPECT_NE(c.replica(*l)->role(), raft::Role::kLeader);
  EXPECT_EQ(c.reads_answered(), before);
  c.heal();
  ASSERT_TRUE(await_leader(c));
  c.run(10);
  ASSERT_TRUE(c.read(9));
  c.run(50);
  EXPECT_EQ(c.reads_answered(), before + 1);
  EXPECT_TRUE(c.violations().empty()) << c.violations().front();
}

TEST(Raft, PreVoteKeepsAnIsolatedReplicaFromRaisingTheTerm) {
  RaftCluster c(3, 4);
  auto l = await_leader(c);
  ASSERT_TRUE(l);
  c.run(20);
  const uint64_t term = c.replica(*l)->term();
  const raft::PeerId loner = *l % 3 + 1;
  c.partition({loner});
  c.run(500);
  EXPECT_EQ(c.replica(loner)->term(), term);  // campaigned only as a pre-candidate
  c.heal();
  c.run(100);
  EXPECT_EQ(c.leader(), l);
  EXPECT_EQ(c.replica(*l)->term(), term);
}

TEST(Raft, CorruptEntryInFlightIsNeverAppended) {
  RaftCluster c(3, 5);
  auto l = await_leader(c);
  ASSERT_TRUE(l);
  c.run(20);
  raft::Raft& leader = *c.replica(*l);
  const raft::PeerId f = *l % 3 + 1;
  raft::Raft& follower = *c.replica(f);
  raft::Msg m;
  m.set_type(raft::Msg::APPEND);
  m.set_from(*l);
  m.set_to(f);
  m.set_term(leader.term());
  m.set_index(follower.last_index());
  m.set_log_term(follower.term_at(follower.last_index()));
  raft::Entry e;
  e.set_term(leader.term());
  e.set_index(follower.last_index() + 1);
  e.set_data("good");
  e.set_crc(raft::entry_crc(e));
  e.set_data("evil");  // rotten after the checksum was taken
  *m.add_entries() = e;
  const uint64_t last = follower.last_index();
  follower.step(m);
  EXPECT_EQ(follower.last_index(), last);
}

TEST(Raft, LearnerCatchesUpThenIsPromotedOneChangeAtATime) {
  RaftCluster c(3, 6);  // voters 1..3 from the bootstrap config
  auto l = await_leader(c);
  ASSERT_TRUE(l);
  c.run(20);
  raft::Raft& leader = *c.replica(*l);
  proto::RaftConfig with_learner = leader.config();
  with_learner.add_learners(9);
  ASSERT_TRUE(leader.propose_config(with_learner).is_ok());
  proto::RaftConfig two = with_learner;
  two.add_learners(10);
  EXPECT_FALSE(leader.propose_config(two).is_ok());  // one change at a time
  proto::RaftConfig direct = leader.config();
  direct.add_voters(11);
  c.run(30);
  EXPECT_EQ(leader.propose_config(direct).code(), Code::kInvalidArgument);  // learners first
  // 9 does not exist, so never catches up: it cannot be promoted.
  proto::RaftConfig promote;
  for (auto v : leader.config().voters()) promote.add_voters(v);
  promote.add_voters(9);
  EXPECT_EQ(leader.propose_config(promote).code(), Code::kFailedPrecondition);
  // Removing a voter works, and the group of two still commits.
  proto::RaftConfig smaller;
  for (auto v : leader.config().voters()) {
    if (v != *l % 3 + 1) smaller.add_voters(v);
  }
  smaller.add_learners(9);
  ASSERT_TRUE(leader.propose_config(smaller).is_ok());
  c.run(50);
  auto index = c.propose("after");
  ASSERT_TRUE(index);
  c.run(50);
  EXPECT_GE(leader.commit_index(), *index);
}

// Random faults: crashes that keep only what was persisted, partitions,
// loss and duplication, with proposals and reads throughout.
std::vector<std::string> chaos(uint64_t seed, size_t voters, raft::BrokenRaft broken = {}) {
  RaftCluster c(voters, seed, broken);
  c.set_faults(Faults{30000, 20000, 4});
  Random& rnd = c.random();
  uint64_t read_id = 0;
  for (int round = 0; round < 60 && c.violations().empty(); ++round) {
    const uint64_t action = rnd.below(10);
    const raft::PeerId p = static_cast<raft::PeerId>(1 + rnd.below(voters));
    if (action == 0) c.crash(p);
    if (action == 1) c.restart(p);
    if (action == 2) c.partition({p, static_cast<raft::PeerId>(1 + rnd.below(voters))});
    if (action == 3) c.heal();
    for (int i = 0; i < 30 && c.violations().empty(); ++i) {
      if (rnd.below(3) == 0) c.propose("r" + std::to_string(round) + "." + std::to_string(i));
      if (rnd.below(8) == 0) c.read(++read_id);
      c.step();
    }
  }
  c.heal();
  for (raft::PeerId p = 1; p <= voters; ++p) c.restart(p);
  c.set_faults(Faults{});
  if (c.violations().empty()) {
    if (!await_leader(c)) return {"no leader after healing"};
    c.run(50);
    auto index = c.propose("final");
    c.run(300);
    if (!index || c.committed_max() < *index) return {"the final proposal did not commit"};
  }
  return c.violations();
}

TEST(Raft, SafeAndLiveUnderChaosThreeVoters) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    auto v = chaos(seed, 3);
    ASSERT_TRUE(v.empty()) << "seed " << seed << ": " << v.front();
  }
}

TEST(Raft, SafeAndLiveUnderChaosFiveVoters) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto v = chaos(seed, 5);
    ASSERT_TRUE(v.empty()) << "seed " << seed << ": " << v.front();
  }
}

// The first seed in 1..limit whose run the checker fails, or 0.
uint64_t first_caught(raft::BrokenRaft broken, size_t voters, uint64_t limit) {
  for (uint64_t seed = 1; seed <= limit; ++seed) {
    if (!chaos(seed, voters, broken).empty()) return seed;
  }
  return 0;
}

TEST(Raft, CheckerCatchesCommitWithoutQuorum) {
  raft::BrokenRaft b;
  b.commit_without_quorum = true;
  const uint64_t seed = first_caught(b, 3, 5);
  EXPECT_NE(seed, 0u);
  std::printf("caught at seed %llu\n", static_cast<unsigned long long>(seed));
}

TEST(Raft, CheckerCatchesCountingOldTermEntries) {
  raft::BrokenRaft b;
  b.count_old_terms = true;
  const uint64_t seed = first_caught(b, 5, 60);
  EXPECT_NE(seed, 0u);
  std::printf("caught at seed %llu\n", static_cast<unsigned long long>(seed));
}

}  // namespace
}  // namespace tessera

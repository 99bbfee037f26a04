// Raft's pure state machine (core/consensus/raft.h): elections, commit,
// read index and membership under loss, duplication, reordering, crashes
// and partitions, checked by tests/raft_cluster.h; and the broken rules
// that checker must catch.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>

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
std::vector<std::string> chaos(uint64_t seed, size_t voters, raft::BrokenRaft broken = {},
                               bool votes_not_persisted = false) {
  RaftCluster c(voters, seed, broken, votes_not_persisted);
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
uint64_t first_caught(raft::BrokenRaft broken, size_t voters, uint64_t limit, bool votes_not_persisted = false) {
  for (uint64_t seed = 1; seed <= limit; ++seed) {
    if (!chaos(seed, voters, broken, votes_not_persisted).empty()) return seed;
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

// Replicas whose every message is delivered by hand, for the exact
// interleavings of the paper's figures.
struct HandDriven {
  HandDriven(size_t n, raft::BrokenRaft broken, bool votes_not_persisted)
      : broken(broken), drop_votes(votes_not_persisted), disks(n + 1), rafts(n + 1), randoms(n + 1) {
    for (raft::PeerId p = 1; p <= n; ++p) boot(p);
  }
  void boot(raft::PeerId p) {
    raft::Restored r;
    r.hard_state = disks[p].hard;
    for (raft::PeerId v = 1; v < disks.size(); ++v) r.snapshot.mutable_config()->add_voters(v);
    for (auto& [i, e] : disks[p].log) r.entries.push_back(e);
    r.applied = applied[p];
    randoms[p] = std::make_unique<Random>(p);
    raft::Options opt;
    opt.id = p;
    opt.append_entries_max = 1;
    opt.broken = broken;
    rafts[p] = std::make_unique<raft::Raft>(opt, *randoms[p], std::move(r));
  }
  // Carries out p's ready: persist, queue messages, apply.
  void flush(raft::PeerId p) {
    raft::Ready rd = rafts[p]->ready();
    if (rd.truncate_from) disks[p].log.erase(disks[p].log.lower_bound(*rd.truncate_from), disks[p].log.end());
    for (const raft::Entry& e : rd.entries) disks[p].log[e.index()] = e;
    if (rd.hard_state) {
      disks[p].hard = *rd.hard_state;
      if (drop_votes) disks[p].hard.set_vote(0);
    }
    if (!rd.entries.empty()) rafts[p]->persisted(rd.entries.back().index(), rd.entries.back().term());
    for (auto& m : rd.messages) outbox.push_back(m);
    for (const raft::Entry& e : rd.committed) {
      auto [it, fresh] = committed.emplace(e.index(), e.term());
      if (!fresh && it->second != e.term()) conflict = true;
      applied[p] = e.index();
    }
  }
  void campaign(raft::PeerId p) {
    while (rafts[p]->role() == raft::Role::kFollower) rafts[p]->tick();
    flush(p);
  }
  // Delivers queued messages from -> to of type (any type when kAny) and
  // flushes the receivers; the rest stay queued.
  static constexpr int kAny = -1;
  void deliver(raft::PeerId from, raft::PeerId to, int type = kAny) {
    std::vector<raft::Msg> keep, go;
    for (auto& m : outbox) {
      const bool match = m.from() == from && m.to() == to && (type == kAny || m.type() == type);
      (match ? go : keep).push_back(m);
    }
    outbox = keep;
    for (auto& m : go) {
      if (rafts[to]) rafts[to]->step(m);
    }
    if (rafts[to]) flush(to);
  }
  void crash(raft::PeerId p) {
    rafts[p].reset();
    std::vector<raft::Msg> keep;
    for (auto& m : outbox) {
      if (m.from() != p) keep.push_back(m);
    }
    outbox = keep;
  }
  bool leads(raft::PeerId p) const { return rafts[p] && rafts[p]->role() == raft::Role::kLeader; }
  // p campaigns (again after losing a round to a higher term) with only
  // these voters hearing it, until it leads.
  void elect(raft::PeerId p, std::vector<raft::PeerId> voters) {
    for (int round = 0; round < 6 && !leads(p); ++round) {
      if (rafts[p]->role() == raft::Role::kFollower) campaign(p);
      for (raft::PeerId q : voters) {
        deliver(p, q);
        deliver(q, p);
      }
    }
  }

  struct Disk {
    proto::RaftHardState hard;
    std::map<uint64_t, raft::Entry> log;
  };
  raft::BrokenRaft broken;
  bool drop_votes;
  std::vector<Disk> disks;
  std::vector<std::unique_ptr<raft::Raft>> rafts;
  std::vector<std::unique_ptr<Random>> randoms;
  std::map<raft::PeerId, uint64_t> applied;
  std::vector<raft::Msg> outbox;
  std::map<uint64_t, uint64_t> committed;  // index -> term of the entry applied there
  bool conflict = false;
};

// Two candidates of one term; 3 votes for the first, crashes and restarts
// before the second's request reaches it. With its vote on disk it
// refuses; without, the term gets two leaders.
bool two_leaders_in_a_term(bool votes_not_persisted) {
  HandDriven h(3, {}, votes_not_persisted);
  h.campaign(1);
  h.campaign(2);
  h.deliver(1, 3);  // pre-votes, granted: no leader yet
  h.deliver(2, 3);
  h.deliver(3, 1);
  h.deliver(3, 2);
  EXPECT_EQ(h.rafts[1]->role(), raft::Role::kCandidate);
  EXPECT_EQ(h.rafts[2]->role(), raft::Role::kCandidate);
  h.deliver(1, 3);  // 1's vote request
  h.deliver(3, 1);
  EXPECT_TRUE(h.leads(1));
  h.crash(3);
  h.boot(3);
  h.deliver(2, 3, raft::Msg::VOTE);
  h.deliver(3, 2);
  return h.leads(1) && h.leads(2) && h.rafts[1]->term() == h.rafts[2]->term();
}

TEST(Raft, APersistedVoteIsNeverGivenTwiceInATerm) { EXPECT_FALSE(two_leaders_in_a_term(false)); }

TEST(Raft, CheckerCatchesVotesThatAreNotPersisted) { EXPECT_TRUE(two_leaders_in_a_term(true)); }

// The paper's Figure 8 with five replicas: an entry of term 1 held by a
// majority only after its leader's term ended must not commit by
// counting, or a later leader overwrites what was applied.
bool figure_8_overwrites_a_committed_entry(bool count_old_terms) {
  raft::BrokenRaft broken;
  broken.count_old_terms = count_old_terms;
  HandDriven h(5, broken, false);
  auto everyone = [&](raft::PeerId p) {
    for (raft::PeerId q = 1; q <= 5; ++q) {
      if (q != p) h.deliver(p, q);
    }
    for (raft::PeerId q = 1; q <= 5; ++q) {
      if (q != p) h.deliver(q, p);
    }
  };
  // Term 1: 1 leads, everyone holds its no-op (index 1); X (index 2) only
  // reaches 2.
  h.campaign(1);
  everyone(1);
  everyone(1);
  EXPECT_TRUE(h.leads(1));
  for (int i = 0; i < 4; ++i) everyone(1);
  EXPECT_TRUE(h.rafts[1]->propose("X").is_ok());
  h.flush(1);
  h.deliver(1, 2);
  h.crash(1);
  // Term 2: 5 leads with 3 and 4; its no-op (index 2) reaches no one.
  for (raft::PeerId q : {3u, 4u, 5u}) {
    for (int t = 0; t < 30; ++t) h.rafts[q]->tick();  // the old leader is silent: no lease
  }
  h.outbox.clear();
  h.elect(5, {3, 4});
  EXPECT_TRUE(h.leads(5));
  h.crash(5);
  // Term 3: 1 is back and leads with 2 and 3, and copies X to 3.
  h.boot(1);
  for (raft::PeerId q : {1u, 2u, 3u}) {
    for (int t = 0; t < 30; ++t) h.rafts[q]->tick();
  }
  h.outbox.clear();
  for (int round = 0; round < 6 && !h.leads(1); ++round) {
    if (h.rafts[1]->role() == raft::Role::kFollower) h.campaign(1);
    for (raft::PeerId q : {2u, 3u}) {
      h.deliver(1, q, raft::Msg::PRE_VOTE);
      h.deliver(1, q, raft::Msg::VOTE);
      h.deliver(q, 1);
    }
  }
  EXPECT_TRUE(h.leads(1));
  // One entry per append: 3 gets X (index 2) before the term-3 no-op;
  // 2 (which had X) gets the no-op. X is on a majority, the no-op is not.
  for (int round = 0; round < 2; ++round) {
    for (raft::PeerId q : {2u, 3u}) {
      h.deliver(1, q, raft::Msg::APPEND);
      h.deliver(q, 1);
    }
  }
  h.outbox.clear();
  h.crash(1);
  // Term 4: 5 (last entry of term 2) wins 2, 3 and 4, and overwrites index 2.
  h.boot(5);
  for (raft::PeerId q : {2u, 3u, 4u, 5u}) {
    for (int t = 0; t < 30; ++t) h.rafts[q]->tick();
  }
  h.outbox.clear();
  h.elect(5, {2, 3, 4});
  for (int round = 0; round < 8; ++round) {
    for (raft::PeerId q : {2u, 3u, 4u}) {
      h.deliver(5, q);
      h.deliver(q, 5);
    }
  }
  EXPECT_TRUE(h.leads(5));
  return h.conflict;
}

TEST(Raft, AnOldTermEntryNeverCommitsByCounting) { EXPECT_FALSE(figure_8_overwrites_a_committed_entry(false)); }

TEST(Raft, CheckerCatchesCountingOldTermEntries) { EXPECT_TRUE(figure_8_overwrites_a_committed_entry(true)); }

}  // namespace
}  // namespace tessera

// RapidCheck properties of the kernel's building blocks.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>

#include "io_abstraction/combinators.h"
#include "io_abstraction/random.h"
#include "sim/sim_kv.h"
#include "sim/sim_runtime.h"

namespace tessera::sim {
namespace {

RC_GTEST_PROP(RandomProps, BelowStaysInRange, (uint64_t seed, uint64_t bound)) {
  RC_PRE(bound > 0u);
  Random r(seed);
  for (int i = 0; i < 100; ++i) RC_ASSERT(r.below(bound) < bound);
}

RC_GTEST_PROP(RandomProps, SameSeedSameSequence, (uint64_t seed)) {
  Random a(seed), b(seed);
  for (int i = 0; i < 50; ++i) RC_ASSERT(a.next() == b.next());
}

RC_GTEST_PROP(RandomProps, BetweenIsInclusive, (uint64_t seed, uint32_t lo, uint16_t width)) {
  Random r(seed);
  const uint64_t hi = uint64_t{lo} + width;
  for (int i = 0; i < 50; ++i) {
    const uint64_t v = r.between(lo, hi);
    RC_ASSERT(v >= lo);
    RC_ASSERT(v <= hi);
  }
}

// Drives a SimKv through random batches, crashes it, and checks the state
// equals the state after some prefix of the batches that includes every
// synced one.
RC_GTEST_PROP(SimKvProps, CrashLeavesAPrefixIncludingAllSynced, ()) {
  const auto ops = *rc::gen::container<std::vector<std::tuple<uint8_t, bool, bool>>>(
      rc::gen::tuple(rc::gen::inRange<uint8_t>(0, 8), rc::gen::arbitrary<bool>(),
                     rc::gen::arbitrary<bool>()));
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  SimWorld world(1);
  SimRuntime rt(world, 0, seed);
  SimKv kv(rt, Duration::micros(1), seed ^ 1);

  std::vector<std::map<std::string, std::string>> states(1);
  size_t last_synced = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    const auto& [key, is_delete, sync] = ops[i];
    KvBatch b;
    const std::string k = "k" + std::to_string(key);
    auto next = states.back();
    if (is_delete) {
      b.remove(k);
      next.erase(k);
    } else {
      b.put(k, std::to_string(i));
      next[k] = std::to_string(i);
    }
    states.push_back(next);
    if (sync) last_synced = i + 1;
    bool done = false;
    rt.spawn([](Kv& kv, KvBatch b, bool sync, bool& done) -> Task<void> {
      Status s = co_await kv.write(std::move(b), sync ? Durability::kSync : Durability::kBuffered);
      ASSERT(s.is_ok());
      done = true;
    }(kv, std::move(b), sync, done));
    while (!done) ASSERT(world.step());
  }
  kv.crash();

  std::map<std::string, std::string> after;
  bool scanned = false;
  rt.spawn([](Kv& kv, std::map<std::string, std::string>& out, bool& done) -> Task<void> {
    auto r = co_await kv.scan("", "", 1000);
    for (auto& [k, v] : r.value()) out[k] = v;
    done = true;
  }(kv, after, scanned));
  while (!scanned) ASSERT(world.step());

  bool matches_allowed_prefix = false;
  for (size_t p = last_synced; p < states.size(); ++p) {
    if (states[p] == after) matches_allowed_prefix = true;
  }
  RC_ASSERT(matches_allowed_prefix);
}

// when_all returns results in input order whatever order tasks finish in.
RC_GTEST_PROP(CombinatorProps, WhenAllKeepsInputOrder, ()) {
  const auto delays = *rc::gen::container<std::vector<uint16_t>>(rc::gen::inRange<uint16_t>(0, 1000));
  SimWorld world(1);
  SimRuntime rt(world, 0, 1);
  std::vector<Task<size_t>> tasks;
  for (size_t i = 0; i < delays.size(); ++i) {
    tasks.push_back([](Runtime& rt, uint16_t d, size_t i) -> Task<size_t> {
      co_await sleep(rt, Duration::micros(d));
      co_return i;
    }(rt, delays[i], i));
  }
  std::optional<std::vector<size_t>> out;
  rt.spawn([](Runtime& rt, std::vector<Task<size_t>> t, std::optional<std::vector<size_t>>& o) -> Task<void> {
    o.emplace(co_await when_all(rt, std::move(t)));
  }(rt, std::move(tasks), out));
  while (!out) ASSERT(world.step());
  RC_ASSERT(out->size() == delays.size());
  for (size_t i = 0; i < out->size(); ++i) RC_ASSERT((*out)[i] == i);
}

}  // namespace
}  // namespace tessera::sim

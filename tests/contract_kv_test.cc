// Kv contract: the simulated kv and RocksDB behave the same.
#include <gtest/gtest.h>

#include "tests/contract_world.h"

namespace tessera::testing {
namespace {

class KvContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { world = make_contract_world(GetParam()); }
  Status put(std::string k, std::string v) {
    KvBatch b;
    b.put(std::move(k), std::move(v));
    return world->run(world->kv().write(std::move(b), Durability::kSync));
  }
  std::unique_ptr<ContractWorld> world;
};

TEST_P(KvContract, PutThenGet) {
  ASSERT_TRUE(put("k", "v").is_ok());
  EXPECT_EQ(world->run(world->kv().get("k")).value(), "v");
  EXPECT_EQ(world->run(world->kv().get("other")).code(), Code::kNotFound);
}

TEST_P(KvContract, KeysAndValuesAreBytes) {
  const std::string key("a\0b\xff", 4);
  const std::string value("\0\1\2", 3);
  ASSERT_TRUE(put(key, value).is_ok());
  EXPECT_EQ(world->run(world->kv().get(key)).value(), value);
}

TEST_P(KvContract, BatchAppliesPutsAndDeletesTogether) {
  ASSERT_TRUE(put("a", "1").is_ok());
  KvBatch b;
  b.remove("a");
  b.put("b", "2");
  b.put("c", "3");
  ASSERT_TRUE(world->run(world->kv().write(std::move(b), Durability::kBuffered)).is_ok());
  EXPECT_EQ(world->run(world->kv().get("a")).code(), Code::kNotFound);
  EXPECT_EQ(world->run(world->kv().get("b")).value(), "2");
  EXPECT_EQ(world->run(world->kv().get("c")).value(), "3");
}

TEST_P(KvContract, ScanIsOrderedBoundedAndLimited) {
  for (const char* k : {"m/3", "m/1", "n/1", "m/2", "l/9"}) ASSERT_TRUE(put(k, k).is_ok());
  auto r = world->run(world->kv().scan("m/", "m0", 100));
  ASSERT_TRUE(r.is_ok());
  std::vector<std::string> keys;
  for (auto& [k, v] : r.value()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"m/1", "m/2", "m/3"}));
  EXPECT_EQ(world->run(world->kv().scan("m/", "m0", 2)).value().size(), 2u);
  // An empty end means no upper bound.
  EXPECT_EQ(world->run(world->kv().scan("m/2", "", 100)).value().size(), 3u);
  EXPECT_TRUE(world->run(world->kv().scan("z", "", 100)).value().empty());
}

INSTANTIATE_TEST_SUITE_P(Worlds, KvContract, ::testing::Values("sim", "prod"));

}  // namespace
}  // namespace tessera::testing

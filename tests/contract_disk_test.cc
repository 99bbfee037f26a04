// Disk contract: the simulated and the file disk behave the same.
#include <gtest/gtest.h>

#include "tests/contract_world.h"

namespace tessera::testing {
namespace {

class DiskContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { world = make_contract_world(GetParam()); }
  std::unique_ptr<ContractWorld> world;
};

TEST_P(DiskContract, WriteThenReadReturnsTheBytes) {
  Disk& d = world->disk();
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(world->run(d.write("frag-1", data, Durability::kSync)).is_ok());
  Result<std::string> r = world->run(d.read("frag-1"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value(), data);
}

TEST_P(DiskContract, EmptyBlobRoundTrips) {
  Disk& d = world->disk();
  ASSERT_TRUE(world->run(d.write("empty", "", Durability::kSync)).is_ok());
  Result<std::string> r = world->run(d.read("empty"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value(), "");
}

TEST_P(DiskContract, OverwriteReplacesWholeBlob) {
  Disk& d = world->disk();
  ASSERT_TRUE(world->run(d.write("b", "long original contents", Durability::kSync)).is_ok());
  ASSERT_TRUE(world->run(d.write("b", "short", Durability::kBuffered)).is_ok());
  EXPECT_EQ(world->run(d.read("b")).value(), "short");
}

TEST_P(DiskContract, MissingBlobIsNotFound) {
  EXPECT_EQ(world->run(world->disk().read("absent")).code(), Code::kNotFound);
  EXPECT_EQ(world->run(world->disk().remove("absent")).code(), Code::kNotFound);
}

TEST_P(DiskContract, RemoveDeletes) {
  Disk& d = world->disk();
  ASSERT_TRUE(world->run(d.write("x", "1", Durability::kSync)).is_ok());
  ASSERT_TRUE(world->run(d.remove("x")).is_ok());
  EXPECT_EQ(world->run(d.read("x")).code(), Code::kNotFound);
}

TEST_P(DiskContract, ListByPrefixIsSorted) {
  Disk& d = world->disk();
  for (const char* name : {"p-3", "p-1", "q-1", "p-2"}) {
    ASSERT_TRUE(world->run(d.write(name, name, Durability::kSync)).is_ok());
  }
  auto r = world->run(d.list("p-"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value(), (std::vector<std::string>{"p-1", "p-2", "p-3"}));
  EXPECT_EQ(world->run(d.list("")).value().size(), 4u);
  EXPECT_TRUE(world->run(d.list("zzz")).value().empty());
}

TEST_P(DiskContract, BadNamesAreRejected) {
  Disk& d = world->disk();
  for (const char* name : {"", "../escape", "a/b", ".hidden", "sp ace"}) {
    EXPECT_EQ(world->run(d.write(name, "x", Durability::kSync)).code(), Code::kInvalidArgument)
        << name;
    EXPECT_EQ(world->run(d.read(name)).code(), Code::kInvalidArgument) << name;
  }
  EXPECT_EQ(world->run(d.write(std::string(201, 'a'), "x", Durability::kSync)).code(),
            Code::kInvalidArgument);
}

// What a node reports to placement: the bytes its blobs hold, through
// writes, overwrites and removes, and room left.
TEST_P(DiskContract, SpaceCountsTheBlobsHeld) {
  Disk& d = world->disk();
  auto empty = d.space();
  ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
  EXPECT_EQ(empty.value().used_bytes, 0u);
  EXPECT_GT(empty.value().free_bytes, 0u);
  ASSERT_TRUE(world->run(d.write("a", std::string(1000, 'a'), Durability::kSync)).is_ok());
  ASSERT_TRUE(world->run(d.write("b", std::string(300, 'b'), Durability::kSync)).is_ok());
  EXPECT_EQ(d.space().value().used_bytes, 1300u);
  ASSERT_TRUE(world->run(d.write("a", std::string(10, 'a'), Durability::kSync)).is_ok());
  EXPECT_EQ(d.space().value().used_bytes, 310u);
  ASSERT_TRUE(world->run(d.remove("b")).is_ok());
  EXPECT_EQ(d.space().value().used_bytes, 10u);
}

INSTANTIATE_TEST_SUITE_P(Worlds, DiskContract, ::testing::Values("sim", "prod"));

}  // namespace
}  // namespace tessera::testing

// Network and RPC contract over the simulated network and real TCP, plus
// the runtime combinators over both runtimes.
#include <gtest/gtest.h>

#include "core/rpc/rpc_endpoint.h"
#include "io_abstraction/combinators.h"
#include "messages.pb.h"
#include "tests/contract_world.h"

namespace tessera::testing {
namespace {

class NetworkContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { world = make_contract_world(GetParam()); }
  std::unique_ptr<ContractWorld> world;
};

TEST_P(NetworkContract, OneWayMessageArrivesWithSender) {
  std::optional<std::pair<NodeId, Message>> got;
  world->network(1).set_receiver([&](NodeId from, Message m) { got.emplace(from, std::move(m)); });
  Message m;
  m.method = "hello";
  m.payload = std::string("\0payload", 8);
  world->network(0).send(NodeId(1), m);
  ASSERT_TRUE(world->drive_until([&] { return got.has_value(); }));
  EXPECT_EQ(got->first, NodeId(0));
  EXPECT_EQ(got->second.method, "hello");
  EXPECT_EQ(got->second.payload, m.payload);
  EXPECT_FALSE(got->second.is_response);
  world->network(1).set_receiver(nullptr);
}

TEST_P(NetworkContract, RpcRoundTrip) {
  RpcEndpoint client(world->runtime(0), world->network(0));
  RpcEndpoint server(world->runtime(1), world->network(1));
  server.serve("echo", [](NodeId from, std::string payload) -> Task<Result<std::string>> {
    proto::EchoRequest req;
    EXPECT_TRUE(req.ParseFromString(payload));
    proto::EchoResponse resp;
    resp.set_token(req.token() + from.value);
    resp.set_body(req.body());
    co_return resp.SerializeAsString();
  });
  proto::EchoRequest req;
  req.set_token(41);
  req.set_body("abc");
  auto r = world->run(call_message<proto::EchoResponse>(client, NodeId(1), "echo", req,
                                                        Duration::seconds(5)));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r.value().token(), 41u);  // from node 0
  EXPECT_EQ(r.value().body(), "abc");
  EXPECT_EQ(client.stats().calls, 1u);
  EXPECT_EQ(server.stats().requests_served, 1u);
}

TEST_P(NetworkContract, HandlerErrorsTravelAsStatus) {
  RpcEndpoint client(world->runtime(0), world->network(0));
  RpcEndpoint server(world->runtime(1), world->network(1));
  server.serve("fail", [](NodeId, std::string) -> Task<Result<std::string>> {
    co_return Status(Code::kNoSpace, "disk full");
  });
  auto r = world->run(client.call(NodeId(1), "fail", "", Duration::seconds(5)));
  ASSERT_EQ(r.code(), Code::kNoSpace);
  EXPECT_EQ(r.status().message(), "disk full");
  auto unknown = world->run(client.call(NodeId(1), "nope", "", Duration::seconds(5)));
  EXPECT_EQ(unknown.code(), Code::kNotFound);
}

TEST_P(NetworkContract, RpcTimesOutWhenNoReplyComes) {
  RpcEndpoint client(world->runtime(0), world->network(0));
  RpcEndpoint server(world->runtime(1), world->network(1));
  Runtime& server_rt = world->runtime(1);
  server.serve("slow", [&server_rt](NodeId, std::string) -> Task<Result<std::string>> {
    co_await sleep(server_rt, Duration::millis(400));
    co_return std::string("late");
  });
  const Instant start = world->runtime(0).now();
  auto r = world->run(client.call(NodeId(1), "slow", "", Duration::millis(100)));
  EXPECT_EQ(r.code(), Code::kTimeout);
  EXPECT_GE((world->runtime(0).now() - start).us, Duration::millis(100).us);
  EXPECT_EQ(client.stats().timeouts, 1u);
  // The late reply must be dropped, not delivered to anyone.
  ASSERT_TRUE(world->drive_until([&] { return client.stats().responses_dropped == 1; }));
}

// A peer's death ends the calls waiting on it at once, as no answer (the
// request may have been served): not at their deadlines.
TEST_P(NetworkContract, CallEndsWhenThePeersConnectionBreaks) {
  RpcEndpoint client(world->runtime(0), world->network(0));
  RpcEndpoint server(world->runtime(1), world->network(1));
  Runtime& server_rt = world->runtime(1);
  server.serve("slow", [&server_rt](NodeId, std::string) -> Task<Result<std::string>> {
    co_await sleep(server_rt, Duration::seconds(60));
    co_return std::string("late");
  });
  std::optional<Result<std::string>> got;
  world->runtime(0).spawn([](RpcEndpoint& c, std::optional<Result<std::string>>& out) -> Task<void> {
    out.emplace(co_await c.call(NodeId(1), "slow", "", Duration::seconds(300)));
  }(client, got));
  ASSERT_TRUE(world->drive_until([&] { return server.stats().requests_served == 1; }));
  EXPECT_FALSE(got.has_value());
  world->stop_network(1);
  ASSERT_TRUE(world->drive_until([&] { return got.has_value(); }));
  EXPECT_EQ(got->code(), Code::kTimeout);
  EXPECT_NE(got->status().message().find("connection to node 1 broke"), std::string::npos)
      << got->status().to_string();
  EXPECT_EQ(client.stats().broken, 1u);
  EXPECT_EQ(client.stats().timeouts, 0u);
}

TEST_P(NetworkContract, CallToAStoppedPeerEndsWithoutItsDeadline) {
  RpcEndpoint client(world->runtime(0), world->network(0));
  world->stop_network(1);
  auto r = world->run(client.call(NodeId(1), "x", "", Duration::seconds(300)));
  EXPECT_EQ(r.code(), Code::kTimeout);
  EXPECT_NE(r.status().message().find("broke"), std::string::npos) << r.status().to_string();
  EXPECT_EQ(client.stats().broken, 1u);
  EXPECT_EQ(client.stats().timeouts, 0u);
}

TEST_P(NetworkContract, RpcToUnknownNodeTimesOut) {
  RpcEndpoint client(world->runtime(0), world->network(0));
  auto r = world->run(client.call(NodeId(7), "x", "", Duration::millis(50)));
  EXPECT_EQ(r.code(), Code::kTimeout);
}

TEST_P(NetworkContract, CombinatorsWaitForWhatTheyPromise) {
  Runtime& rt = world->runtime(0);
  auto delayed = [&rt](int64_t ms, int v) -> Task<Result<int>> {
    co_await sleep(rt, Duration::millis(ms));
    if (v < 0) co_return Status(Code::kIoError, "failed");
    co_return v;
  };
  std::vector<Task<Result<int>>> tasks;
  tasks.push_back(delayed(30, 1));
  tasks.push_back(delayed(5, 2));
  tasks.push_back(delayed(1, -1));
  tasks.push_back(delayed(10, 4));
  auto two = world->run(first_k_of_n(rt, std::move(tasks), 2));
  ASSERT_TRUE(two.is_ok());
  ASSERT_EQ(two.value().size(), 2u);
  EXPECT_EQ(two.value()[0], (std::pair<size_t, int>{1, 2}));
  EXPECT_EQ(two.value()[1], (std::pair<size_t, int>{3, 4}));

  std::vector<Task<Result<int>>> failing;
  failing.push_back(delayed(1, -1));
  failing.push_back(delayed(2, -1));
  failing.push_back(delayed(50, 3));
  EXPECT_EQ(world->run(first_k_of_n(rt, std::move(failing), 2)).code(), Code::kUnavailable);

  EXPECT_EQ(world->run(with_timeout(rt, delayed(200, 1), Duration::millis(20))).code(),
            Code::kTimeout);
  EXPECT_EQ(world->run(with_timeout(rt, delayed(1, 9), Duration::millis(200))).value(), 9);

  std::vector<Task<Result<int>>> all;
  for (int i = 0; i < 5; ++i) all.push_back(delayed(5 - i, i));
  auto results = world->run(when_all(rt, std::move(all)));
  ASSERT_EQ(results.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(results[i].value(), i);

  auto doubled = world->run(offload(rt, [] { return 21 * 2; }));
  EXPECT_EQ(doubled, 42);
}

INSTANTIATE_TEST_SUITE_P(Worlds, NetworkContract, ::testing::Values("sim", "prod"));

}  // namespace
}  // namespace tessera::testing

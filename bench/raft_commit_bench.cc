// Commits through one 3-replica Raft group (core/consensus) on this
// machine: three replicas in one process, each with its own RocksDB
// (synced writes: fsync on) and its own TCP endpoint on loopback, the
// production pieces. For 1, 16 and 64 concurrent writers proposing
// 200-byte commands to the leader, prints commits/s and p50/p99 latency.
// Then kills the leader (stops its endpoint and replica) and prints the
// time until the next commit succeeds at a new leader.
// Usage: raft_commit_bench DIR [seconds per run = 3]
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "consensus.pb.h"
#include "core/consensus/raft_replica.h"
#include "io_abstraction/combinators.h"
#include "prod/asio_runtime.h"
#include "prod/rocks_kv.h"
#include "prod/tcp_network.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace {

struct Replica {
  std::unique_ptr<prod::TcpNetwork> net;
  std::unique_ptr<prod::RocksKv> kv;
  std::unique_ptr<RpcEndpoint> rpc;
  std::unique_ptr<RaftReplica> raft;
};

std::string command(uint64_t i) {
  proto::KvCommand c;
  proto::KvOp* op = c.add_ops();
  op->set_key("bench/" + std::to_string(i));
  op->set_value(std::string(200, 'v'));
  return c.SerializeAsString();
}

Task<RaftReplica*> await_leader(Runtime& rt, std::vector<Replica>& group) {
  while (true) {
    for (auto& r : group) {
      if (r.raft && r.raft->is_leader()) co_return r.raft.get();
    }
    co_await sleep(rt, Duration::millis(10));
  }
}

Task<bool> writer(Runtime& rt, RaftReplica& leader, Instant end, uint64_t* next, std::vector<int64_t>* latencies) {
  while (rt.now() < end) {
    const Instant t0 = rt.now();
    Status s = co_await leader.propose(command((*next)++));
    if (!s.is_ok()) co_return false;
    latencies->push_back((rt.now() - t0).us);
  }
  co_return true;
}

Task<void> run_all(Runtime& rt, std::vector<Replica>& group, Duration each, bool* done) {
  RaftReplica* leader = co_await await_leader(rt, group);
  uint64_t next = 0;
  for (size_t writers : {1, 16, 64}) {
    std::vector<int64_t> latencies;
    const Instant start = rt.now(), end = start + each;
    std::vector<Task<bool>> tasks;
    for (size_t w = 0; w < writers; ++w) tasks.push_back(writer(rt, *leader, end, &next, &latencies));
    co_await when_all(rt, std::move(tasks));
    const double seconds = static_cast<double>((rt.now() - start).us) / 1e6;
    std::sort(latencies.begin(), latencies.end());
    const auto pct = [&](double p) {
      return latencies.empty() ? 0.0 : latencies[static_cast<size_t>(p * (latencies.size() - 1))] / 1000.0;
    };
    std::printf("writers=%zu commits=%zu commits_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n", writers, latencies.size(),
                static_cast<double>(latencies.size()) / seconds, pct(0.5), pct(0.99));
  }
  // The leader dies: time until a commit succeeds again.
  for (auto& r : group) {
    if (r.raft.get() == leader) {
      r.raft.reset();
      r.rpc.reset();
      r.net->stop();
    }
  }
  const Instant killed = rt.now();
  while (true) {
    RaftReplica* next_leader = co_await await_leader(rt, group);
    if ((co_await next_leader->propose(command(next++))).is_ok()) break;
  }
  std::printf("leader_loss_to_first_commit_ms=%.0f\n", static_cast<double>((rt.now() - killed).us) / 1000.0);
  *done = true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: raft_commit_bench DIR [seconds per run]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const int64_t seconds = argc > 2 ? std::atoi(argv[2]) : 3;
  fs::remove_all(dir);
  fs::create_directories(dir);
  boost::asio::io_context io;
  prod::AsioRuntime rt(io, 2, 42);
  std::vector<Replica> group(3);
  std::vector<NodeId> ids = {NodeId(0), NodeId(1), NodeId(2)};
  for (uint32_t i = 0; i < 3; ++i) {
    group[i].net = std::make_unique<prod::TcpNetwork>(io, ids[i]);
    if (!group[i].net->listen("127.0.0.1", 0).is_ok()) return 1;
  }
  for (uint32_t i = 0; i < 3; ++i) {
    for (uint32_t j = 0; j < 3; ++j) {
      if (i != j) group[i].net->add_peer(ids[j], "127.0.0.1", group[j].net->port());
    }
    auto kv = prod::RocksKv::open(io, (dir / ("replica" + std::to_string(i))).string());
    if (!kv.is_ok()) return 1;
    group[i].kv = std::move(kv).value();
    group[i].rpc = std::make_unique<RpcEndpoint>(rt, *group[i].net);
    RaftReplicaConfig config;
    config.voters = ids;
    group[i].raft = std::make_unique<RaftReplica>(rt, *group[i].rpc, *group[i].kv, config);
    rt.spawn([](RaftReplica& r) -> Task<void> { (void)co_await r.start(); }(*group[i].raft));
  }
  bool done = false;
  rt.spawn(run_all(rt, group, Duration::seconds(seconds), &done));
  while (!done) io.run_one();
  for (auto& r : group) r.net->stop();
  return 0;
}

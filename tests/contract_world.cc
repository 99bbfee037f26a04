#include "tests/contract_world.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>

#include "prod/asio_runtime.h"
#include "prod/file_disk.h"
#include "prod/rocks_kv.h"
#include "prod/tcp_network.h"
#include "sim/sim_disk.h"
#include "sim/sim_kv.h"
#include "sim/sim_network.h"
#include "sim/sim_runtime.h"
#include "tests/sim_run.h"

namespace tessera::testing {
namespace {

class SimContractWorld final : public ContractWorld {
 public:
  SimContractWorld()
      : world_(2),
        rt0_(world_, 0, 11),
        rt1_(world_, 1, 12),
        net_(world_, uniform_network(100, 300), {{0, 0}, {0, 1}}, 13),
        n0_(net_, 0),
        n1_(net_, 1),
        disk_(rt0_, uniform_disk(50, 100), 1u << 30, 14),
        kv_(rt0_, Duration::micros(20), 15) {}

  Runtime& runtime(int node) override { return node == 0 ? static_cast<Runtime&>(rt0_) : rt1_; }
  Network& network(int node) override { return node == 0 ? static_cast<Network&>(n0_) : n1_; }
  Disk& disk() override { return disk_; }
  Kv& kv() override { return kv_; }
  void stop_network(int node) override {
    net_.set_receiver(static_cast<uint32_t>(node), nullptr);
    net_.node_stopped(static_cast<uint32_t>(node));
  }
  bool drive_until(const std::function<bool()>& done) override {
    while (!done()) {
      if (!world_.step()) {
        ADD_FAILURE() << "simulation ran out of events before the condition held";
        return false;
      }
    }
    return true;
  }
  ~SimContractWorld() override {
    rt0_.stop();
    rt1_.stop();
  }

 private:
  sim::SimWorld world_;
  sim::SimRuntime rt0_, rt1_;
  sim::SimNetwork net_;
  sim::SimNodeNetwork n0_, n1_;
  sim::SimDisk disk_;
  sim::SimKv kv_;
};

class ProdContractWorld final : public ContractWorld {
 public:
  ProdContractWorld()
      : dir_(make_temp_dir()),
        rt0_(io_, 1, prod::os_random_seed()),
        rt1_(io_, 1, prod::os_random_seed()),
        n0_(io_, NodeId(0)),
        n1_(io_, NodeId(1)) {
    ASSERT(n0_.listen("127.0.0.1", 0).is_ok());
    ASSERT(n1_.listen("127.0.0.1", 0).is_ok());
    n0_.add_peer(NodeId(1), "127.0.0.1", n1_.port());
    n1_.add_peer(NodeId(0), "127.0.0.1", n0_.port());
    auto disk = prod::FileDisk::open(io_, dir_ + "/disk");
    ASSERT(disk.is_ok());
    disk_ = std::move(disk).value();
    auto kv = prod::RocksKv::open(io_, dir_ + "/kv");
    ASSERT(kv.is_ok());
    kv_ = std::move(kv).value();
  }
  ~ProdContractWorld() override {
    n0_.stop();
    n1_.stop();
    rt0_.stop();
    rt1_.stop();
    kv_.reset();
    disk_.reset();
    std::filesystem::remove_all(dir_);
  }

  Runtime& runtime(int node) override { return node == 0 ? static_cast<Runtime&>(rt0_) : rt1_; }
  Network& network(int node) override { return node == 0 ? static_cast<Network&>(n0_) : n1_; }
  Disk& disk() override { return *disk_; }
  Kv& kv() override { return *kv_; }
  void stop_network(int node) override { (node == 0 ? n0_ : n1_).stop(); }
  bool drive_until(const std::function<bool()>& done) override {
    // A bound so a broken implementation fails the test instead of hanging.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
      if (std::chrono::steady_clock::now() > give_up) {
        ADD_FAILURE() << "prod world: condition not reached within 30 s";
        return false;
      }
      // A loop that ran out of work stays stopped until restarted.
      if (io_.stopped()) io_.restart();
      io_.run_one_for(std::chrono::milliseconds(50));
    }
    return true;
  }

 private:
  static std::string make_temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tessera-contract-XXXXXX").string();
    ASSERT(::mkdtemp(tmpl.data()) != nullptr);
    return tmpl;
  }
  std::string dir_;
  boost::asio::io_context io_;
  prod::AsioRuntime rt0_, rt1_;
  prod::TcpNetwork n0_, n1_;
  std::unique_ptr<prod::FileDisk> disk_;
  std::unique_ptr<prod::RocksKv> kv_;
};

}  // namespace

std::unique_ptr<ContractWorld> make_contract_world(const std::string& kind) {
  if (kind == "sim") return std::make_unique<SimContractWorld>();
  ASSERT(kind == "prod");
  return std::make_unique<ProdContractWorld>();
}

}  // namespace tessera::testing

// Merkle inventory benchmark (prints figures; asserts nothing): what it
// costs repair to learn how a disk of 1,000,000 fragments differs from
// what the metadata expects on it, against the full listing it used to
// take. Both sides run in this process (the storage node's answers are
// built and serialized as over RPC), so the times are CPU, not network.
// The target: under 100 KiB to find 10 differences among 1,000,000.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/repair/inventory_compare.h"
#include "sim/sim_runtime.h"
#include "sim/sim_world.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kFragments = 1000000;

// A blob name of the shape fragment_blob_name gives (about 60 bytes).
std::string blob(uint64_t i) {
  return "f-" + std::to_string(i * 0x9E3779B97F4A7C15ull) + "-photos.2026.12-v1-p" + std::to_string(i % 7) + "-s" +
         std::to_string(i % 13) + "-i" + std::to_string(i % 14);
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

void compare(const char* label, const InventoryTree& expected, const InventoryTree& actual) {
  sim::SimWorld world(1);
  sim::SimRuntime rt(world, 0, 1);
  InventoryAsk ask = [&actual](proto::InventoryTreeRequest req) -> Task<Result<proto::InventoryTreeResponse>> {
    co_return answer_inventory_request(actual, req);
  };
  InventoryDiff diff;
  std::optional<Status> done;
  const auto start = Clock::now();
  rt.spawn([](const InventoryTree& e, InventoryAsk a, InventoryDiff* d, std::optional<Status>* out) -> Task<void> {
    out->emplace(co_await compare_inventory(e, std::move(a), d));
  }(expected, ask, &diff, &done));
  while (!done && world.step()) {
  }
  const double secs = seconds_since(start);
  rt.stop();
  std::printf("%-44s %s: %zu missing, %zu extra; %llu messages, %.1f KiB, %.2f ms\n", label,
              done && done->is_ok() ? "ok" : "FAILED", diff.missing.size(), diff.extra.size(),
              static_cast<unsigned long long>(diff.messages), static_cast<double>(diff.bytes) / 1024, secs * 1e3);
}

}  // namespace

int main() {
  uint64_t listing_bytes = 0;
  const uint64_t rss_before = resident_bytes();
  auto start = Clock::now();
  InventoryTree disk;
  for (uint64_t i = 0; i < kFragments; ++i) {
    disk.insert(blob(i));
    listing_bytes += blob(i).size() + 2;  // a name in a page of the old listing
  }
  const double build_s = seconds_since(start);
  const uint64_t rss = resident_bytes() - rss_before;
  std::printf("tree of %llu names: %.2f us an insert, depth %u, about %llu bytes a name resident\n",
              static_cast<unsigned long long>(kFragments), build_s * 1e6 / kFragments, disk.depth(),
              static_cast<unsigned long long>(rss / kFragments));
  std::printf("a full listing of the disk (what each repair pass read before): %.1f MiB\n",
              static_cast<double>(listing_bytes) / (1 << 20));

  InventoryTree expected = disk;
  compare("nothing to do (equal)", expected, disk);
  InventoryTree ten = disk;
  for (uint64_t i = 0; i < 5; ++i) ten.remove(blob(i * 199999));       // 5 lost
  for (uint64_t i = 0; i < 5; ++i) ten.insert(blob(kFragments + i));   // 5 orphans
  compare("10 differences among 1,000,000", expected, ten);
  InventoryTree thousand = disk;
  for (uint64_t i = 0; i < 1000; ++i) thousand.remove(blob(i * 997));
  compare("1,000 missing among 1,000,000", expected, thousand);
  compare("a replaced disk (empty)", expected, InventoryTree());
  start = Clock::now();
  for (uint64_t i = 0; i < 100000; ++i) {
    ten.remove(blob(i));
    ten.insert(blob(i));
  }
  std::printf("an update (remove + insert) at 1,000,000 names: %.2f us\n", seconds_since(start) * 1e6 / 200000);
  return 0;
}

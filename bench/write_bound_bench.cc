// The machine's bound for a PUT and a GET of the embedded default, with no
// S3 in the way: for each 8 MiB stripe, encode 10+4, SHA-256 every
// fragment, write each of the 14 fragments to its own directory with
// fsync (temp file, fsync, rename, directory fsync, as FileDisk does);
// both cores work on alternate stripes. The read bound reads the 10 data
// fragments back and checks their SHA-256. Prints MB/s of object bytes.
// Usage: write_bound_bench DIR [MiB=1024]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/codec/reed_solomon.h"
#include "core/codec/sha256.h"
#include "io_abstraction/random.h"

using namespace tessera;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kStripe = 8u << 20;
constexpr uint32_t kK = 10, kM = 4;

void write_synced(const fs::path& dir, const std::string& name, std::string_view bytes) {
  const fs::path tmp = dir / (name + ".tmp");
  const int fd = ::open(tmp.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || ::fsync(fd) != 0) {
    std::perror("write");
    std::exit(1);
  }
  ::close(fd);
  fs::rename(tmp, dir / name);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ::fsync(dfd);
  ::close(dfd);
}

std::string read_file(const fs::path& p) {
  std::string out(fs::file_size(p), '\0');
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0 || ::read(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) std::exit(1);
  ::close(fd);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: write_bound_bench DIR [MiB]\n");
    return 2;
  }
  const fs::path root = argv[1];
  const size_t mib = argc > 2 ? std::stoul(argv[2]) : 1024;
  const size_t stripes = mib * (1u << 20) / kStripe;
  for (uint32_t d = 0; d < kK + kM; ++d) fs::create_directories(root / ("disk" + std::to_string(d)));
  std::string data(kStripe, '\0');
  Random random(7);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = random.next();
    std::memcpy(&data[i], &v, 8);
  }
  const ReedSolomon rs = ReedSolomon::create(kK, kM).value();
  const unsigned threads = std::max(2u, std::thread::hardware_concurrency());

  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      EncodedPart encoded;
      for (size_t s = t; s < stripes; s += threads) {
        rs.encode(data, encoded);
        for (uint32_t i = 0; i < kK + kM; ++i) {
          const Sha256 digest = sha256(encoded.fragments[i]);
          (void)digest;
          write_synced(root / ("disk" + std::to_string(i)), "s" + std::to_string(s), encoded.fragments[i]);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const double put_s = std::chrono::duration<double>(Clock::now() - start).count();

  sync();
  start = Clock::now();
  pool.clear();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t s = t; s < stripes; s += threads) {
        for (uint32_t i = 0; i < kK; ++i) {
          const std::string f = read_file(root / ("disk" + std::to_string(i)) / ("s" + std::to_string(s)));
          (void)sha256(f);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const double get_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double mb = static_cast<double>(stripes * kStripe) / 1e6;
  std::printf("bound_put_mb_s %.0f\nbound_get_mb_s %.0f  (page-cache reads)\nbound_bytes %zu\n", mb / put_s,
              mb / get_s, stripes * kStripe);
  fs::remove_all(root);
  return 0;
}

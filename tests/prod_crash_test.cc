// kill -9 against the real disk and kv: a child process writes blobs and kv
// batches with kSync and reports each acknowledgement through a pipe; the
// parent kills it mid-stream, reopens the same directories and checks that
// every acknowledged write is there byte-exact, that no torn blob is
// visible, that crash debris (temporary files) is cleaned up, and that the
// reopened disk counts the bytes it holds.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>

#include "prod/asio_runtime.h"
#include "prod/file_disk.h"
#include "prod/rocks_kv.h"

namespace tessera::prod {
namespace {

constexpr uint64_t kAcksBeforeKill = 25;

std::string blob_contents(uint64_t i) {
  std::string s(16384 + (i * 4099) % 65536, '\0');
  uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
  for (auto& c : s) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

[[noreturn]] void child_writer(const std::string& dir, int ack_fd) {
  boost::asio::io_context io;
  AsioRuntime rt(io, 1, 1);
  auto disk = FileDisk::open(io, dir + "/disk");
  auto kv = RocksKv::open(io, dir + "/kv");
  if (!disk.is_ok() || !kv.is_ok()) _exit(3);
  rt.spawn([](Disk& disk, Kv& kv, int ack_fd) -> Task<void> {
    for (uint64_t i = 0;; ++i) {
      Status s = co_await disk.write("blob-" + std::to_string(i), blob_contents(i), Durability::kSync);
      if (!s.is_ok()) _exit(4);
      KvBatch batch;
      batch.put("key-" + std::to_string(i), std::to_string(i));
      batch.put("last", std::to_string(i));
      s = co_await kv.write(std::move(batch), Durability::kSync);
      if (!s.is_ok()) _exit(5);
      if (::write(ack_fd, &i, sizeof i) != sizeof i) _exit(6);
    }
  }(*disk.value(), *kv.value(), ack_fd));
  io.run();
  _exit(7);
}

template <typename T>
T run_io(boost::asio::io_context& io, AsioRuntime& rt, Task<T> task) {
  std::optional<T> out;
  rt.spawn([](Task<T> t, std::optional<T>& o) -> Task<void> { o.emplace(co_await std::move(t)); }(
      std::move(task), out));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!out && std::chrono::steady_clock::now() < give_up) {
    if (io.stopped()) io.restart();
    io.run_one_for(std::chrono::milliseconds(50));
  }
  ASSERT(out.has_value());
  return std::move(*out);
}

TEST(ProdCrash, KillNineLosesNoAcknowledgedWrite) {
  std::string dir = (std::filesystem::temp_directory_path() / "tessera-crash-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_writer(dir, fds[1]);
  }
  ::close(fds[1]);
  int64_t last_acked = -1;
  uint64_t i;
  while (static_cast<uint64_t>(last_acked + 1) < kAcksBeforeKill && ::read(fds[0], &i, sizeof i) == sizeof i) {
    last_acked = static_cast<int64_t>(i);
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited by itself with " << WEXITSTATUS(status);
  while (::read(fds[0], &i, sizeof i) == sizeof i) last_acked = static_cast<int64_t>(i);
  ::close(fds[0]);
  ASSERT_GE(last_acked + 1, static_cast<int64_t>(kAcksBeforeKill));

  boost::asio::io_context io;
  AsioRuntime rt(io, 1, 2);
  auto disk = FileDisk::open(io, dir + "/disk");
  auto kv = RocksKv::open(io, dir + "/kv");
  ASSERT_TRUE(disk.is_ok()) << disk.status().to_string();
  ASSERT_TRUE(kv.is_ok()) << kv.status().to_string();
  for (int64_t n = 0; n <= last_acked; ++n) {
    auto blob = run_io(io, rt, disk.value()->read("blob-" + std::to_string(n)));
    ASSERT_TRUE(blob.is_ok()) << "acknowledged blob " << n << " lost: " << blob.status().to_string();
    ASSERT_EQ(blob.value(), blob_contents(static_cast<uint64_t>(n))) << "blob " << n << " differs";
    auto value = run_io(io, rt, kv.value()->get("key-" + std::to_string(n)));
    ASSERT_TRUE(value.is_ok()) << "acknowledged kv write " << n << " lost";
  }
  // Whatever else is there (writes in flight at the kill) is whole, and no
  // temporary file survived reopening.
  auto names = run_io(io, rt, disk.value()->list(""));
  ASSERT_TRUE(names.is_ok());
  for (const std::string& name : names.value()) {
    const uint64_t n = std::stoull(name.substr(5));
    auto blob = run_io(io, rt, disk.value()->read(name));
    EXPECT_EQ(blob.value(), blob_contents(n)) << "torn blob visible: " << name;
  }
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/disk")) {
    EXPECT_NE(e.path().filename().string().rfind(".tmp-", 0), 0u) << "debris: " << e.path();
    bytes += e.file_size();
  }
  // The fill a storage node reports after its restart is what is there.
  EXPECT_EQ(disk.value()->space().value().used_bytes, bytes);
  EXPECT_GT(bytes, 0u);
  auto last = run_io(io, rt, kv.value()->get("last"));
  ASSERT_TRUE(last.is_ok());
  EXPECT_GE(std::stoll(last.value()), last_acked);
  rt.stop();
  kv.value().reset();
  disk.value().reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tessera::prod

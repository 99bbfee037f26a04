// FileDisk: a Disk over one directory of a real file system. A write goes
// to a temporary file, is fsync'd (kSync), renamed over the final name, and
// the directory is fsync'd, so a crash leaves either the old blob or the new
// one, never a torn one. Leftover temporary files from a crash are removed
// when the disk is opened. Blocking calls run on the disk's own pool.
#pragma once

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <string>

#include "io_abstraction/disk.h"
#include "prod/blocking_executor.h"

namespace tessera::prod {

class FileDisk final : public Disk {
 public:
  // Creates root if missing. io_threads: size of this disk's pool.
  static Result<std::unique_ptr<FileDisk>> open(boost::asio::io_context& io, std::string root,
                                                unsigned io_threads = 2);

  Task<Status> write(std::string name, std::string data, Durability durability) override;
  Task<Result<std::string>> read(std::string name) override;
  Task<Status> remove(std::string name) override;
  Task<Result<std::vector<std::string>>> list(std::string prefix) override;
  // used: the blobs' bytes (summed at open, kept since); free: what the
  // file system has available.
  Result<DiskSpace> space() const override;
  // The root directory's device and inode: another file system mounted at
  // the path, or the directory made anew, is another disk. 0 while gone.
  uint64_t generation() const override;

  const std::string& root() const { return root_; }

 private:
  FileDisk(boost::asio::io_context& io, std::string root, unsigned io_threads, uint64_t used_bytes)
      : root_(std::move(root)), used_bytes_(static_cast<int64_t>(used_bytes)), executor_(io, io_threads) {}

  Status write_blocking(const std::string& name, const std::string& data, Durability durability);
  Result<std::string> read_blocking(const std::string& name);
  Status remove_blocking(const std::string& name);
  Result<std::vector<std::string>> list_blocking(const std::string& prefix);

  std::string root_;
  std::atomic<uint64_t> temp_counter_{0};
  std::atomic<int64_t> used_bytes_;  // writes run on several threads
  BlockingExecutor executor_;
};

}  // namespace tessera::prod

#include "prod/file_disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tessera::prod {
namespace {

constexpr const char* kTempPrefix = ".tmp-";

Status errno_status(int err, const std::string& what) {
  const std::string msg = what + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: return Status(Code::kNotFound, msg);
    case ENOSPC:
    case EDQUOT: return Status(Code::kNoSpace, msg);
    case ENODEV:
    case ENXIO: return Status(Code::kDiskGone, msg);
    default: return Status(Code::kIoError, msg);
  }
}

bool root_exists(const std::string& root) {
  struct stat st;
  return ::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status fsync_dir(const std::string& root) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open dir " + root);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : errno_status(err, "fsync dir " + root);
}

// The size of root/name, 0 when there is none.
uint64_t file_bytes(const std::string& root, const char* name) {
  struct stat st;
  const std::string path = root + "/" + name;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

Result<std::unique_ptr<FileDisk>> FileDisk::open(boost::asio::io_context& io, std::string root,
                                                 unsigned io_threads) {
  if (::mkdir(root.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_status(errno, "mkdir " + root);
  }
  if (!root_exists(root)) return Status(Code::kInvalidArgument, root + " is not a directory");
  DIR* dir = ::opendir(root.c_str());
  if (dir == nullptr) return errno_status(errno, "opendir " + root);
  // Temporary files are writes a crash interrupted: never acknowledged.
  uint64_t used = 0;
  while (dirent* e = ::readdir(dir)) {
    if (std::strncmp(e->d_name, kTempPrefix, std::strlen(kTempPrefix)) == 0) {
      ::unlink((root + "/" + e->d_name).c_str());
    } else if (e->d_name[0] != '.') {
      used += file_bytes(root, e->d_name);
    }
  }
  ::closedir(dir);
  return std::unique_ptr<FileDisk>(new FileDisk(io, std::move(root), io_threads == 0 ? 1 : io_threads, used));
}

Status FileDisk::write_blocking(const std::string& name, const std::string& data,
                                Durability durability) {
  if (!root_exists(root_)) return Status(Code::kDiskGone, root_ + " is gone");
  const std::string temp = root_ + "/" + kTempPrefix + std::to_string(temp_counter_++) + "-" + name;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(errno, "create " + temp);
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return errno_status(err, "write " + temp);
    }
    done += static_cast<size_t>(n);
  }
  if (durability == Durability::kSync && ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return errno_status(err, "fsync " + temp);
  }
  ::close(fd);
  const std::string final_path = root_ + "/" + name;
  const uint64_t replaced = file_bytes(root_, name.c_str());
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return errno_status(err, "rename " + final_path);
  }
  used_bytes_ += static_cast<int64_t>(data.size()) - static_cast<int64_t>(replaced);
  if (durability == Durability::kSync) return fsync_dir(root_);
  return Status::ok();
}

Result<std::string> FileDisk::read_blocking(const std::string& name) {
  if (!root_exists(root_)) return Status(Code::kDiskGone, root_ + " is gone");
  const std::string path = root_ + "/" + name;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_status(err, "stat " + path);
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errno_status(err, "read " + path);
    }
    if (n == 0) break;  // shrank under us
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(done);
  return data;
}

Status FileDisk::remove_blocking(const std::string& name) {
  if (!root_exists(root_)) return Status(Code::kDiskGone, root_ + " is gone");
  const std::string path = root_ + "/" + name;
  const uint64_t bytes = file_bytes(root_, name.c_str());
  if (::unlink(path.c_str()) != 0) return errno_status(errno, "unlink " + path);
  used_bytes_ -= static_cast<int64_t>(bytes);
  return fsync_dir(root_);
}

Result<std::vector<std::string>> FileDisk::list_blocking(const std::string& prefix) {
  DIR* dir = ::opendir(root_.c_str());
  if (dir == nullptr) {
    return errno == ENOENT ? Status(Code::kDiskGone, root_ + " is gone")
                           : errno_status(errno, "opendir " + root_);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;  // ".", "..", temporaries
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Result<DiskSpace> FileDisk::space() const {
  if (!root_exists(root_)) return Status(Code::kDiskGone, root_ + " is gone");
  struct statvfs fs;
  if (::statvfs(root_.c_str(), &fs) != 0) return errno_status(errno, "statvfs " + root_);
  const int64_t used = used_bytes_.load();
  return DiskSpace{static_cast<uint64_t>(std::max<int64_t>(used, 0)), static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize};
}

uint64_t FileDisk::generation() const {
  struct stat st;
  if (::stat(root_.c_str(), &st) != 0) return 0;
  return (static_cast<uint64_t>(st.st_dev) << 40) ^ static_cast<uint64_t>(st.st_ino);
}

Task<Status> FileDisk::write(std::string name, std::string data, Durability durability) {
  if (!valid_blob_name(name)) co_return Status(Code::kInvalidArgument, "bad blob name: " + name);
  co_return co_await executor_.run([&] { return write_blocking(name, data, durability); });
}

Task<Result<std::string>> FileDisk::read(std::string name) {
  if (!valid_blob_name(name)) co_return Status(Code::kInvalidArgument, "bad blob name: " + name);
  co_return co_await executor_.run([&] { return read_blocking(name); });
}

Task<Status> FileDisk::remove(std::string name) {
  if (!valid_blob_name(name)) co_return Status(Code::kInvalidArgument, "bad blob name: " + name);
  co_return co_await executor_.run([&] { return remove_blocking(name); });
}

Task<Result<std::vector<std::string>>> FileDisk::list(std::string prefix) {
  co_return co_await executor_.run([&] { return list_blocking(prefix); });
}

}  // namespace tessera::prod

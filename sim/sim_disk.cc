#include "sim/sim_disk.h"

#include <algorithm>
#include <utility>

#include "sim/latency.h"

namespace tessera::sim {

SimDisk::SimDisk(SimRuntime& rt, const proto::DiskModel& model, uint64_t capacity_bytes,
                 uint64_t seed)
    : rt_(rt), model_(model), capacity_bytes_(capacity_bytes), random_(seed) {}

Result<DiskSpace> SimDisk::space() const {
  if (dead_) return Status(Code::kDiskGone, "disk is gone");
  return DiskSpace{used_bytes_, capacity_bytes_ - std::min(used_bytes_, capacity_bytes_)};
}

Duration SimDisk::latency(const proto::LatencyRange& range) { return sample_latency(random_, range) + slowdown_; }

void SimDisk::flip_bit(std::string& bytes) {
  ASSERT(!bytes.empty());
  const uint64_t bit = random_.below(bytes.size() * 8);
  bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
}

Task<Status> SimDisk::write(std::string name, std::string data, Durability durability) {
  if (!valid_blob_name(name)) co_return Status(Code::kInvalidArgument, "bad blob name: " + name);
  // How long it had been dead when the write came: what placement knew.
  if (dead_) longest_dead_write_ = std::max(longest_dead_write_, rt_.now() - died_at_);
  co_await sleep(rt_, latency(model_.write()));
  if (dead_) co_return Status(Code::kDiskGone, "disk is gone");
  auto it = blobs_.find(name);
  const uint64_t old_size = it == blobs_.end() ? 0 : it->second.data.size();
  if (used_bytes_ - old_size + data.size() > capacity_bytes_) {
    co_return Status(Code::kNoSpace, "disk full");
  }
  ++stats_.writes;
  used_bytes_ = used_bytes_ - old_size + data.size();
  peak_used_bytes_ = std::max(peak_used_bytes_, used_bytes_);
  Blob& blob = blobs_[name];
  blob.data = std::move(data);
  if (durability == Durability::kSync) blob.durable = blob.data;
  co_return Status::ok();
}

Task<Result<std::string>> SimDisk::read(std::string name) {
  if (!valid_blob_name(name)) co_return Status(Code::kInvalidArgument, "bad blob name: " + name);
  co_await sleep(rt_, latency(model_.read()));
  if (dead_) co_return Status(Code::kDiskGone, "disk is gone");
  auto it = blobs_.find(name);
  if (it == blobs_.end()) co_return Status(Code::kNotFound, name);
  ++stats_.reads;
  std::string copy = it->second.data;
  if (!copy.empty() && random_.chance_ppm(model_.bitrot_on_read_ppm())) {
    ++stats_.rot_on_read;
    flip_bit(copy);
  }
  co_return copy;
}

Task<Status> SimDisk::remove(std::string name) {
  if (!valid_blob_name(name)) co_return Status(Code::kInvalidArgument, "bad blob name: " + name);
  co_await sleep(rt_, latency(model_.write()));
  if (dead_) co_return Status(Code::kDiskGone, "disk is gone");
  auto it = blobs_.find(name);
  if (it == blobs_.end()) co_return Status(Code::kNotFound, name);
  used_bytes_ -= it->second.data.size();
  blobs_.erase(it);
  co_return Status::ok();
}

Task<Result<std::vector<std::string>>> SimDisk::list(std::string prefix) {
  co_await sleep(rt_, latency(model_.read()));
  if (dead_) co_return Status(Code::kDiskGone, "disk is gone");
  std::vector<std::string> names;
  for (auto it = blobs_.lower_bound(prefix);
       it != blobs_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    names.push_back(it->first);
  }
  co_return names;
}

void SimDisk::crash() {
  for (auto it = blobs_.begin(); it != blobs_.end();) {
    Blob& blob = it->second;
    if (blob.durable && *blob.durable == blob.data) {
      ++it;
      continue;
    }
    // Unsynced: 0 survives, 1 reverts to the last durable version (or
    // vanishes), 2 is torn to a prefix.
    const uint64_t fate = random_.below(3);
    used_bytes_ -= blob.data.size();
    if (fate == 0) {
      blob.durable = blob.data;
    } else if (fate == 2 && !blob.data.empty()) {
      ++stats_.torn_on_crash;
      blob.data.resize(random_.below(blob.data.size()));
      blob.durable = blob.data;
    } else {
      ++stats_.lost_on_crash;
      if (!blob.durable) {
        it = blobs_.erase(it);
        continue;
      }
      blob.data = *blob.durable;
    }
    used_bytes_ += blob.data.size();
    ++it;
  }
}

std::optional<std::string> SimDisk::peek(const std::string& name) const {
  auto it = blobs_.find(name);
  if (dead_ || it == blobs_.end()) return std::nullopt;
  return it->second.data;
}

std::vector<std::string> SimDisk::names() const {
  std::vector<std::string> out;
  if (dead_) return out;
  for (const auto& [name, blob] : blobs_) out.push_back(name);
  return out;
}

void SimDisk::kill() {
  if (!dead_) died_at_ = rt_.now();
  dead_ = true;
  blobs_.clear();
  used_bytes_ = 0;
}

void SimDisk::replace() {
  kill();
  dead_ = false;
  ++replacements_;
}

bool SimDisk::rot_at_rest() {
  if (dead_ || blobs_.empty()) return false;
  auto it = blobs_.begin();
  std::advance(it, static_cast<long>(random_.below(blobs_.size())));
  if (it->second.data.empty()) return false;
  ++stats_.rot_at_rest;
  flip_bit(it->second.data);
  if (it->second.durable) it->second.durable = it->second.data;
  return true;
}

}  // namespace tessera::sim

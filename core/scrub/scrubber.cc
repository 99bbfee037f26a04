#include "core/scrub/scrubber.h"

#include <algorithm>

#include "core/storage/fragment_format.h"

namespace tessera {

Scrubber::Scrubber(Runtime& rt, StorageService& storage, std::vector<Disk*> disks, ScrubConfig config)
    : rt_(rt), storage_(storage), disks_(std::move(disks)), config_(config) {
  ASSERT(config_.bytes_per_second > 0);
}

Task<bool> Scrubber::verifies(Disk& disk, const std::string& name) {
  Result<std::string> blob = co_await disk.read(name);
  if (blob.code() == Code::kNotFound || blob.code() == Code::kDiskGone) co_return true;
  uint64_t bytes = 0;
  Status s = blob.is_ok() ? Status::ok() : blob.status();
  if (blob.is_ok() && skip_verification_) {
    bytes = blob.value().size();  // read, and taken on trust
  } else if (blob.is_ok()) {
    bytes = blob.value().size();
    s = co_await offload(rt_, [&name, &blob] { return check_fragment_blob(name, std::move(blob).value()); });
  }
  progress_.bytes_checked += bytes;
  // The read budget: this blob's bytes at bytes_per_second.
  co_await sleep(rt_, Duration::micros(static_cast<int64_t>(bytes * 1'000'000 / config_.bytes_per_second)));
  co_return s.is_ok();
}

Task<void> Scrubber::pass() {
  progress_.pass_blobs_total = 0;
  progress_.pass_blobs_done = 0;
  std::vector<std::vector<std::string>> names(disks_.size());
  for (size_t d = 0; d < disks_.size(); ++d) {
    auto listed = co_await storage_.list_blobs(static_cast<uint32_t>(d));  // keeps the inventory tree true
    if (!listed.is_ok()) continue;  // a gone disk has nothing to scrub; repair moves its fragments
    names[d] = std::move(listed).value();
    progress_.pass_blobs_total += names[d].size();
  }
  for (size_t d = 0; d < disks_.size(); ++d) {
    for (const std::string& name : names[d]) {
      // Twice before reporting; not `||` around co_await (GCC 12 bugs).
      bool ok = co_await verifies(*disks_[d], name);
      if (!ok) ok = co_await verifies(*disks_[d], name);
      // Counted once per fragment until repair rewrites it.
      if (!ok && storage_.report_corrupt(static_cast<uint32_t>(d), name)) ++progress_.corrupt_found;
      ++progress_.blobs_checked;
      ++progress_.pass_blobs_done;
    }
  }
  ++progress_.passes;
}

Task<void> Scrubber::run(std::function<void(const Progress&)> on_pass) {
  for (;;) {
    const Instant start = rt_.now();
    co_await pass();
    if (on_pass) on_pass(progress_);
    const Duration spent = rt_.now() - start;
    if (spent < config_.pass_interval) co_await sleep(rt_, config_.pass_interval - spent);
  }
}

}  // namespace tessera

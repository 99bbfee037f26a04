#include "sim/sim_kv.h"

#include "sim/hash.h"

#include <utility>

namespace tessera::sim {

void SimKv::apply(std::map<std::string, std::string>& map, const KvBatch& batch) {
  for (const KvWrite& w : batch.writes()) {
    if (w.op == KvWrite::Op::kPut) {
      map[w.key] = w.value;
    } else {
      map.erase(w.key);
    }
  }
}

Task<Result<std::string>> SimKv::get(std::string key) {
  co_await sleep(rt_, latency_);
  auto it = current_.find(key);
  if (it == current_.end()) co_return Status(Code::kNotFound, "no such key");
  co_return it->second;
}

Task<Status> SimKv::write(KvBatch batch, Durability durability) {
  co_await sleep(rt_, latency_);
  apply(current_, batch);
  if (durability == Durability::kSync) {
    for (const KvBatch& b : unsynced_) apply(durable_, b);
    unsynced_.clear();
    apply(durable_, batch);
  } else {
    unsynced_.push_back(std::move(batch));
  }
  co_return Status::ok();
}

Task<Result<std::vector<KvPair>>> SimKv::scan(std::string begin, std::string end, size_t limit) {
  co_await sleep(rt_, latency_);
  std::vector<KvPair> out;
  for (auto it = current_.lower_bound(begin);
       it != current_.end() && out.size() < limit && (end.empty() || it->first < end); ++it) {
    out.emplace_back(it->first, it->second);
  }
  co_return out;
}

void SimKv::crash() {
  const size_t kept = random_.below(unsynced_.size() + 1);
  for (size_t i = 0; i < kept; ++i) apply(durable_, unsynced_[i]);
  unsynced_.clear();
  current_ = durable_;
}

uint64_t SimKv::hash_from(const std::string& begin) const {
  uint64_t h = 0;
  for (auto it = current_.lower_bound(begin); it != current_.end(); ++it) {
    h = hash_bytes(it->second, hash_bytes(it->first, h));
  }
  return h;
}

}  // namespace tessera::sim

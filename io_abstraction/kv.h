// Kv: an ordered key-value store with atomic write batches and range scans.
// RocksDB in prod; an in-memory ordered map in the simulator with the same
// crash semantics: a kSync batch is durable with every batch before it; a
// crash may lose a suffix of kBuffered batches, never a middle one.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io_abstraction/disk.h"
#include "io_abstraction/status.h"
#include "io_abstraction/task.h"

namespace tessera {

struct KvWrite {
  enum class Op { kPut, kDelete };
  Op op = Op::kPut;
  std::string key;
  std::string value;
};

class KvBatch {
 public:
  void put(std::string key, std::string value) {
    writes_.push_back({KvWrite::Op::kPut, std::move(key), std::move(value)});
  }
  void remove(std::string key) { writes_.push_back({KvWrite::Op::kDelete, std::move(key), {}}); }
  const std::vector<KvWrite>& writes() const { return writes_; }
  bool empty() const { return writes_.empty(); }

 private:
  std::vector<KvWrite> writes_;
};

using KvPair = std::pair<std::string, std::string>;

class Kv {
 public:
  virtual ~Kv() = default;
  // kNotFound when the key is absent.
  virtual Task<Result<std::string>> get(std::string key) = 0;
  // Applies every write of batch or none.
  virtual Task<Status> write(KvBatch batch, Durability durability) = 0;
  // Pairs with begin <= key < end (end "" = no upper bound), in key order,
  // at most limit of them.
  virtual Task<Result<std::vector<KvPair>>> scan(std::string begin, std::string end,
                                                 size_t limit) = 0;
};

}  // namespace tessera

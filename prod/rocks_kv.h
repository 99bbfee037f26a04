// RocksKv: the production Kv over RocksDB. A kSync batch is written with
// WriteOptions::sync (WAL fsync'd before the task completes). Calls run on
// a small pool of their own and complete on the event loop.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

#include "io_abstraction/kv.h"
#include "prod/blocking_executor.h"

namespace rocksdb {
class DB;
}

namespace tessera::prod {

class RocksKv final : public Kv {
 public:
  static Result<std::unique_ptr<RocksKv>> open(boost::asio::io_context& io, const std::string& path);
  ~RocksKv() override;

  Task<Result<std::string>> get(std::string key) override;
  Task<Status> write(KvBatch batch, Durability durability) override;
  Task<Result<std::vector<KvPair>>> scan(std::string begin, std::string end,
                                         size_t limit) override;

 private:
  RocksKv(boost::asio::io_context& io, std::unique_ptr<rocksdb::DB> db);
  std::unique_ptr<rocksdb::DB> db_;
  BlockingExecutor executor_;
};

}  // namespace tessera::prod

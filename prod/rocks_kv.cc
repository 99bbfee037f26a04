#include "prod/rocks_kv.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

namespace tessera::prod {
namespace {

Status from_rocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::ok();
  if (s.IsNotFound()) return Status(Code::kNotFound, s.ToString());
  if (s.IsCorruption()) return Status(Code::kCorrupt, s.ToString());
  if (s.IsNoSpace()) return Status(Code::kNoSpace, s.ToString());
  if (s.IsInvalidArgument()) return Status(Code::kInvalidArgument, s.ToString());
  return Status(Code::kIoError, s.ToString());
}

}  // namespace

Result<std::unique_ptr<RocksKv>> RocksKv::open(boost::asio::io_context& io, const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) return Status(from_rocks(s).code(), "open " + path + ": " + s.ToString());
  return std::unique_ptr<RocksKv>(new RocksKv(io, std::unique_ptr<rocksdb::DB>(raw)));
}

// One thread: RocksDB is thread-safe, but one writer keeps batches in the
// order they were submitted.
RocksKv::RocksKv(boost::asio::io_context& io, std::unique_ptr<rocksdb::DB> db)
    : db_(std::move(db)), executor_(io, 1) {}

RocksKv::~RocksKv() {
  executor_.join();
  db_.reset();
}

Task<Result<std::string>> RocksKv::get(std::string key) {
  co_return co_await executor_.run([&]() -> Result<std::string> {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (!s.ok()) return from_rocks(s);
    return value;
  });
}

Task<Status> RocksKv::write(KvBatch batch, Durability durability) {
  co_return co_await executor_.run([&]() -> Status {
    rocksdb::WriteBatch wb;
    for (const KvWrite& w : batch.writes()) {
      rocksdb::Status s = w.op == KvWrite::Op::kPut ? wb.Put(w.key, w.value) : wb.Delete(w.key);
      if (!s.ok()) return from_rocks(s);
    }
    rocksdb::WriteOptions options;
    options.sync = durability == Durability::kSync;
    return from_rocks(db_->Write(options, &wb));
  });
}

Task<Result<std::vector<KvPair>>> RocksKv::scan(std::string begin, std::string end, size_t limit) {
  co_return co_await executor_.run([&]() -> Result<std::vector<KvPair>> {
    std::vector<KvPair> out;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(begin); it->Valid() && out.size() < limit; it->Next()) {
      if (!end.empty() && it->key().compare(end) >= 0) break;
      out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) return from_rocks(it->status());
    return out;
  });
}

}  // namespace tessera::prod

// s3_load: a small S3 load generator (prints figures; asserts nothing).
// Threads with blocking Beast clients, one keep-alive connection each, send
// SigV4-signed requests with UNSIGNED-PAYLOAD bodies streamed from one
// repeated 8 MiB block, so the client costs little CPU next to the server.
//   s3_load HOST PORT ACCESS SECRET put|get BUCKET SIZE COUNT CONCURRENCY
// Prints: op, objects, bytes, seconds, MB/s, ops/s, p50/p99 latency (ms).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "prod/s3/sigv4.h"

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string amz_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

struct Config {
  std::string host, port, access, secret, op, bucket;
  uint64_t size = 0;
  uint64_t count = 0;
  unsigned concurrency = 1;
};

// Sends one request; returns false on any failure.
bool one(boost::beast::tcp_stream& stream, const Config& c, const std::string& key, const std::string& block) {
  const std::string path = "/" + c.bucket + "/" + key;
  tessera::prod::s3::SignedRequest sr;
  sr.method = c.op == "put" ? "PUT" : "GET";
  sr.raw_path = path;
  const std::string date = amz_now();
  sr.headers["host"] = c.host + ":" + c.port;
  sr.headers["x-amz-date"] = date;
  sr.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
  const std::string auth = tessera::prod::s3::sign_for_test(sr, c.access, c.secret, date, "us-east-1",
                                                            {"host", "x-amz-content-sha256", "x-amz-date"});
  http::request<http::buffer_body> req{c.op == "put" ? http::verb::put : http::verb::get, path, 11};
  req.set(http::field::host, sr.headers["host"]);
  req.set("x-amz-date", date);
  req.set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  req.set(http::field::authorization, auth);
  boost::system::error_code ec;
  if (c.op == "put") {
    req.content_length(c.size);
    req.body().data = nullptr;
    req.body().more = true;
    http::request_serializer<http::buffer_body> sr_out{req};
    http::write_header(stream, sr_out, ec);
    if (ec) return false;
    for (uint64_t sent = 0; sent < c.size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), c.size - sent));
      req.body().data = const_cast<char*>(block.data());
      req.body().size = n;
      req.body().more = true;
      http::write(stream, sr_out, ec);
      if (ec && ec != http::error::need_buffer) return false;
      sent += n;
    }
    req.body().data = nullptr;
    req.body().more = false;
    http::write(stream, sr_out, ec);
    if (ec) return false;
  } else {
    req.content_length(0);
    req.body().data = nullptr;
    req.body().more = false;
    http::write(stream, req, ec);
    if (ec) return false;
  }
  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(stream, buffer, parser, ec);
  if (ec) return false;
  static thread_local std::string sink(8 << 20, '\0');
  while (!parser.is_done()) {
    parser.get().body().data = sink.data();
    parser.get().body().size = sink.size();
    http::read(stream, buffer, parser, ec);
    if (ec && ec != http::error::need_buffer) return false;
  }
  return parser.get().result_int() == 200;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: s3_load HOST PORT ACCESS SECRET put|get BUCKET SIZE COUNT CONCURRENCY\n");
    return 2;
  }
  Config c{argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], std::stoull(argv[7]), std::stoull(argv[8]),
           static_cast<unsigned>(std::stoul(argv[9]))};
  std::string block(8u << 20, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i + 8 <= block.size(); i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(&block[i], &x, 8);
  }
  std::atomic<uint64_t> next{0}, failed{0};
  std::vector<std::vector<double>> latencies(c.concurrency);
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < c.concurrency; ++t) {
    threads.emplace_back([&, t] {
      boost::asio::io_context io;
      tcp::resolver resolver(io);
      boost::beast::tcp_stream stream(io);
      stream.connect(resolver.resolve(c.host, c.port));
      stream.socket().set_option(tcp::no_delay(true));
      for (uint64_t i; (i = next++) < c.count;) {
        const auto t0 = Clock::now();
        if (!one(stream, c, "load-" + std::to_string(c.size) + "-" + std::to_string(i), block)) ++failed;
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };
  const double bytes = static_cast<double>(c.size) * static_cast<double>(c.count);
  std::printf("%s objects=%llu size=%llu seconds=%.2f mb_s=%.0f ops_s=%.0f p50_ms=%.1f p99_ms=%.1f failed=%llu\n",
              c.op.c_str(), static_cast<unsigned long long>(c.count), static_cast<unsigned long long>(c.size), secs,
              bytes / secs / 1e6, static_cast<double>(c.count) / secs, pct(0.50), pct(0.99),
              static_cast<unsigned long long>(failed.load()));
  return failed.load() == 0 ? 0 : 1;
}

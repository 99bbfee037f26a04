// Prometheus text metrics of the S3 front end: requests by operation and
// status, a latency histogram, bytes in and out; plus gateway counters.
#pragma once

#include <cstdint>
#include <array>
#include <map>
#include <string>
#include <utility>
#include "prod/s3/core_s3.h"

namespace tessera::prod::s3 {

class Metrics {
 public:
  void record(const std::string& op, unsigned status, int64_t micros, uint64_t bytes_in, uint64_t bytes_out);
  // extra: further "name value" lines (gateway and disk gauges).
  std::string render(const std::map<std::string, double>& extra) const;

 private:
  static constexpr double kBucketsS[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30};
  std::map<std::pair<std::string, unsigned>, uint64_t> requests_;
  std::map<std::string, std::array<uint64_t, 10>> latency_;  // cumulative per bucket, last = +Inf
  std::map<std::string, double> latency_sum_;
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
};

}  // namespace tessera::prod::s3

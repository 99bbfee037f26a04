#include "prod/s3/metrics.h"

#include <cmath>
#include <sstream>

namespace tessera::prod::s3 {

void Metrics::record(const std::string& op, unsigned status, int64_t micros, uint64_t bytes_in, uint64_t bytes_out) {
  ++requests_[{op, status}];
  auto& buckets = latency_[op];
  const double s = static_cast<double>(micros) / 1e6;
  for (size_t i = 0; i < std::size(kBucketsS); ++i) {
    if (s <= kBucketsS[i]) ++buckets[i];
  }
  ++buckets[std::size(kBucketsS)];
  latency_sum_[op] += s;
  bytes_in_ += bytes_in;
  bytes_out_ += bytes_out;
}

std::string Metrics::render(const std::map<std::string, double>& extra) const {
  std::ostringstream out;
  out << "# HELP tessera_s3_requests_total S3 requests by operation and HTTP status.\n"
      << "# TYPE tessera_s3_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    out << "tessera_s3_requests_total{op=\"" << k.first << "\",status=\"" << k.second << "\"} " << n << "\n";
  }
  out << "# HELP tessera_s3_request_seconds S3 request latency.\n# TYPE tessera_s3_request_seconds histogram\n";
  for (const auto& [op, b] : latency_) {
    for (size_t i = 0; i < std::size(kBucketsS); ++i) {
      out << "tessera_s3_request_seconds_bucket{op=\"" << op << "\",le=\"" << kBucketsS[i] << "\"} " << b[i] << "\n";
    }
    out << "tessera_s3_request_seconds_bucket{op=\"" << op << "\",le=\"+Inf\"} " << b[std::size(kBucketsS)] << "\n";
    out << "tessera_s3_request_seconds_sum{op=\"" << op << "\"} " << latency_sum_.at(op) << "\n";
    out << "tessera_s3_request_seconds_count{op=\"" << op << "\"} " << b[std::size(kBucketsS)] << "\n";
  }
  out << "# TYPE tessera_s3_bytes_in_total counter\ntessera_s3_bytes_in_total " << bytes_in_ << "\n";
  out << "# TYPE tessera_s3_bytes_out_total counter\ntessera_s3_bytes_out_total " << bytes_out_ << "\n";
  for (const auto& [name, value] : extra) {
    // Byte counts and the like exactly (a stream's default 6 digits round
    // 296599134 to 2.96599e+08); fractions as they come.
    if (value == std::floor(value) && std::fabs(value) < 9e15) {
      out << name << " " << static_cast<int64_t>(value) << "\n";
    } else {
      out << name << " " << value << "\n";
    }
  }
  return out.str();
}

}  // namespace tessera::prod::s3

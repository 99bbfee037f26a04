#include "tools/admin/durability.h"

#include <cmath>

namespace tessera::admin {

std::string check(const DurabilityInputs& in) {
  if (in.k < 1 || in.m < 1) return "k and m must be at least 1";
  if (in.disks < in.k + in.m) return "--disks must be at least k + m (" + std::to_string(in.k + in.m) + ")";
  if (!(in.afr > 0 && in.afr < 1)) return "--afr must be above 0 and below 1 (0.02 is 2% a year)";
  if (!(in.stripes >= 1)) return "--stripes must be at least 1";
  if (!(in.disk_bytes > 0) || !(in.repair_bytes_per_s > 0)) return "--disk-tib and --repair-mib-s must be above 0";
  if (!(in.detect_hours >= 0)) return "--detect-h must not be negative";
  return "";
}

Durability compute(const DurabilityInputs& in) {
  constexpr double kHoursPerYear = 365.25 * 24;
  Durability out;
  const double rebuild_s = in.disk_bytes * (in.k + 1) / in.repair_bytes_per_s;
  out.repair_hours = in.detect_hours + rebuild_s / 3600;
  // A stripe on k+m of D disks includes a given m+1 of them with chance
  // n(n-1)..(n-m) / D(D-1)..(D-m).
  const uint32_t n = in.k + in.m;
  double q = 1;
  for (uint32_t j = 0; j <= in.m; ++j) q *= double(n - j) / double(in.disks - j);
  out.loss_coverage = q >= 1 ? 1.0 : -std::expm1(in.stripes * std::log1p(-q));
  // Per year: a disk's failure rate, and one repair's.
  const double lambda = -std::log1p(-in.afr);
  const double mu = kHoursPerYear / out.repair_hours;
  // Birth-death chain over failed disks 0..m; the (m+1)-th failure loses
  // data with the coverage's chance. tau_i: expected time from i failed to
  // i+1; their sum is the time from none failed to loss.
  double tau = 0, total = 0;
  for (uint32_t i = 0; i <= in.m; ++i) {
    double up = (in.disks - i) * lambda;
    if (i == in.m) up *= out.loss_coverage;
    const double down = i == 0 ? 0 : mu;
    tau = (1 + down * tau) / up;
    total += tau;
  }
  out.mttdl_years = total;
  out.annual_loss_probability = -std::expm1(-1 / total);
  out.nines = -std::log10(out.annual_loss_probability);
  return out;
}

}  // namespace tessera::admin

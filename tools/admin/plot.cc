#include "tools/admin/plot.h"

#include <cstdio>
#include <fstream>
#include <utility>
#include <vector>

namespace tessera::admin {
namespace {

const std::vector<std::pair<uint32_t, uint32_t>> kProfiles = {{4, 2}, {6, 3}, {8, 3}, {10, 4}, {12, 4}, {16, 4}};
const std::vector<double> kRepairHours = {1, 2, 4, 8, 12, 24, 48, 72, 96, 168, 336};

}  // namespace

std::string durability_sweep_csv(const DurabilityInputs& base) {
  std::string out = "repair_hours";
  for (const auto& [k, m] : kProfiles) out += "," + std::to_string(k) + "+" + std::to_string(m);
  out += "\n";
  for (double hours : kRepairHours) {
    char cell[32];
    std::snprintf(cell, sizeof cell, "%g", hours);
    out += cell;
    for (const auto& [k, m] : kProfiles) {
      DurabilityInputs in = base;
      in.k = k;
      in.m = m;
      in.disks = k + m;
      in.detect_hours = hours;  // the whole repair time: rebuild bytes made negligible
      in.disk_bytes = 1;
      in.repair_bytes_per_s = 1e12;
      std::snprintf(cell, sizeof cell, ",%.3f", compute(in).nines);
      out += cell;
    }
    out += "\n";
  }
  return out;
}

std::string plot_durability(const DurabilityInputs& base, const std::string& png) {
  const std::string csv = png + ".csv";
  {
    std::ofstream out(csv);
    out << durability_sweep_csv(base);
    if (!out.flush()) return "cannot write " + csv;
  }
  FILE* gp = ::popen("gnuplot 2>&1", "w");
  if (gp == nullptr) return "cannot run gnuplot (scripts/setup.sh installs gnuplot-nox)";
  char afr[32];
  std::snprintf(afr, sizeof afr, "%.2f", 100 * base.afr);
  std::fprintf(gp,
               "set terminal pngcairo size 900,600\nset output '%s'\nset datafile separator ','\n"
               "set key autotitle columnhead right top\nset logscale x\nset grid\n"
               "set xlabel 'repair time of one disk (hours)'\nset ylabel 'annual durability (nines)'\n"
               "set title 'Tessera durability model: k+m over k+m disks, disk AFR %s%%'\n"
               "plot for [c=2:%zu] '%s' using 1:c with linespoints lw 2\n",
               png.c_str(), afr, kProfiles.size() + 1, csv.c_str());
  const int rc = ::pclose(gp);
  if (rc != 0) return "gnuplot failed (exit " + std::to_string(rc) + "); is gnuplot-nox installed? (scripts/setup.sh)";
  return "";
}

}  // namespace tessera::admin

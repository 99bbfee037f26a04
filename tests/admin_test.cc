// tessera-admin's durability model against closed forms, and its tables.
#include <gtest/gtest.h>

#include <cmath>

#include "tools/admin/durability.h"
#include "tools/admin/tables.h"

namespace tessera::admin {
namespace {

constexpr double kHoursPerYear = 365.25 * 24;

DurabilityInputs layout(uint32_t k, uint32_t m, uint32_t disks, double repair_hours) {
  DurabilityInputs in;
  in.k = k;
  in.m = m;
  in.disks = disks;
  in.detect_hours = repair_hours;
  in.disk_bytes = 1;  // rebuild time negligible: the repair time is detect_hours
  in.repair_bytes_per_s = 1e12;
  return in;
}

TEST(Durability, MirrorMatchesTheClosedForm) {
  // Two disks, one copy each (1+1): MTTDL = (3l + u) / (2 l^2).
  const DurabilityInputs in = layout(1, 1, 2, 24);
  const Durability d = compute(in);
  const double l = -std::log1p(-in.afr), u = kHoursPerYear / 24;
  EXPECT_NEAR(d.mttdl_years / ((3 * l + u) / (2 * l * l)), 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(d.loss_coverage, 1.0);
}

TEST(Durability, SingleParityMatchesTheClosedForm) {
  // n disks, one parity (RAID 5): MTTDL = ((2n-1) l + u) / (n (n-1) l^2).
  const DurabilityInputs in = layout(7, 1, 8, 10);
  const Durability d = compute(in);
  const double l = -std::log1p(-in.afr), u = kHoursPerYear / 10, n = 8;
  EXPECT_NEAR(d.mttdl_years / (((2 * n - 1) * l + u) / (n * (n - 1) * l * l)), 1.0, 1e-9);
  EXPECT_NEAR(d.annual_loss_probability, -std::expm1(-1 / d.mttdl_years), 1e-15);
}

TEST(Durability, ParityAndFastRepairAddNines) {
  const double four = compute(layout(10, 4, 14, 50)).nines;
  EXPECT_GT(four, compute(layout(10, 3, 13, 50)).nines + 2);
  EXPECT_GT(compute(layout(10, 4, 14, 5)).nines, four + 3);
  // Spread over more disks, more sets of 5 can fail together (given
  // enough stripes that some stripe spans any 5).
  DurabilityInputs wide = layout(10, 4, 100, 50);
  wide.stripes = 1e12;
  EXPECT_LT(compute(wide).nines, four - 3);
}

TEST(Durability, FewStripesOverManyDisksRarelyShareFailedDisks) {
  DurabilityInputs in = layout(2, 1, 30, 10);
  in.stripes = 1;
  // One stripe on 3 of 30 disks holds a given 2 with chance 3*2/(30*29).
  EXPECT_NEAR(compute(in).loss_coverage, 6.0 / 870, 1e-12);
  in.stripes = 1e6;
  EXPECT_NEAR(compute(in).loss_coverage, 1.0, 1e-9);
}

TEST(Durability, RepairTimeIsTheDiskTimesKPlusOneAtTheBudget) {
  DurabilityInputs in;
  in.disk_bytes = double(1ull << 40);
  in.repair_bytes_per_s = double(64u << 20);
  in.detect_hours = 0.5;
  // 1 TiB x 11 at 64 MiB/s = 180,224 s.
  EXPECT_NEAR(compute(in).repair_hours, 0.5 + 180224.0 / 3600, 1e-9);
}

TEST(Durability, ChecksNameTheBadInput) {
  DurabilityInputs in;
  in.disks = 12;
  EXPECT_NE(check(in).find("--disks must be at least k + m (14)"), std::string::npos);
  in = DurabilityInputs{};
  in.afr = 1.5;
  EXPECT_NE(check(in).find("--afr"), std::string::npos);
  EXPECT_EQ(check(DurabilityInputs{}), "");
}

TEST(AdminTables, ColumnsAlignToTheWidestCell) {
  Table t({"NODE", "STATE"});
  t.add({"12", "up"});
  t.add({"3", "node down"});
  EXPECT_EQ(t.render(), "NODE  STATE\n12    up\n3     node down\n");
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(double(3ull << 30)), "3.0 GiB");
}

TEST(AdminTables, LostReportNamesEachStripe) {
  const nlohmann::json r = {{"runs_here", true},
                            {"stripes_lost", 1},
                            {"stripes", {{{"bucket", "b"}, {"key", "k"}, {"version_seq", 7}, {"stripe", 2},
                                          {"fragments_left", 1}, {"k", 2}}}}};
  const std::string out = render_lost(r);
  EXPECT_NE(out.find("1 stripes are lost"), std::string::npos) << out;
  EXPECT_NE(out.find("b       k    #7              2       1 of 2 needed"), std::string::npos) << out;
}

}  // namespace
}  // namespace tessera::admin

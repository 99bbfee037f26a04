// How many repair passes after the heal the objects workload allows before
// a stripe still found damaged counts as a liveness failure. Derived from
// the loss that outlasts the heal, not fixed: a pass repairs a damaged
// stripe unless one of the messages its repair takes is lost, so with a
// loss chance L per message and M messages a stripe is still damaged after
// a pass with chance q = 1 - (1-L)^M, and of D damaged stripes one is left
// after n passes with chance at most D * q^n.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tessera::sim {

struct RepairBudgetInput {
  double loss = 0;       // chance a message is lost after the heal
  uint32_t k = 0, m = 0;  // the storage class
  uint64_t damaged = 1;  // an upper bound on the stripes to repair
};

// Messages one stripe's repair takes: k fragment reads and up to m writes
// (a request and a reply each), and the metadata commit of the moves.
inline uint32_t repair_messages(uint32_t k, uint32_t m) { return 2 * (k + m) + 4; }

// The n that makes D * q^n below 1e-4 (1 with no loss), plus the pass that
// may be under way at the heal (it began before it and can miss damage),
// the pass that finds nothing left, one for a storage node restarted at
// the heal that the failure detector has yet to see up, and two for
// damage a pass cannot see yet (a write still in flight at the heal, a
// fragment moved off a disk found gone during the pass).
inline uint64_t repair_passes_allowed(const RepairBudgetInput& in) {
  constexpr uint64_t kOverhead = 5;
  constexpr double kMissChance = 1e-4;
  const double q = 1 - std::pow(1 - in.loss, repair_messages(in.k, in.m));
  if (q <= 0) return 1 + kOverhead;
  if (q >= 1) return 1000 + kOverhead;  // nothing gets through: the time limit decides
  const double damaged = static_cast<double>(in.damaged == 0 ? 1 : in.damaged);
  const auto n = static_cast<uint64_t>(std::ceil(std::log(kMissChance / damaged) / std::log(q)));
  return std::max<uint64_t>(n, 1) + kOverhead;
}

}  // namespace tessera::sim

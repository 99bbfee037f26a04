// tessera-admin durability --plot: nines against repair time for several
// k+m profiles, drawn by gnuplot (Debian's gnuplot-nox) into a PNG.
#pragma once

#include <string>

#include "tools/admin/durability.h"

namespace tessera::admin {

// The table plotted: a header, then per repair time (hours) the nines of
// each profile over its own k+m disks (base gives AFR and stripes).
std::string durability_sweep_csv(const DurabilityInputs& base);
// Writes png (and its data beside it, png + ".csv"); "" on success, else
// what went wrong.
std::string plot_durability(const DurabilityInputs& base, const std::string& png);

}  // namespace tessera::admin

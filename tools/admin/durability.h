// The durability of a k+m erasure-coded layout, computed from a Markov
// model rather than claimed. The chain counts failed disks among `disks`
// (each fails at the rate of its annual failure rate) and repairs one at a
// time (the rate of one disk's rebuild: detection plus its bytes times the
// k+1 fragment reads and writes a rebuilt fragment costs, at the repair
// budget). Data is lost at the (m+1)-th concurrent failure if some stripe
// has a fragment on each failed disk: certain when every stripe spans
// every disk (the embedded default), else 1 - (1 - q)^stripes with q the
// chance one stripe's k+m disks include a given m+1 of them. Disks fail
// independently: a rack or a host that takes several at once, or disk
// directories sharing one device, are outside the model.
#pragma once

#include <cstdint>
#include <string>

namespace tessera::admin {

struct DurabilityInputs {
  uint32_t k = 10;
  uint32_t m = 4;
  uint32_t disks = 14;             // disks stripes are spread over (>= k+m)
  double stripes = 1;              // stripes stored (each on k+m of the disks)
  double afr = 0.02;               // annual failure rate of one disk
  double disk_bytes = double(1ull << 40);  // what a failed disk held
  double repair_bytes_per_s = double(64u << 20);  // repair's budget of fragment bytes read and written
  double detect_hours = 0.2;       // failure to rebuild start (repair interval, node-out grace)
};

struct Durability {
  double repair_hours = 0;          // one disk's rebuild, detection included
  double loss_coverage = 0;         // chance m+1 failed disks share a stripe
  double mttdl_years = 0;           // mean time to data loss
  double annual_loss_probability = 0;
  double nines = 0;                 // -log10(annual loss probability)
};

// "" when the inputs make sense, else what is wrong.
std::string check(const DurabilityInputs& in);
// in must pass check().
Durability compute(const DurabilityInputs& in);

}  // namespace tessera::admin

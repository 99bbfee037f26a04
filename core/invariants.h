// The protocol's invariants, by name. Core asserts each where it must hold
// (INVARIANT), and the simulator's checkers report violations under the
// same names, so a failed assertion and a checker's report point at the
// same rule.
#pragma once

#include <cstdio>  // one-rule-exempt: a failed INVARIANT reports to stderr
#include <cstdlib>

namespace tessera::invariant {

// At most one fragment of a stripe per disk and at most m in any failure
// domain at the storage class's level: losing a domain leaves >= k.
inline constexpr const char kPlacement[] = "placement";
// Commit-metadata-last: a version is committed only after every fragment
// of every stripe it references is durable (acknowledged by its disk).
// Checked by the simulator as no_torn_objects and durability.
inline constexpr const char kCommitLast[] = "commit_last";
// A read returns the newest acknowledged write, or a newer one, never an
// older one or bytes no write wrote.
inline constexpr const char kReadAfterWrite[] = "read_after_write";
// Every fragment of a stripe is named by the stripe's version
// (FragmentId.version): a read or a repair never mixes two writes' bytes.
inline constexpr const char kStripeVersion[] = "stripe_version";
// GC deletes only stripes recorded as garbage (atomically with dropping
// their last reference) and only once the grace has passed.
inline constexpr const char kGcNeverDeletesReferenced[] = "gc_never_deletes_referenced";
// Every acknowledged object reads back, whole, after the faults heal.
inline constexpr const char kDurability[] = "durability";

[[noreturn]] inline void failed(const char* name, const char* expr, const char* file, int line) {
  std::fprintf(stderr, "INVARIANT %s failed: %s at %s:%d\n", name, expr, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tessera::invariant

// Always on, in every build type, like ASSERT.
#define INVARIANT(name, expr) \
  ((expr) ? static_cast<void>(0) : ::tessera::invariant::failed(name, #expr, __FILE__, __LINE__))

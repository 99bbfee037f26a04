#include "core/codec/simd.h"

#include <immintrin.h>

namespace tessera {

__attribute__((target("avx"))) static void zero_upper_avx() { _mm256_zeroupper(); }

void simd_zero_upper() {
  static const bool has_avx = __builtin_cpu_supports("avx");
  if (has_avx) zero_upper_avx();
}

}  // namespace tessera

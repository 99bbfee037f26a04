// ISA-L's AVX kernels return without VZEROUPPER, which slows the SSE code
// that runs next (OpenSSL's SHA-256 by ~25% on this machine). Call this
// after every ISA-L call.
#pragma once

namespace tessera {
void simd_zero_upper();
}

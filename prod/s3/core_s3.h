// prod/s3/ is the HTTP side of core/s3/: it speaks core's S3 vocabulary
// (S3Request, s3_status, the checksums) unqualified.
#pragma once

namespace tessera::s3 {}
namespace tessera::prod::s3 {
using namespace ::tessera::s3;  // NOLINT(build/namespaces): one layer over the other
}  // namespace tessera::prod::s3

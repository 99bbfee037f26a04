// S3's checksum rules for multipart uploads (the flexible-checksums
// family): the algorithm and type named at creation, each part's checksum,
// and the whole object's at completion: COMPOSITE (the checksum of the
// parts' checksums, "...-N") or FULL_OBJECT (the CRC of all the bytes,
// combined from the parts' CRCs without reading them again).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/metadata/metadata_store.h"
#include "io_abstraction/status.h"

namespace tessera::s3 {

struct ChecksumRule {
  std::string algorithm;  // "CRC32", ...; "" for none
  std::string type;       // "COMPOSITE" or "FULL_OBJECT"; "" with no algorithm
};

// From CreateMultipartUpload's x-amz-checksum-algorithm and -type (either
// may be ""): the type defaults to FULL_OBJECT for CRC64NVME, COMPOSITE for
// the others; SHA-1/SHA-256 cannot be FULL_OBJECT, CRC64NVME cannot be
// COMPOSITE (InvalidRequest, as from S3).
Result<ChecksumRule> checksum_rule(const std::string& algorithm, const std::string& type);

// The checksum headers a part upload sends (x-amz-checksum-* headers and the
// announced x-amz-trailer): InvalidRequest when one is not the upload's
// algorithm. Returns the upload's checksum header ("" for none).
Result<std::string> part_checksum_header(const ChecksumRule& rule, const std::vector<std::string>& sent);

// A part named in CompleteMultipartUpload with the checksums it gives.
struct CompletingPart {
  CompletedPart part;
  std::map<std::string, std::string> checksums;  // x-amz-checksum-<alg> -> base64
};

// Checks the given part checksums against the uploaded parts (InvalidPart on
// a difference) and returns the headers the object keeps: its checksum and
// x-amz-checksum-type, when the upload has an algorithm. expected is the
// request's own x-amz-checksum-<alg> value ("" for none): BadDigest when it
// differs. uploaded maps part numbers to their records.
Result<std::vector<proto::MetadataEntry>> completion_checksums(
    const ChecksumRule& rule, const std::vector<CompletingPart>& wanted,
    const std::map<uint32_t, proto::UploadPartRecord>& uploaded, const std::string& expected);

}  // namespace tessera::s3

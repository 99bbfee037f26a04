// The wire form of the MetadataStore results that are not messages
// already, shared by MetadataService (its replies) and KvMetadataStore
// (the replies it records for once-writes).
#pragma once

#include "core/metadata/metadata_store.h"
#include "metadata_rpc.pb.h"

namespace tessera {

inline proto::MetaDeleted wire_deleted(DeleteResult d) {
  proto::MetaDeleted out;
  out.set_version_id(std::move(d.version_id));
  out.set_delete_marker(d.delete_marker);
  if (d.removed) *out.mutable_removed() = std::move(*d.removed);
  return out;
}

inline proto::MetaReplacedPart wire_replaced(std::optional<proto::UploadPartRecord> replaced) {
  proto::MetaReplacedPart out;
  if (replaced) *out.mutable_replaced() = std::move(*replaced);
  return out;
}

inline proto::MetaPartList wire_parts(std::vector<proto::UploadPartRecord> parts) {
  proto::MetaPartList out;
  for (auto& p : parts) *out.add_parts() = std::move(p);
  return out;
}

}  // namespace tessera

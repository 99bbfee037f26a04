#include "sim/workloads/repair_audit.h"

#include <cstring>
#include <set>
#include <tuple>

#include "core/codec/reed_solomon.h"
#include "core/gateway/gateway_util.h"
#include "core/storage/fragment_format.h"

namespace tessera::sim {
namespace {

std::string describe(const Repairer::ReferencedStripe& s) {
  const StripeOwner& o = s.owner;
  return o.bucket + "/" + o.key + (o.upload_id.empty() ? " version " + std::to_string(o.version)
                                                       : " upload part " + std::to_string(o.upload_part)) +
         " stripe " + std::to_string(s.part.number());
}

}  // namespace

void audit_stripes(const std::vector<Repairer::ReferencedStripe>& stripes, SimCluster& cluster, Violations& out) {
  for (const auto& s : stripes) {
    const proto::StripeRecord& part = s.part;
    const uint32_t n = part.k() + part.m();
    auto codec = ReedSolomon::create(part.k(), part.m());
    if (!codec.is_ok() || static_cast<uint32_t>(part.fragments_size()) != n) {
      out.add("repair", describe(s) + ": malformed stripe record");
      continue;
    }
    std::vector<std::string> data(n);
    bool whole = true;
    for (uint32_t i = 0; i < n; ++i) {
      const auto& loc = part.fragments(static_cast<int>(i));
      const proto::FragmentId id = gateway_util::fragment_id(s.object, s.fragment_version, part.number(), i);
      std::optional<std::string> blob;
      if (loc.node() < cluster.size() && loc.disk() < cluster.disks_per_node()) {
        blob = cluster.disk(loc.node(), loc.disk()).peek(s.blob_names[i]);
      }
      if (!blob) {
        out.add("repair", describe(s) + ": fragment " + std::to_string(i) + " missing from node " +
                              std::to_string(loc.node()) + " disk " + std::to_string(loc.disk()));
        whole = false;
        continue;
      }
      auto decoded = decode_fragment_blob(std::move(*blob), id);
      if (!decoded.is_ok() || decoded.value().data.size() != part.fragment_bytes()) {
        out.add("repair", describe(s) + ": fragment " + std::to_string(i) + " does not verify: " +
                              (decoded.is_ok() ? std::string("wrong size") : decoded.status().message()));
        whole = false;
        continue;
      }
      data[i] = std::move(decoded.value().data);
    }
    if (!whole) continue;
    std::string joined;
    for (uint32_t i = 0; i < part.k(); ++i) joined += data[i];
    EncodedPart encoded;
    codec.value().encode(joined, encoded);
    for (uint32_t i = part.k(); i < n; ++i) {
      if (encoded.fragments[i] != data[i]) {
        out.add("repair", describe(s) + ": parity fragment " + std::to_string(i) + " does not match the data");
      }
    }
  }
}

void check_no_orphans(const std::vector<Repairer::ReferencedStripe>& stripes, SimCluster& cluster, Violations& out) {
  std::set<std::tuple<uint32_t, uint32_t, std::string>> referenced;
  for (const auto& s : stripes) {
    for (uint32_t i = 0; i < static_cast<uint32_t>(s.part.fragments_size()); ++i) {
      const auto& loc = s.part.fragments(static_cast<int>(i));
      referenced.emplace(loc.node(), loc.disk(), s.blob_names[i]);
    }
  }
  for (uint32_t node = 0; node < cluster.size(); ++node) {
    for (uint32_t d = 0; d < cluster.disks_per_node(); ++d) {
      for (const std::string& name : cluster.disk(node, d).names()) {
        if (name.rfind("f-", 0) != 0 || referenced.count({node, d, name}) > 0) continue;
        out.add("space", "node " + std::to_string(node) + " disk " + std::to_string(d) + " holds " + name +
                             ", which nothing references, after garbage collection and the orphan sweep");
      }
    }
  }
}

}  // namespace tessera::sim

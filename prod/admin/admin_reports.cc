#include "prod/admin/admin_reports.h"

#include <algorithm>

namespace tessera::prod::admin_reports {
namespace {

// A disk's state as an operator reads it: gone (its node, a write or
// repair said so), its node's state when that is not up, else up, or full
// when placement cannot use it.
std::string disk_state(const Node& node, const DiskInfo& d) {
  if (d.gone) return "gone";
  if (node.cluster_map() != nullptr) {
    const NodeState st = node.cluster_map()->state(NodeId(d.ref.node));
    if (st != NodeState::kUp) return std::string("node ") + node_state_name(st);
  }
  return d.writable ? "up" : "read-only";
}

json disk_row(const Node& node, const DiskInfo& d) {
  uint64_t used = d.used_bytes, free = d.free_bytes;
  // This node's own disks: what they hold now, not placement's estimate.
  if (d.ref.node == node.id().value && d.ref.disk < node.local_disks().size()) {
    auto space = node.local_disks()[d.ref.disk]->space();
    if (space.is_ok()) {
      used = space.value().used_bytes;
      free = space.value().free_bytes;
    }
  }
  json row = {{"node", d.ref.node},   {"disk", d.ref.disk},           {"zone", d.zone},
              {"rack", d.rack},       {"state", disk_state(node, d)}, {"capacity_bytes", d.capacity_bytes},
              {"used_bytes", used}};
  if (free != UINT64_MAX) row["free_bytes"] = free;
  const uint64_t room = free == UINT64_MAX ? d.capacity_bytes : std::min(d.capacity_bytes, used + free);
  row["fill"] = room == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(room);
  return row;
}

json node_rows(Node& node) {
  std::map<uint32_t, json> nodes;
  for (const DiskInfo& d : node.gateway()->stripes().disks()) {
    json& n = nodes[d.ref.node];
    if (n.is_null()) {
      n = {{"id", d.ref.node}, {"zone", d.zone}, {"rack", d.rack}, {"disks", 0}, {"state", "up"}};
      if (const Heartbeater* hb = node.heartbeats(); hb && node.cluster_map()) {
        n["state"] = node_state_name(node.cluster_map()->state(NodeId(d.ref.node)));
        n["silent_ms"] = hb->silent_for(NodeId(d.ref.node)).us / 1000;
      }
    }
    n["disks"] = n["disks"].get<uint32_t>() + 1;
  }
  json out = json::array();
  for (auto& [id, n] : nodes) out.push_back(std::move(n));
  return out;
}

// The reply of a gateway that does not run the background work asked of it.
json not_here(const std::string& what) {
  return {{"runs_here", false},
          {"message", "this gateway does not run " + what + "; the gateway with the lowest node id does"}};
}

}  // namespace

json status(const AdminSources& s) {
  Node& node = *s.node;
  json classes = json::array();
  for (const StorageClass& c : node.gateway()->config().storage_classes) {
    classes.push_back({{"name", c.name}, {"k", c.k}, {"m", c.m}, {"failure_domain", failure_domain_name(c.level)}});
  }
  json disks = json::array();
  for (const DiskInfo& d : node.gateway()->stripes().disks()) disks.push_back(disk_row(node, d));
  json out = {{"gateway", node.id().value},
              {"background", node.plan().background},
              {"storage_classes", std::move(classes)},
              {"nodes", node_rows(node)},
              {"disks", std::move(disks)}};
  if (node.cluster_map()) out["cluster_map_version"] = node.cluster_map()->version();
  return out;
}

Task<json> metadata(const AdminSources& s) {
  json out = json::object();
  if (!s.replicas.empty()) {
    json replicas = json::array();
    for (const RaftReplica* r : s.replicas) replicas.push_back({{"id", r->id().value}, {"state", r->describe()}});
    out["replicas"] = std::move(replicas);
  } else if (s.remote != nullptr) {
    const Status probe = co_await s.remote->probe(Duration::seconds(2));
    out["remote"] = true;
    out["answers"] = probe.is_ok();
    if (!probe.is_ok()) out["problem"] = probe.message();
  } else {
    out["replicas"] = json::array();
    out["single_copy"] = true;
  }
  co_return out;
}

json heal(const AdminSources& s) {
  const Repairer* repairer = s.node->repairer();
  if (!s.node->plan().background || repairer == nullptr) {
    return not_here("repair");
  }
  const Repairer::Progress& p = repairer->progress();
  json by_survivors = json::object();
  for (const auto& [left, count] : p.pass_damaged_by_survivors) by_survivors[std::to_string(left)] = count;
  const uint64_t rate = repairer->config().bytes_per_second;
  const uint64_t left = p.pass_rebuild_bytes - std::min(p.pass_rebuild_bytes, p.pass_rebuild_bytes_done);
  return {{"runs_here", true},
          {"interval_s", s.node->plan().repair_interval.us / 1000000},
          {"passes", p.passes},
          {"in_pass", p.in_pass},
          {"pass",
           {{"stripes", p.pass_stripes_total},
            {"damaged", p.pass_stripes_damaged},
            {"done", p.pass_stripes_done},
            {"damaged_by_fragments_left", std::move(by_survivors)},
            {"repair_bytes", p.pass_rebuild_bytes},
            {"repair_bytes_done", p.pass_rebuild_bytes_done}}},
          {"repair_bytes_per_second", rate},
          {"eta_s", p.in_pass && rate > 0 ? static_cast<double>(left) / static_cast<double>(rate) : 0.0},
          {"heals_waiting", repairer->heals_waiting()},
          {"stripes_repaired_total", p.stripes_repaired},
          {"fragments_rebuilt_in_place_total", p.fragments_rebuilt},
          {"fragments_moved_total", p.fragments_moved},
          {"stripes_unrepairable_total", p.stripes_unrepairable},
          {"stripes_lost", p.stripes_lost},
          {"orphans_pending", p.orphans_pending},
          {"orphans_deleted_total", p.orphans_deleted}};
}

json scrub(const AdminSources& s) {
  std::map<NodeId, proto::ScrubReport> reports = s.node->scrub_reports();
  if (const Scrubber* local = s.node->scrubber()) reports[s.node->id()] = scrub_report(*local, s.node->plan().scrub);
  json nodes = json::array();
  for (const auto& [id, r] : reports) {
    nodes.push_back({{"node", id.value},
                     {"passes", r.passes()},
                     {"pass_fragments_done", r.pass_fragments_done()},
                     {"pass_fragments_total", r.pass_fragments_total()},
                     {"fragments_checked_total", r.fragments_checked()},
                     {"bytes_checked_total", r.bytes_checked()},
                     {"corrupt_found_total", r.corrupt_found()},
                     {"bytes_per_second", r.bytes_per_second()}});
  }
  return {{"nodes", std::move(nodes)}};
}

Task<Result<json>> gc(const AdminSources& s) {
  GarbageCollector* collector = s.node->collector();
  const GarbageCollector::Schedule& sched = collector->schedule();
  if (!s.node->plan().background || sched.interval.us == 0) {
    co_return not_here("GC");
  }
  constexpr size_t kScanMax = 100000;
  auto backlog = co_await collector->backlog(kScanMax);
  if (!backlog.is_ok()) co_return backlog.status();
  const GarbageCollector::Backlog& b = backlog.value();
  json out = {{"runs_here", true},
              {"interval_s", static_cast<double>(sched.interval.us) / 1e6},
              {"grace_s", static_cast<double>(sched.grace.us) / 1e6},
              {"passes", sched.passes},
              {"records", b.records},
              {"records_due", b.records_due},
              {"fragments", b.fragments},
              {"bytes", b.bytes},
              {"truncated", b.truncated},
              {"fragments_collected_total", collector->fragments_collected()}};
  if (sched.last_pass_ms > 0) {
    out["last_pass_unix_ms"] = sched.last_pass_ms;
    out["next_pass_unix_ms"] = sched.last_pass_ms + sched.interval.us / 1000;
  }
  if (b.oldest_ms > 0) out["oldest_unix_ms"] = b.oldest_ms;
  co_return out;
}

json lost(const AdminSources& s) {
  const Repairer* repairer = s.node->repairer();
  if (!s.node->plan().background || repairer == nullptr) {
    return not_here("repair");
  }
  json stripes = json::array();
  for (const Repairer::LostStripe& l : repairer->lost_stripes()) {
    json row = {{"bucket", l.owner.bucket}, {"key", l.owner.key},        {"stripe", l.number},
                {"fragments_left", l.fragments_left}, {"k", l.k}};
    if (l.owner.upload_id.empty()) {
      row["version_seq"] = l.owner.version;  // Tessera's own order, not the S3 version id
    } else {
      row["upload_id"] = l.owner.upload_id;
      row["part"] = l.owner.upload_part;
    }
    stripes.push_back(std::move(row));
  }
  return {{"runs_here", true},
          {"stripes_lost", repairer->progress().stripes_lost},
          {"report_max", Repairer::kLostReportMax},
          {"stripes", std::move(stripes)}};
}

}  // namespace tessera::prod::admin_reports

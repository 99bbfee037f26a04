#include "tools/admin/tables.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace tessera::admin {

using nlohmann::json;

namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string num(const json& v) { return v.is_null() ? "-" : v.dump(); }

// A field the server may leave out (older servers, or not this gateway).
uint64_t u64(const json& r, const char* name) { return r.contains(name) ? r[name].get<uint64_t>() : 0; }

std::string seconds(double s) {
  if (s < 120) return fixed(s, s < 10 ? 1 : 0) + " s";
  if (s < 7200) return fixed(s / 60, 0) + " min";
  return fixed(s / 3600, 1) + " h";
}

}  // namespace

std::string human_bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  size_t u = 0;
  while (bytes >= 1024 && u + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++u;
  }
  return (u == 0 ? fixed(bytes, 0) : fixed(bytes, bytes < 10 ? 1 : 0)) + " " + kUnits[u];
}

std::string Table::render() const {
  std::vector<size_t> width;
  for (const auto& row : rows_) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string render_status(const json& r) {
  std::string out = "Gateway node " + num(r["gateway"]) +
                    (r["background"].get<bool>() ? " (runs repair, GC and the orphan sweep)" : "") + "\n";
  out += "Storage classes:";
  for (const json& c : r["storage_classes"]) {
    out += " " + c["name"].get<std::string>() + " " + num(c["k"]) + "+" + num(c["m"]) + " across " +
           c["failure_domain"].get<std::string>() + (c == r["storage_classes"].back() ? "" : ",");
  }
  out += "\n";
  const json& md = r["metadata"];
  if (md.contains("remote")) {
    out += std::string("Metadata: a group over the network, ") +
           (md["answers"].get<bool>() ? "answering" : "not answering: " + md.value("problem", "")) + "\n";
  } else if (md.value("single_copy", false)) {
    out += "Metadata: one copy in this process (a data directory from before replication)\n";
  } else {
    out += "Metadata: " + std::to_string(md["replicas"].size()) + " replicas in this process\n";
    for (const json& rep : md["replicas"]) out += "  replica " + num(rep["id"]) + ": " + rep["state"].get<std::string>() + "\n";
  }
  std::map<std::string, int> node_states, disk_states;
  Table nodes({"NODE", "ZONE", "RACK", "STATE", "DISKS", "SILENT"});
  for (const json& n : r["nodes"]) {
    ++node_states[n["state"].get<std::string>()];
    nodes.add({num(n["id"]), num(n["zone"]), num(n["rack"]), n["state"].get<std::string>(), num(n["disks"]),
               n.contains("silent_ms") ? seconds(n["silent_ms"].get<double>() / 1000) : "-"});
  }
  auto summary = [](const std::map<std::string, int>& states) {
    std::string s;
    for (const auto& [state, count] : states) s += (s.empty() ? "" : ", ") + std::to_string(count) + " " + state;
    return s;
  };
  Table disks({"NODE", "DISK", "ZONE", "RACK", "STATE", "USED", "FREE", "FILL"});
  for (const json& d : r["disks"]) {
    ++disk_states[d["state"].get<std::string>()];
    disks.add({num(d["node"]), num(d["disk"]), num(d["zone"]), num(d["rack"]), d["state"].get<std::string>(),
               human_bytes(d["used_bytes"].get<double>()),
               d.contains("free_bytes") ? human_bytes(d["free_bytes"].get<double>()) : "-",
               fixed(100 * d["fill"].get<double>(), 1) + "%"});
  }
  out += "\nStorage nodes: " + std::to_string(r["nodes"].size()) + " (" + summary(node_states) + ")\n" + nodes.render();
  out += "\nDisks: " + std::to_string(r["disks"].size()) + " (" + summary(disk_states) + ")\n" + disks.render();
  return out;
}

std::string render_heal(const json& r) {
  if (!r["runs_here"].get<bool>()) return r["message"].get<std::string>() + "\n";
  const json& p = r["pass"];
  const double rate = r["repair_bytes_per_second"].get<double>();
  std::string out = "Repair: a pass every " + num(r["interval_s"]) + " s at up to " + human_bytes(rate) + "/s; " +
                    num(r["passes"]) + " passes done" + (r["in_pass"].get<bool>() ? ", one under way" : "") + "\n";
  out += std::string(r["in_pass"].get<bool>() ? "This pass: " : "Last pass: ") + num(p["stripes"]) +
         " stripes referenced, " + num(p["damaged"]) + " damaged, " + num(p["done"]) + " of those handled\n";
  if (u64(p, "damaged") > 0) {
    out += "Repair traffic: " + human_bytes(p["repair_bytes_done"].get<double>()) + " of " +
           human_bytes(p["repair_bytes"].get<double>()) + " (k reads and a write per rebuilt fragment)";
    if (r["in_pass"].get<bool>()) out += ", ETA " + seconds(r["eta_s"].get<double>());
    out += "\n";
    Table by({"FRAGMENTS LEFT", "STRIPES"});
    for (const auto& [left, count] : p["damaged_by_fragments_left"].items()) by.add({left, num(count)});
    out += "Damaged stripes by fragments left (fewest are repaired first):\n" + by.render();
  }
  out += "Heals queued by reads: " + num(r["heals_waiting"]) + "\n";
  out += "Since start: " + num(r["stripes_repaired_total"]) + " stripes repaired (" +
         num(r["fragments_rebuilt_in_place_total"]) + " fragments rebuilt in place, " +
         num(r["fragments_moved_total"]) + " moved), " + num(r["stripes_unrepairable_total"]) + " unrepairable; " +
         num(r["stripes_lost"]) + " stripes lost (tessera-admin lost); orphans: " + num(r["orphans_pending"]) +
         " pending, " + num(r["orphans_deleted_total"]) + " deleted\n";
  return out;
}

std::string render_scrub(const json& r) {
  if (r["nodes"].empty()) return "No scrubber reports (scrub is off, or no storage node has been heard yet)\n";
  Table t({"NODE", "PASSES", "THIS PASS", "CHECKED", "CORRUPT FOUND", "RATE"});
  uint64_t corrupt = 0;
  for (const json& n : r["nodes"]) {
    const double total = n["pass_fragments_total"].get<double>();
    const std::string pass = total == 0 ? "-" : num(n["pass_fragments_done"]) + "/" + num(n["pass_fragments_total"]) +
                                                    " (" + fixed(100 * n["pass_fragments_done"].get<double>() / total, 0) + "%)";
    corrupt += n["corrupt_found_total"].get<uint64_t>();
    t.add({num(n["node"]), num(n["passes"]), pass, human_bytes(n["bytes_checked_total"].get<double>()),
           num(n["corrupt_found_total"]), human_bytes(n["bytes_per_second"].get<double>()) + "/s"});
  }
  return "Scrub: " + std::to_string(r["nodes"].size()) + (r["nodes"].size() == 1 ? " storage node, " : " storage nodes, ") + std::to_string(corrupt) +
         " corrupt fragments found since they started (repair rebuilds them)\n" + t.render();
}

std::string render_gc(const json& r, int64_t now_ms) {
  if (!r["runs_here"].get<bool>()) return r["message"].get<std::string>() + "\n";
  std::string out = "GC: a pass every " + num(r["interval_s"]) + " s deletes garbage older than " +
                    num(r["grace_s"]) + " s; " + num(r["passes"]) + " passes done";
  if (r.contains("next_pass_unix_ms")) {
    out += ", next in " + seconds(std::max<double>(0, static_cast<double>(r["next_pass_unix_ms"].get<int64_t>() - now_ms) / 1000));
  }
  out += "\nBacklog: " + num(r["records"]) + (r["truncated"].get<bool>() ? "+" : "") + " records, " +
         num(r["fragments"]) + " fragments, " + human_bytes(r["bytes"].get<double>()) + "; " + num(r["records_due"]) +
         " records past the grace";
  if (r.contains("oldest_unix_ms")) {
    out += "; the oldest recorded " + seconds(std::max<double>(0, static_cast<double>(now_ms - r["oldest_unix_ms"].get<int64_t>()) / 1000)) + " ago";
  }
  out += "\nCollected since start: " + num(r["fragments_collected_total"]) + " fragments\n";
  return out;
}

std::string render_lost(const json& r) {
  if (!r["runs_here"].get<bool>()) return r["message"].get<std::string>() + "\n";
  if (r["stripes"].empty()) return "No lost stripes: every stripe repair has seen has at least k fragments\n";
  Table t({"BUCKET", "KEY", "VERSION/UPLOAD", "STRIPE", "FRAGMENTS LEFT"});
  for (const json& s : r["stripes"]) {
    const std::string which = s.contains("upload_id") ? "upload " + s["upload_id"].get<std::string>() + " part " + num(s["part"])
                                                      : "#" + num(s["version_seq"]);
    t.add({s["bucket"].get<std::string>(), s["key"].get<std::string>(), which, num(s["stripe"]),
           num(s["fragments_left"]) + " of " + num(s["k"]) + " needed"});
  }
  return num(r["stripes_lost"]) + " stripes are lost (fewer than k fragments exist anywhere); GETs of them fail with " +
         "500 InternalError:\n" + t.render();
}

std::string render_durability(const DurabilityInputs& in, const Durability& d) {
  std::string out = "Model: " + std::to_string(in.k) + "+" + std::to_string(in.m) + " over " +
                    std::to_string(in.disks) + " disks, " + fixed(in.stripes, 0) + " stripes, disk AFR " +
                    fixed(100 * in.afr, 2) + "%, " + human_bytes(in.disk_bytes) + " per disk rebuilt at " +
                    human_bytes(in.repair_bytes_per_s) + "/s\n";
  out += "Repair of one disk: " + fixed(d.repair_hours, 1) + " h (" + fixed(in.detect_hours, 2) +
         " h to notice, then its bytes x (k+1) at the repair budget)\n";
  out += "Chance " + std::to_string(in.m + 1) + " failed disks share a stripe: " + fixed(d.loss_coverage, 4) + "\n";
  char mttdl[64], loss[64];
  std::snprintf(mttdl, sizeof mttdl, "%.3g", d.mttdl_years);
  std::snprintf(loss, sizeof loss, "%.3g", d.annual_loss_probability);
  out += "Mean time to data loss: " + std::string(mttdl) + " years\n";
  out += "Annual chance of losing data: " + std::string(loss) + " (durability " + fixed(d.nines, 1) + " nines)\n";
  out += "Assumes disks fail independently: disk directories on one device, or a host or rack lost at once, "
         "are not in this figure.\n";
  return out;
}

}  // namespace tessera::admin

// tessera-admin's human output: the admin endpoint's JSON reports as
// aligned tables and sentences (--json prints the reports as they came).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/admin/durability.h"

namespace tessera::admin {

// 1536 -> "1.5 KiB".
std::string human_bytes(double bytes);

// Columns padded to their widest cell, one line per row.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string render_status(const nlohmann::json& r);
std::string render_heal(const nlohmann::json& r);
std::string render_scrub(const nlohmann::json& r);
// now_ms: the client's clock, for "next pass in".
std::string render_gc(const nlohmann::json& r, int64_t now_ms);
std::string render_lost(const nlohmann::json& r);
std::string render_durability(const DurabilityInputs& in, const Durability& d);

}  // namespace tessera::admin

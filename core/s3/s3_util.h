// Formatting shared by the S3 operations: dates, ETags, XML documents.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>  // one-rule-exempt: calendar arithmetic (gmtime_r, timegm, strftime) reads no clock
#include <pugixml.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::s3 {

inline std::string format_time(int64_t unix_ms, const char* fmt) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
// RFC 7231 (Last-Modified) and ISO 8601 (XML listings).
inline std::string http_date(int64_t unix_ms) { return format_time(unix_ms, "%a, %d %b %Y %H:%M:%S GMT"); }
inline std::string iso_date(int64_t unix_ms) {
  return format_time(unix_ms, "%Y-%m-%dT%H:%M:%S.") + std::to_string(1000 + unix_ms % 1000).substr(1) + "Z";
}
// Parses an HTTP date; -1 when malformed.
inline int64_t parse_http_date_ms(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// The items of a comma-separated header value ("a, b,c"), each without
// the spaces around it; empty items are dropped.
inline std::vector<std::string> comma_list(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    const size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const size_t first = item.find_first_not_of(' ');
    if (first == std::string_view::npos) continue;
    item = item.substr(first, item.find_last_not_of(' ') - first + 1);
    out.emplace_back(item);
  }
  return out;
}

// A byte position: 1 to 19 decimal digits (no sign, no spaces).
inline std::optional<uint64_t> decimal(const std::string& s) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(s);
}

// Whether a and b are the same ASCII text but for letter case (header names).
inline bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

inline std::string quoted(const std::string& etag) { return "\"" + etag + "\""; }
inline std::string unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

// An S3 XML document: <root xmlns="http://s3.amazonaws.com/doc/2006-03-01/">.
class XmlDoc {
 public:
  explicit XmlDoc(const char* root_name) {
    auto decl = doc_.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    root_ = doc_.append_child(root_name);
    root_.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  }
  pugi::xml_node root() { return root_; }
  std::string str() const {
    std::ostringstream out;
    doc_.save(out, "", pugi::format_raw);
    return out.str();
  }

 private:
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

inline void add_text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text() = value.c_str();
}

inline void add_owner(pugi::xml_node parent, const std::string& owner) {
  auto o = parent.append_child("Owner");
  add_text(o, "ID", owner);
  add_text(o, "DisplayName", owner);
}

}  // namespace tessera::s3

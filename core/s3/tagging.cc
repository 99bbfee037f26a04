#include "core/s3/tagging.h"

#include <pugixml.hpp>
#include <set>

#include "core/s3/s3_error.h"
#include "core/s3/s3_util.h"
#include "core/s3/url_encoding.h"

namespace tessera::s3 {
namespace {

constexpr size_t kKeyCharsMax = 128;
constexpr size_t kValueCharsMax = 256;

// Characters, not bytes: S3 counts UTF-8 code points.
size_t utf8_chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

Status check_tags(const Tags& tags, size_t tags_max) {
  if (static_cast<size_t>(tags.size()) > tags_max) {
    return s3_status("InvalidTag", "at most " + std::to_string(tags_max) + " tags are allowed");
  }
  std::set<std::string> keys;
  for (const auto& t : tags) {
    const size_t key_chars = utf8_chars(t.name());
    if (key_chars == 0 || key_chars > kKeyCharsMax) {
      return s3_status("InvalidTag", "a tag key must be 1 to 128 characters");
    }
    if (utf8_chars(t.value()) > kValueCharsMax) {
      return s3_status("InvalidTag", "a tag value must be at most 256 characters");
    }
    if (!keys.insert(t.name()).second) {
      return s3_status("InvalidTag", "cannot provide multiple tags with the same key: " + t.name());
    }
  }
  return Status::ok();
}

}  // namespace

Result<Tags> tags_from_xml(std::string_view xml, size_t tags_max) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    return s3_status("MalformedXML", "the Tagging document is not well-formed XML");
  }
  auto set = doc.child("Tagging").child("TagSet");
  if (!set) return s3_status("MalformedXML", "expected <Tagging><TagSet>");
  Tags tags;
  for (auto tag : set.children("Tag")) {
    if (!tag.child("Key")) return s3_status("MalformedXML", "a <Tag> without a <Key>");
    auto* t = tags.Add();
    t->set_name(tag.child_value("Key"));
    t->set_value(tag.child_value("Value"));
  }
  if (Status s = check_tags(tags, tags_max); !s.is_ok()) return s;
  return tags;
}

Result<Tags> tags_from_header(std::string_view value) {
  auto pairs = parse_form(value);
  if (!pairs) return s3_status("InvalidArgument", "x-amz-tagging is not a valid URL-encoded query string");
  Tags tags;
  for (auto& [k, v] : *pairs) {
    auto* t = tags.Add();
    t->set_name(std::move(k));
    t->set_value(std::move(v));
  }
  if (Status s = check_tags(tags, kObjectTagsMax); !s.is_ok()) return s;
  return tags;
}

std::string tags_xml(const Tags& tags) {
  XmlDoc doc("Tagging");
  auto set = doc.root().append_child("TagSet");
  for (const auto& t : tags) {
    auto tag = set.append_child("Tag");
    add_text(tag, "Key", t.name());
    add_text(tag, "Value", t.value());
  }
  return doc.str();
}

}  // namespace tessera::s3

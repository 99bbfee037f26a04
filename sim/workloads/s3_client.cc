#include "sim/workloads/s3_client.h"

#include <pugixml.hpp>

#include "core/s3/object_source.h"
#include "core/s3/s3_error.h"
#include "core/s3/s3_util.h"

namespace tessera::sim {

Params param(std::string name, std::string value) {
  Params out;
  out.emplace_back(std::move(name), std::move(value));
  return out;
}

Params params(std::string name1, std::string value1, std::string name2, std::string value2) {
  Params out = param(std::move(name1), std::move(value1));
  out.emplace_back(std::move(name2), std::move(value2));
  return out;
}

std::string S3Answer::etag() const { return s3::unquoted(header("etag")); }

std::string S3Answer::error_code() const { return ok() ? "" : s3::to_s3_error(status).code; }

Task<S3Answer> S3Client::call(s3::S3Op op, std::string key, Params query, Params headers, std::string body) {
  S3Answer a;
  StringSource bytes(body);
  s3::ChecksummedSource source(bytes);
  s3::S3Request r;
  r.op = op;
  r.bucket = bucket_;
  r.key = std::move(key);
  r.query = std::move(query);
  r.headers = std::move(headers);
  r.headers.emplace_back("content-length", std::to_string(body.size()));
  r.access_key = access_key_;
  r.request_id = "sim-" + std::to_string(next_request_++);
  r.body = &source;
  r.reply = &a.reply;
  a.status = co_await api_.handle(r);
  if (a.status.is_ok() && a.reply.cut_short()) a.status = Status(Code::kUnavailable, "the reply was cut short");
  if (a.status.is_ok() && !a.reply.sent()) a.status = Status(Code::kInternal, "the operation sent no reply");
  a.http_status = a.status.is_ok() ? a.reply.status() : s3::to_s3_error(a.status).http_status;
  co_return a;
}

std::string S3Client::xml_value(const S3Answer& a, const char* name) {
  pugi::xml_document doc;
  if (!doc.load_string(a.body().c_str())) return "";
  auto found = doc.find_node([name](pugi::xml_node n) { return std::string_view(n.name()) == name; });
  return s3::unquoted(found.child_value());
}

std::string S3Client::complete_document(const std::vector<std::pair<uint32_t, std::string>>& parts) {
  s3::XmlDoc doc("CompleteMultipartUpload");
  for (const auto& [number, etag] : parts) {
    auto p = doc.root().append_child("Part");
    s3::add_text(p, "PartNumber", std::to_string(number));
    s3::add_text(p, "ETag", s3::quoted(etag));
  }
  return doc.str();
}

std::string S3Client::delete_document(const std::vector<std::string>& keys) {
  s3::XmlDoc doc("Delete");
  for (const std::string& key : keys) s3::add_text(doc.root().append_child("Object"), "Key", key);
  return doc.str();
}

std::map<std::string, S3Client::DeleteOutcome> S3Client::delete_outcomes(const S3Answer& a) {
  std::map<std::string, DeleteOutcome> out;
  pugi::xml_document doc;
  if (!doc.load_string(a.body().c_str())) return out;
  auto root = doc.child("DeleteResult");
  for (auto d : root.children("Deleted")) out[d.child_value("Key")].deleted = true;
  for (auto e : root.children("Error")) out[e.child_value("Key")].deleted = false;
  return out;
}

Result<S3Client::ListPage> S3Client::list_page(const S3Answer& a) {
  pugi::xml_document doc;
  if (!doc.load_string(a.body().c_str())) return Status(Code::kInternal, "ListObjectsV2 answered malformed XML");
  auto root = doc.child("ListBucketResult");
  if (!root) return Status(Code::kInternal, "ListObjectsV2 answered no ListBucketResult");
  ListPage page;
  for (auto c : root.children("Contents")) {
    page.objects.push_back(
        ListedObject{c.child_value("Key"), s3::unquoted(c.child_value("ETag")), std::stoull(c.child_value("Size"))});
  }
  if (std::string(root.child_value("IsTruncated")) == "true") {
    page.next_token = root.child_value("NextContinuationToken");
    if (page.next_token.empty()) return Status(Code::kInternal, "a truncated listing without a continuation token");
  }
  return page;
}

}  // namespace tessera::sim

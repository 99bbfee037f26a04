// S3 service and bucket operations: ListBuckets, Create/Delete/HeadBucket,
// location, versioning, LIST v1/v2, ListObjectVersions, DeleteObjects.
#include <pugixml.hpp>

#include "core/s3/s3_error.h"
#include "core/s3/s3_api.h"
#include "core/s3/s3_util.h"
#include "core/s3/url_encoding.h"

namespace tessera::s3 {
namespace {

Result<uint32_t> max_keys_param(const S3Request& r, const char* name) {
  const std::string v = r.param(name);
  if (v.empty()) return 1000u;
  try {
    size_t used = 0;
    const long long n = std::stoll(v, &used);
    if (used != v.size() || n < 0) throw std::invalid_argument(v);
    return static_cast<uint32_t>(std::min<long long>(n, 1000));
  } catch (...) {
    return s3_status("InvalidArgument", std::string(name) + " must be a non-negative integer");
  }
}

Status bad_encoding(const S3Request& r) {
  const std::string e = r.param("encoding-type");
  if (!e.empty() && e != "url") return s3_status("InvalidArgument", "encoding-type must be url");
  return Status::ok();
}

// Keys in listings: URL-encoded when the client asked (encoding-type=url).
std::string list_key(const S3Request& r, const std::string& key) {
  return r.param("encoding-type") == "url" ? uri_encode(key, true) : key;
}

// What S3's naming rules say against a new bucket's name ("" when none):
// beyond the 3-63 characters of a-z, 0-9, '.' and '-' every request checks,
// no IP-address form, no reserved prefix or suffix, no '.-' or '-.'.
std::string bucket_name_problem(const std::string& b) {
  for (const char* prefix : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (b.rfind(prefix, 0) == 0) return std::string("bucket names may not begin with ") + prefix;
  }
  for (const char* suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    const std::string_view sv(suffix);
    if (b.size() >= sv.size() && b.compare(b.size() - sv.size(), sv.size(), sv) == 0) {
      return std::string("bucket names may not end with ") + suffix;
    }
  }
  if (b.find(".-") != std::string::npos || b.find("-.") != std::string::npos) {
    return "bucket names may not hold '.-' or '-.'";
  }
  int dots = 0;
  bool digits_and_dots = true;
  for (char c : b) {
    dots += c == '.' ? 1 : 0;
    digits_and_dots = digits_and_dots && ((c >= '0' && c <= '9') || c == '.');
  }
  if (digits_and_dots && dots == 3) return "bucket names may not be formatted as an IP address";
  return "";
}

}  // namespace

Task<Status> S3Api::list_buckets(S3Request& r) {
  auto all = co_await gateway_.metadata().list_buckets();
  if (!all.is_ok()) co_return all.status();
  XmlDoc doc("ListAllMyBucketsResult");
  add_owner(doc.root(), r.access_key);
  auto buckets = doc.root().append_child("Buckets");
  for (const auto& b : all.value()) {
    if (b.owner() != r.access_key) continue;
    auto node = buckets.append_child("Bucket");
    add_text(node, "Name", b.name());
    add_text(node, "CreationDate", iso_date(static_cast<int64_t>(b.created_ms())));
  }
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::create_bucket(S3Request& r) {
  if (const std::string problem = bucket_name_problem(r.bucket); !problem.empty()) {
    co_return s3_status("InvalidBucketName", problem);
  }
  auto public_read = canned_acl_public(r.header("x-amz-acl"));
  if (!public_read.is_ok()) co_return public_read.status();
  // The optional CreateBucketConfiguration body names a region; any is fine.
  auto body = co_await read_all(r, config_.xml_body_bytes_max);
  if (!body.is_ok()) co_return body.status();
  proto::BucketRecord b;
  b.set_name(r.bucket);
  b.set_owner(r.access_key);
  b.set_created_ms(static_cast<uint64_t>(rt_.unix_ms()));
  b.set_public_read(public_read.value());
  Status s = co_await gateway_.metadata().create_bucket(b);
  if (s.reason() == "BucketAlreadyExists") {
    auto existing = co_await gateway_.metadata().get_bucket(r.bucket);
    const bool yours = existing.is_ok() && existing.value().owner() == r.access_key;
    // us-east-1 answers a re-creation by the owner with success (S3's
    // legacy behaviour there, which tools rely on); elsewhere it is an error.
    if (yours && config_.region == "us-east-1") s = Status::ok();
    if (yours && config_.region != "us-east-1") {
      co_return s3_status("BucketAlreadyOwnedByYou", "you already own bucket " + r.bucket);
    }
  }
  if (!s.is_ok()) co_return s;
  r.reply->set_header("Location", "/" + r.bucket);
  co_await r.reply->send(200, "");
  co_return Status::ok();
}

Task<Status> S3Api::delete_bucket(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  if (Status s = co_await gateway_.metadata().delete_bucket(r.bucket); !s.is_ok()) co_return s;
  co_await r.reply->send(204, "");
  co_return Status::ok();
}

Task<Status> S3Api::head_bucket(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  r.reply->set_header("x-amz-bucket-region", config_.region);
  co_await r.reply->send(200, "");
  co_return Status::ok();
}

Task<Status> S3Api::get_location(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  XmlDoc doc("LocationConstraint");
  // us-east-1 is spelled as an empty constraint.
  if (config_.region != "us-east-1") doc.root().text() = config_.region.c_str();
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::get_versioning(S3Request& r) {
  proto::BucketRecord b;
  if (Status s = co_await authorize_bucket(r, false, &b); !s.is_ok()) co_return s;
  XmlDoc doc("VersioningConfiguration");
  if (b.versioning() == proto::VERSIONING_ENABLED) add_text(doc.root(), "Status", "Enabled");
  if (b.versioning() == proto::VERSIONING_SUSPENDED) add_text(doc.root(), "Status", "Suspended");
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::put_versioning(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto body = co_await read_all(r, config_.xml_body_bytes_max);
  if (!body.is_ok()) co_return body.status();
  pugi::xml_document doc;
  if (!doc.load_buffer(body.value().data(), body.value().size())) {
    co_return s3_status("MalformedXML", "the versioning configuration is not well-formed XML");
  }
  const std::string status = doc.child("VersioningConfiguration").child_value("Status");
  proto::Versioning state;
  if (status == "Enabled") {
    state = proto::VERSIONING_ENABLED;
  } else if (status == "Suspended") {
    state = proto::VERSIONING_SUSPENDED;
  } else {
    co_return s3_status("MalformedXML", "versioning Status must be Enabled or Suspended");
  }
  if (Status s = co_await gateway_.metadata().set_versioning(r.bucket, state); !s.is_ok()) co_return s;
  co_await r.reply->send(200, "");
  co_return Status::ok();
}

Task<Status> S3Api::list_objects(S3Request& r) {
  if (r.has("list-type") && r.param("list-type") != "2") co_return s3_status("InvalidArgument", "list-type must be 2");
  const bool v2 = r.has("list-type");
  // A public-read bucket may be listed anonymously (S3's READ on a bucket).
  proto::BucketRecord b;
  if (Status s = co_await authorize_bucket(r, true, &b); !s.is_ok()) co_return s;
  if (Status s = bad_encoding(r); !s.is_ok()) co_return s;
  auto max = max_keys_param(r, "max-keys");
  if (!max.is_ok()) co_return max.status();
  ListRequest req;
  req.prefix = r.param("prefix");
  req.delimiter = r.param("delimiter");
  req.max_keys = max.value();
  const std::string token = r.param("continuation-token");
  if (v2 && !token.empty()) {  // an empty token is none
    auto raw = from_hex(token);
    if (!raw || token.empty()) co_return s3_status("InvalidArgument", "the continuation token is not valid");
    req.start_after = *raw;
  } else {
    req.start_after = r.param(v2 ? "start-after" : "marker");
  }
  auto result = co_await gateway_.metadata().list_objects(r.bucket, req);
  if (!result.is_ok()) co_return result.status();
  const ListResult& l = result.value();
  XmlDoc doc("ListBucketResult");
  auto root = doc.root();
  add_text(root, "Name", r.bucket);
  // V1 returns Prefix as sent, even with encoding-type=url (S3 does; boto3
  // decodes every other field of a V1 listing, but not this one).
  add_text(root, "Prefix", v2 ? list_key(r, req.prefix) : req.prefix);
  if (!req.delimiter.empty()) add_text(root, "Delimiter", list_key(r, req.delimiter));
  add_text(root, "MaxKeys", std::to_string(req.max_keys));
  if (!r.param("encoding-type").empty()) add_text(root, "EncodingType", "url");
  add_text(root, "IsTruncated", l.truncated ? "true" : "false");
  if (v2) {
    add_text(root, "KeyCount", std::to_string(l.objects.size() + l.common_prefixes.size()));
    if (!token.empty()) add_text(root, "ContinuationToken", token);
    if (r.has("start-after")) add_text(root, "StartAfter", list_key(r, r.param("start-after")));
    if (l.truncated) add_text(root, "NextContinuationToken", hex_of(l.next_marker));
  } else {
    add_text(root, "Marker", list_key(r, r.param("marker")));
    if (l.truncated) add_text(root, "NextMarker", list_key(r, l.next_marker));
  }
  const bool owner = !v2 || r.param("fetch-owner") == "true";
  for (const auto& o : l.objects) {
    auto c = root.append_child("Contents");
    add_text(c, "Key", list_key(r, o.key()));
    add_text(c, "LastModified", iso_date(static_cast<int64_t>(o.modified_ms())));
    add_text(c, "ETag", quoted(o.etag()));
    add_text(c, "Size", std::to_string(o.size()));
    add_text(c, "StorageClass", o.storage_class().empty() ? "STANDARD" : o.storage_class());
    if (owner) add_owner(c, b.owner());
  }
  for (const auto& p : l.common_prefixes) add_text(root.append_child("CommonPrefixes"), "Prefix", list_key(r, p));
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::list_versions(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  if (Status s = bad_encoding(r); !s.is_ok()) co_return s;
  auto max = max_keys_param(r, "max-keys");
  if (!max.is_ok()) co_return max.status();
  ListVersionsRequest req;
  req.prefix = r.param("prefix");
  req.delimiter = r.param("delimiter");
  req.key_marker = r.param("key-marker");
  req.version_id_marker = r.param("version-id-marker");
  req.max_keys = max.value();
  auto result = co_await gateway_.metadata().list_versions(r.bucket, req);
  if (!result.is_ok()) co_return result.status();
  const ListVersionsResult& l = result.value();
  XmlDoc doc("ListVersionsResult");
  auto root = doc.root();
  add_text(root, "Name", r.bucket);
  add_text(root, "Prefix", list_key(r, req.prefix));
  add_text(root, "KeyMarker", list_key(r, req.key_marker));
  add_text(root, "VersionIdMarker", req.version_id_marker);
  add_text(root, "MaxKeys", std::to_string(req.max_keys));
  if (!req.delimiter.empty()) add_text(root, "Delimiter", list_key(r, req.delimiter));
  if (!r.param("encoding-type").empty()) add_text(root, "EncodingType", "url");
  add_text(root, "IsTruncated", l.truncated ? "true" : "false");
  if (l.truncated) {
    add_text(root, "NextKeyMarker", list_key(r, l.next_key_marker));
    add_text(root, "NextVersionIdMarker", l.next_version_id_marker);
  }
  for (const auto& e : l.versions) {
    const auto& v = e.version;
    auto node = root.append_child(v.delete_marker() ? "DeleteMarker" : "Version");
    add_text(node, "Key", list_key(r, v.key()));
    add_text(node, "VersionId", v.version_id());
    add_text(node, "IsLatest", e.is_latest ? "true" : "false");
    add_text(node, "LastModified", iso_date(static_cast<int64_t>(v.modified_ms())));
    if (!v.delete_marker()) {
      add_text(node, "ETag", quoted(v.etag()));
      add_text(node, "Size", std::to_string(v.size()));
      add_text(node, "StorageClass", v.storage_class().empty() ? "STANDARD" : v.storage_class());
    }
    add_owner(node, r.access_key);
  }
  for (const auto& p : l.common_prefixes) add_text(root.append_child("CommonPrefixes"), "Prefix", list_key(r, p));
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::delete_objects(S3Request& r) {
  if (Status s = co_await authorize_bucket(r, false, nullptr); !s.is_ok()) co_return s;
  auto body = co_await read_xml_body(r);
  if (!body.is_ok()) co_return body.status();
  pugi::xml_document doc;
  // Keep whitespace-only text: a key of one space is a key.
  if (!doc.load_buffer(body.value().data(), body.value().size(), pugi::parse_default | pugi::parse_ws_pcdata_single)) {
    co_return s3_status("MalformedXML", "the Delete document is not well-formed XML");
  }
  auto del = doc.child("Delete");
  if (!del) co_return s3_status("MalformedXML", "expected a <Delete> document");
  const bool quiet = std::string(del.child_value("Quiet")) == "true";
  std::vector<std::pair<std::string, std::string>> targets;
  for (auto o : del.children("Object")) targets.emplace_back(o.child_value("Key"), o.child_value("VersionId"));
  if (targets.empty() || targets.size() > 1000) {
    co_return s3_status("MalformedXML", "a Delete names 1 to 1000 objects");
  }
  XmlDoc out("DeleteResult");
  for (const auto& [key, version] : targets) {
    auto d = co_await gateway_.delete_object(r.bucket, key, version);
    if (d.is_ok()) {
      if (quiet) continue;
      auto node = out.root().append_child("Deleted");
      add_text(node, "Key", key);
      if (!version.empty()) add_text(node, "VersionId", version);
      if (d.value().delete_marker) {
        add_text(node, "DeleteMarker", "true");
        add_text(node, "DeleteMarkerVersionId", d.value().version_id);
      }
    } else {
      const S3Error e = to_s3_error(d.status());
      auto node = out.root().append_child("Error");
      add_text(node, "Key", key);
      add_text(node, "Code", e.code);
      add_text(node, "Message", e.message);
    }
  }
  co_await r.reply->send(200, out.str());
  co_return Status::ok();
}

}  // namespace tessera::s3

// S3 access control lists, as canned ACLs: a bucket or an object is
// private (its owner only) or public-read (anyone may read: list a bucket,
// GET/HEAD an object). GetBucketAcl/GetObjectAcl show that as S3's grant
// list; PutBucketAcl/PutObjectAcl take x-amz-acl or a grant list of exactly
// those two shapes. Grants beyond them are NotImplemented: refused before
// anything changes, never approximated.
#include <pugixml.hpp>

#include "core/s3/s3_error.h"
#include "core/s3/s3_api.h"
#include "core/s3/s3_util.h"

namespace tessera::s3 {
namespace {

constexpr char kAllUsers[] = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr const char* kGrantHeaders[] = {"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
                                         "x-amz-grant-write-acp", "x-amz-grant-full-control"};

Status grants_not_implemented(const std::string& what) {
  return s3_status("NotImplemented", what + " is not implemented; use the canned ACLs private or public-read");
}

// The public-read flag a grant list (an AccessControlPolicy document)
// means, when it is one of the canned shapes for owner.
Result<bool> public_read_of_policy(const std::string& xml, const std::string& owner) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    return s3_status("MalformedACLError", "the AccessControlPolicy is not well-formed XML");
  }
  auto list = doc.child("AccessControlPolicy").child("AccessControlList");
  if (!list) return s3_status("MalformedACLError", "expected <AccessControlPolicy><AccessControlList>");
  bool owner_full_control = false, everyone_reads = false;
  for (auto grant : list.children("Grant")) {
    auto grantee = grant.child("Grantee");
    const std::string permission = grant.child_value("Permission");
    const std::string id = grantee.child_value("ID"), uri = grantee.child_value("URI");
    if (!id.empty() && id == owner && permission == "FULL_CONTROL" && uri.empty()) {
      owner_full_control = true;
    } else if (uri == kAllUsers && permission == "READ" && id.empty()) {
      everyone_reads = true;
    } else {
      return grants_not_implemented("a grant of " + (permission.empty() ? "nothing" : permission) + " to " +
                                    (id.empty() ? (uri.empty() ? "that grantee" : uri) : id));
    }
  }
  if (!owner_full_control) return grants_not_implemented("an ACL without the owner's FULL_CONTROL");
  return everyone_reads;
}

}  // namespace

Result<bool> canned_acl_public(const std::string& value) {
  if (value.empty() || value == "private" || value == "bucket-owner-read" || value == "bucket-owner-full-control") {
    return false;
  }
  if (value == "public-read") return true;
  if (value == "public-read-write" || value == "authenticated-read" || value == "aws-exec-read" ||
      value == "log-delivery-write") {
    return grants_not_implemented("the canned ACL " + value);
  }
  return s3_status("InvalidArgument", "x-amz-acl '" + value + "' is not a canned ACL");
}

Task<Status> S3Api::get_acl(S3Request& r) {
  proto::BucketRecord b;
  if (Status s = co_await authorize_bucket(r, false, &b); !s.is_ok()) co_return s;
  bool public_read = b.public_read();
  if (!r.key.empty()) {
    auto v = co_await gateway_.head_object(r.bucket, r.key, r.param("versionId"));
    if (!v.is_ok()) co_return v.status();
    public_read = v.value().public_read();
  }
  XmlDoc doc("AccessControlPolicy");
  add_owner(doc.root(), b.owner());
  auto list = doc.root().append_child("AccessControlList");
  auto grant = [&](bool everyone, const char* permission) {
    auto g = list.append_child("Grant");
    auto grantee = g.append_child("Grantee");
    grantee.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
    if (everyone) {
      grantee.append_attribute("xsi:type") = "Group";
      add_text(grantee, "URI", kAllUsers);
    } else {
      grantee.append_attribute("xsi:type") = "CanonicalUser";
      add_text(grantee, "ID", b.owner());
      add_text(grantee, "DisplayName", b.owner());
    }
    add_text(g, "Permission", permission);
  };
  grant(false, "FULL_CONTROL");
  if (public_read) grant(true, "READ");
  co_await r.reply->send(200, doc.str());
  co_return Status::ok();
}

Task<Status> S3Api::put_acl(S3Request& r) {
  proto::BucketRecord b;
  if (Status s = co_await authorize_bucket(r, false, &b); !s.is_ok()) co_return s;
  for (const char* h : kGrantHeaders) {
    if (!r.header(h).empty()) co_return grants_not_implemented(std::string("the header ") + h);
  }
  auto body = co_await read_xml_body(r);
  if (!body.is_ok()) co_return body.status();
  const std::string canned = r.header("x-amz-acl");
  Result<bool> public_read = false;
  if (!canned.empty()) {
    if (!body.value().empty()) {
      co_return s3_status("UnexpectedContent", "send either x-amz-acl or an AccessControlPolicy, not both");
    }
    public_read = canned_acl_public(canned);
  } else if (body.value().empty()) {
    co_return s3_status("MissingSecurityHeader", "PutAcl needs x-amz-acl or an AccessControlPolicy body");
  } else {
    public_read = public_read_of_policy(body.value(), b.owner());
  }
  if (!public_read.is_ok()) co_return public_read.status();
  const bool everyone_reads = public_read.value();
  co_return co_await patch_record(r, 200, [everyone_reads](auto& patch) { patch.set_public_read(everyone_reads); });
}

}  // namespace tessera::s3

#include "prod/admin/admin_api.h"

#include <openssl/crypto.h>

#include "prod/admin/admin_reports.h"

namespace tessera::prod {
namespace {

using nlohmann::json;

s3::SideReply error_reply(unsigned status, const std::string& code, const std::string& message) {
  return s3::SideReply{status, json{{"error", code}, {"message", message}}.dump() + "\n"};
}

// The key in "Bearer <key>", compared in constant time.
bool key_matches(const std::string& key, const std::string& authorization) {
  static const std::string kScheme = "Bearer ";
  if (authorization.compare(0, kScheme.size(), kScheme) != 0) return false;
  const std::string given = authorization.substr(kScheme.size());
  return given.size() == key.size() && CRYPTO_memcmp(given.data(), key.data(), key.size()) == 0;
}

}  // namespace

AdminApi::AdminApi(std::string key, AdminSources sources) : key_(std::move(key)), sources_(std::move(sources)) {
  ASSERT(!key_.empty() && sources_.node != nullptr && sources_.node->gateway() != nullptr);
}

Task<s3::SideReply> AdminApi::serve(s3::SideRequest request) {
  if (!key_matches(key_, request.authorization)) {
    co_return error_reply(403, "AccessDenied",
                          "the admin endpoint needs 'Authorization: Bearer <admin key>' with the server's key "
                          "(TESSERA_ADMIN_KEY, else the one it keeps in <data-dir>/admin-key)");
  }
  std::string report = request.target.substr(std::string(kPrefix).size());
  if (const size_t q = report.find('?'); q != std::string::npos) report.resize(q);
  if (request.method != "GET") {
    co_return error_reply(405, "MethodNotAllowed", "admin reports are read with GET, not " + request.method);
  }
  json body;
  if (report == "status") {
    body = admin_reports::status(sources_);
    body["metadata"] = co_await admin_reports::metadata(sources_);
  } else if (report == "heal") {
    body = admin_reports::heal(sources_);
  } else if (report == "scrub") {
    body = admin_reports::scrub(sources_);
  } else if (report == "gc") {
    auto gc = co_await admin_reports::gc(sources_);
    if (!gc.is_ok()) co_return error_reply(503, "ServiceUnavailable", "the metadata did not answer: " + gc.status().message());
    body = std::move(gc).value();
  } else if (report == "lost") {
    body = admin_reports::lost(sources_);
  } else {
    co_return error_reply(404, "NoSuchReport", "no admin report '" + report + "' (there are status, heal, scrub, gc, lost)");
  }
  co_return s3::SideReply{200, body.dump() + "\n"};
}

}  // namespace tessera::prod

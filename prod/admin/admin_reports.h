// The JSON reports of the admin endpoint (admin_api.h), one function each,
// built from what the gateway's node holds now.
#pragma once

#include <nlohmann/json.hpp>

#include "prod/admin/admin_api.h"

namespace tessera::prod::admin_reports {

using nlohmann::json;

json status(const AdminSources& s);
// metadata: the group's state as the gateway sees it (status adds it).
Task<json> metadata(const AdminSources& s);
json heal(const AdminSources& s);
json scrub(const AdminSources& s);
Task<Result<json>> gc(const AdminSources& s);
json lost(const AdminSources& s);

}  // namespace tessera::prod::admin_reports

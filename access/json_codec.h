// JSON forms of the access values: log entries, snapshots, API bodies and the audit
// export use these. Decoding is strict (common/json_strict.h).
#pragma once
#include <nlohmann/json.hpp>

#include "access/audit.h"
#include "access/changes.h"
#include "access/model.h"
#include "common/status.h"

namespace poolha::access {

using Json = nlohmann::json;

NLOHMANN_JSON_SERIALIZE_ENUM(Role, {{Role::SystemAdmin, "sysadmin"},
                                    {Role::SecurityAdmin, "secadmin"},
                                    {Role::AuditAdmin, "auditadmin"},
                                    {Role::Operator, "operator"},
                                    {Role::Viewer, "viewer"}})

// Changes carry "type": "access.<name>" (change_name), beside their fields.
Json to_json(const Change& c);
Expected<Change> change_from_json(const Json& j);
bool is_change_type(const std::string& type);

Json to_json(const Actor& a);
Expected<Actor> actor_from_json(const Json& j);
Json to_json(const State& s);
Expected<State> state_from_json(const Json& j);
Json to_json(const Policy& p);
Expected<Policy> policy_from_json(const Json& j);
Json to_json(const AuditRecord& r);
Expected<AuditRecord> audit_record_from_json(const Json& j);

}  // namespace poolha::access

// Rule templates (高可用模板, design §2): a template is a named, partial rule; a rule
// that says `template: NAME` starts from the template's fields and overrides them
// with its own. Expansion happens where a file is applied (poolhactl and
// POST /v1/apply use this one function), so the engine only ever sees full rules.
#pragma once
#include "common/status.h"
#include "rules/json_codec.h"

namespace poolha::rules {

// `doc` may hold "templates": [{"id": NAME, ...rule fields...}] and "rules": [...].
// Returns doc without "templates" and with every rule's template applied. Errors name
// the entry: "rules[2] (r3): template 'gw' is not defined in this file".
Expected<Json> expand_rule_templates(const Json& doc);

}  // namespace poolha::rules

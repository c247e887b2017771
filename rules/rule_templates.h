// Rule templates (高可用模板, design §2): a template is a named, partial rule; a rule
// that says `template: NAME` starts from the template's fields and overrides them
// with its own. Templates live in the replicated state (UpsertTemplate), so the
// console can edit them and an apply file may use one it does not define. Expansion
// happens where a file is applied (poolhactl and POST /v1/apply use this one
// function), so the engine only ever sees full rules; a rule keeps the template's name
// in `from_template`.
#pragma once
#include <map>

#include "common/status.h"
#include "rules/json_codec.h"

namespace poolha::rules {

inline constexpr size_t kMaxTemplates = 1000;
inline constexpr size_t kMaxTemplateFieldsBytes = 64 * 1024;
inline constexpr size_t kMaxTemplateDescriptionBytes = 256;

// The one check of a template, wherever it comes from (a file, the API, the log):
// "" when valid, else a message naming the template and the field.
std::string validate_template(const RuleTemplate&);
// A template in its flat JSON form, decoded and checked.
Expected<RuleTemplate> template_from_json(const Json&);

// A rule naming a template that neither the file nor the state defines.
enum class UnknownTemplate {
  Refuse,  // an error (the controller: it knows every stored template)
  Keep,    // leave the rule as written (poolhactl: the controller expands it)
};
// `doc` may hold "templates": [{"id": NAME, ...}] and "rules": [...]. Returns doc
// with every rule's template applied (the file's templates first, then `stored`);
// "templates" stays in the result, for the caller to store. Errors name the entry:
// "rules[2] (r3): template 'gw' is not defined in this file or on the controller".
Expected<Json> expand_rule_templates(const Json& doc, const std::map<std::string, RuleTemplate>& stored = {},
                                     UnknownTemplate unknown = UnknownTemplate::Refuse);

}  // namespace poolha::rules

#include "rules/rule_templates.h"

#include <map>

#include "rules/validation.h"

namespace poolha::rules {

Expected<Json> expand_rule_templates(const Json& doc) {
  if (!doc.is_object()) return Expected<Json>::Error("expected an object");
  Json out = doc;
  std::map<std::string, Json> templates;
  if (doc.contains("templates")) {
    const Json& list = doc["templates"];
    if (!list.is_array()) return Expected<Json>::Error("templates: expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string at = "templates[" + std::to_string(i) + "]";
      if (!list[i].is_object() || !list[i].contains("id") || !list[i]["id"].is_string())
        return Expected<Json>::Error(at + ": expected an object with a string 'id'");
      const std::string id = list[i]["id"];
      if (!valid_id(id)) return Expected<Json>::Error(at + ": id '" + id + "': use 1-63 letters, digits, '.', '_' or '-'");
      Json fields = list[i];
      fields.erase("id");
      // Check the fields now, so a typo is reported against the template itself.
      Json probe = fields;
      if (auto r = rule_from_json(probe); !r.ok()) return Expected<Json>::Error(at + " (" + id + "): " + r.error());
      if (!templates.emplace(id, std::move(fields)).second) return Expected<Json>::Error(at + ": template '" + id + "' defined twice");
    }
    out.erase("templates");
  }
  if (!out.contains("rules")) return out;
  if (!out["rules"].is_array()) return Expected<Json>::Error("rules: expected a list");
  for (size_t i = 0; i < out["rules"].size(); ++i) {
    Json& rule = out["rules"][i];
    if (!rule.is_object() || !rule.contains("template")) continue;
    const std::string at = "rules[" + std::to_string(i) + "]" +
                           (rule.contains("id") && rule["id"].is_string() ? " (" + rule["id"].get<std::string>() + ")" : "");
    if (!rule["template"].is_string()) return Expected<Json>::Error(at + ": template: expected a template name");
    const std::string name = rule["template"];
    auto t = templates.find(name);
    if (t == templates.end()) return Expected<Json>::Error(at + ": template '" + name + "' is not defined in this file");
    Json merged = t->second;
    for (const auto& [k, v] : rule.items())
      if (k != "template") merged[k] = v;
    rule = std::move(merged);
  }
  return out;
}

}  // namespace poolha::rules

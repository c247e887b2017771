#include "rules/rule_templates.h"

#include "common/utf8.h"
#include "rules/validation.h"

namespace poolha::rules {

std::string validate_template(const RuleTemplate& t) {
  if (!valid_id(t.id)) return "template.id '" + t.id + "': use 1-63 letters, digits, '.', '_' or '-'";
  const std::string at = "template " + t.id + ": ";
  if (t.description.size() > kMaxTemplateDescriptionBytes || !text::is_valid_utf8(t.description))
    return at + "description: at most " + std::to_string(kMaxTemplateDescriptionBytes) + " bytes of UTF-8 text";
  if (t.fields.size() > kMaxTemplateFieldsBytes)
    return at + "at most " + std::to_string(kMaxTemplateFieldsBytes / 1024) + " KiB of fields";
  Json fields = Json::parse(t.fields, nullptr, false);
  if (!fields.is_object()) return at + "fields: expected a JSON object";
  for (const char* own : {"id", "template", "from_template"})
    if (fields.contains(own)) return at + own + ": a template cannot set it (each rule has its own)";
  // The fields as a rule's: a typo is reported against the template itself.
  auto r = rule_from_json(fields);
  if (!r.ok()) return at + r.error();
  // The rule checks that do not need a whole rule: fill what every rule must have
  // itself (pool, VIPs) and check the rest as any rule's.
  RuleSpec probe = *r;
  probe.id = t.id;
  probe.anti_affinity.clear();  // "not itself" means the rule made from it, not the template
  if (probe.pool.empty()) probe.pool = "template";
  if (probe.vips.empty()) probe.vips = {{"198.18.0.1/24", ""}};
  if (auto why = validate_rule(probe); !why.empty()) {
    const std::string own = "rule " + t.id + ": ";
    return at + (why.rfind(own, 0) == 0 ? why.substr(own.size()) : why);
  }
  return "";
}

Expected<RuleTemplate> template_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string())
    return Expected<RuleTemplate>::Error("expected an object with a string 'id'");
  if (j.contains("description") && !j["description"].is_string())
    return Expected<RuleTemplate>::Error("description: expected a string");
  RuleTemplate t = j.get<RuleTemplate>();
  if (auto why = validate_template(t); !why.empty()) return Expected<RuleTemplate>::Error(why);
  return t;
}

Expected<Json> expand_rule_templates(const Json& doc, const std::map<std::string, RuleTemplate>& stored,
                                     UnknownTemplate unknown) {
  if (!doc.is_object()) return Expected<Json>::Error("expected an object");
  Json out = doc;
  std::map<std::string, RuleTemplate> file;
  if (doc.contains("templates")) {
    const Json& list = doc["templates"];
    if (!list.is_array()) return Expected<Json>::Error("templates: expected a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string id = list[i].is_object() && list[i].contains("id") && list[i]["id"].is_string()
                                 ? list[i]["id"].get<std::string>() : "";
      const std::string at = "templates[" + std::to_string(i) + "]" + (id.empty() ? "" : " (" + id + ")");
      auto t = template_from_json(list[i]);
      if (!t.ok()) return Expected<Json>::Error(at + ": " + t.error());
      if (!file.emplace(t->id, *t).second) return Expected<Json>::Error(at + ": template '" + t->id + "' defined twice");
    }
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
    const RuleTemplate* t = nullptr;
    if (auto f = file.find(name); f != file.end()) t = &f->second;
    else if (auto s = stored.find(name); s != stored.end()) t = &s->second;
    if (!t) {
      if (unknown == UnknownTemplate::Keep) continue;
      return Expected<Json>::Error(at + ": template '" + name + "' is not defined in this file or on the controller");
    }
    Json merged = Json::parse(t->fields, nullptr, false);
    if (!merged.is_object()) merged = Json::object();
    for (const auto& [k, v] : rule.items())
      if (k != "template") merged[k] = v;
    merged["from_template"] = name;
    rule = std::move(merged);
  }
  return out;
}

}  // namespace poolha::rules

#include "cli/apply_file.h"

#include "cli/yaml_json.h"
#include "rules/json_codec.h"
#include "rules/rule_templates.h"

namespace poolha::cli {

namespace {

using Json = nlohmann::json;

// Checks one list of apply items with the same strict decoder the controller uses,
// so a typo is reported with its position before anything is sent.
template <class Decode>
Status check_items(const Json& doc, const char* key, Decode decode) {
  if (!doc.contains(key)) return Status::Ok();
  const Json& items = doc[key];
  if (!items.is_array()) return Status::Error(std::string(key) + ": expected a list");
  for (size_t i = 0; i < items.size(); ++i) {
    const Json& it = items[i];
    const std::string id = it.is_object() && it.contains("id") && it["id"].is_string() ? it["id"].get<std::string>() : "";
    const std::string where = std::string(key) + "[" + std::to_string(i) + "]" + (id.empty() ? "" : " (" + id + ")");
    if (id.empty()) return Status::Error(where + ": every item needs a string field 'id'");
    auto r = decode(it);
    if (!r.ok()) return Status::Error(where + ": " + r.error());
  }
  return Status::Ok();
}

}  // namespace

Expected<Json> apply_body(const std::string& text, const std::string& source) {
  auto loaded = yaml_to_json(text, source);
  if (!loaded.ok()) return loaded.status();
  if (!loaded->is_object()) return Status::Error(source + ": expected a mapping with keys settings, pools, nodes, templates, rules");
  for (const auto& [k, v] : loaded->items())
    if (k != "settings" && k != "pools" && k != "nodes" && k != "rules" && k != "templates")
      return Status::Error(source + ": unknown top-level key '" + k + "' (allowed: settings, pools, nodes, templates, rules)");
  // The file's templates are expanded here, so a typo is reported before anything is
  // sent; a rule naming a template stored on the controller is expanded there.
  auto doc = rules::expand_rule_templates(*loaded, {}, rules::UnknownTemplate::Keep);
  if (!doc.ok()) return Status::Error(source + ": " + doc.error());
  Status st = Status::Ok();
  if (doc->contains("settings")) {
    auto s = rules::settings_from_json((*doc)["settings"]);
    if (!s.ok()) st = s.status();
  }
  if (st.ok()) st = check_items(*doc, "pools", rules::pool_from_json);
  if (st.ok()) st = check_items(*doc, "nodes", rules::node_from_json);
  if (st.ok()) st = check_items(*doc, "rules", [](const Json& rule) {
    // Still naming a template: the controller has it, and checks the rule made from it.
    return rule.contains("template") ? Expected<rules::RuleSpec>(rules::RuleSpec{}) : rules::rule_from_json(rule);
  });
  if (!st.ok()) return Status::Error(source + ": " + st.error());
  Json body = Json::object();
  if (doc->contains("settings")) body["settings"] = (*doc)["settings"];
  for (const char* k : {"pools", "nodes", "templates", "rules"}) body[k] = doc->contains(k) ? (*doc)[k] : Json::array();
  return body;
}

}  // namespace poolha::cli

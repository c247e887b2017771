#include "rules/problem_field.h"

#include <cctype>

namespace poolha::rules {

namespace {

bool path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '[' || c == ']';
}

}  // namespace

std::string problem_field(std::string_view m, std::string_view kind, const Json& shape) {
  // Past "rules[2] (r3): " (apply's position) and the object: "rule.", "rule: " or
  // "rule r1: ".
  if (m.rfind("rules[", 0) == 0 || m.rfind("nodes[", 0) == 0 || m.rfind("pools[", 0) == 0 ||
      m.rfind("templates[", 0) == 0) {
    const auto colon = m.find(": ");
    if (colon == std::string_view::npos) return "";
    m.remove_prefix(colon + 2);
  }
  if (m.rfind(kind, 0) != 0) return "";
  m.remove_prefix(kind.size());
  if (!m.empty() && m[0] == '.') {
    m.remove_prefix(1);
  } else if (m.rfind(": ", 0) == 0) {
    m.remove_prefix(2);
  } else if (!m.empty() && m[0] == ' ') {
    const auto colon = m.find(": ");
    const auto space = m.find(' ', 1);
    if (colon == std::string_view::npos || space < colon) return "";  // "rule r1 is switching"
    m.remove_prefix(colon + 2);
  } else {
    return "";
  }
  // A template's fields are checked as a rule's: "template gw: rule.vips[0]: ...".
  if (kind == "template" && m.rfind("rule", 0) == 0) return problem_field(m, "rule", shape);
  std::string path;
  constexpr std::string_view unknown = "unknown field '";
  if (m.rfind(unknown, 0) == 0) {
    m.remove_prefix(unknown.size());
    path = std::string(m.substr(0, m.find('\'')));
  } else {
    size_t n = 0;
    while (n < m.size() && path_char(m[n])) ++n;
    path = std::string(m.substr(0, n));
  }
  if (path == "monitor") path = "monitors";  // "monitor 'port': kind: ..."
  const std::string top = path.substr(0, path.find_first_of(".["));
  return !top.empty() && shape.is_object() && shape.contains(top) ? path : "";
}

}  // namespace poolha::rules

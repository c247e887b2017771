#include "cli/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <regex>

#include "common/config_input.h"
#include "wire/pki.h"

namespace poolha::cli {

namespace {

using Json = nlohmann::json;

std::string at(const std::string& source, const YAML::Mark& m) {
  return source + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// YAML 1.2 core schema, tag resolution for plain scalars.
const std::regex& int_re() {
  static const std::regex r("[-+]?[0-9]+");
  return r;
}
const std::regex& hex_re() {
  static const std::regex r("0x[0-9a-fA-F]+");
  return r;
}
const std::regex& float_re() {
  static const std::regex r("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  return r;
}
const std::regex& special_float_re() {
  static const std::regex r("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  return r;
}

Expected<Json> plain_scalar(const std::string& s, const std::string& where) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return Json(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json(false);
  if (std::regex_match(s, int_re())) {
    errno = 0;
    char* end = nullptr;
    if (s[0] == '-') {
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (errno == 0) return Json(static_cast<int64_t>(v));
    } else {
      unsigned long long v = std::strtoull(s.c_str(), &end, 10);
      if (errno == 0) {
        if (v <= static_cast<unsigned long long>(INT64_MAX)) return Json(static_cast<int64_t>(v));
        return Json(static_cast<uint64_t>(v));
      }
    }
    return Expected<Json>::Error(where + ": integer '" + s + "' is out of range; quote it to keep it as a string");
  }
  if (std::regex_match(s, hex_re())) {
    errno = 0;
    unsigned long long v = std::strtoull(s.c_str() + 2, nullptr, 16);
    if (errno == 0 && v <= static_cast<unsigned long long>(INT64_MAX)) return Json(static_cast<int64_t>(v));
    return Expected<Json>::Error(where + ": integer '" + s + "' is out of range; quote it to keep it as a string");
  }
  if (std::regex_match(s, float_re())) return Json(std::strtod(s.c_str(), nullptr));
  if (std::regex_match(s, special_float_re()))
    return Expected<Json>::Error(where + ": '" + s + "' has no JSON form; quote it to keep it as a string");
  return Json(s);
}

Expected<Json> convert(const YAML::Node& n, const std::string& source) {
  const std::string where = at(source, n.Mark());
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& tag = n.Tag();
      // "!" marks a quoted (non-plain) scalar; "tag:yaml.org,2002:str" is `!!str`.
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(n.Scalar());
      return plain_scalar(n.Scalar(), where);
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : n) {
        auto v = convert(item, source);
        if (!v.ok()) return v;
        arr.push_back(std::move(*v));
      }
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : n) {
        const std::string kwhere = at(source, kv.first.Mark());
        if (!kv.first.IsScalar()) return Expected<Json>::Error(kwhere + ": a key must be a plain string");
        const std::string& key = kv.first.Scalar();
        if (obj.contains(key)) return Expected<Json>::Error(kwhere + ": key '" + key + "' appears twice in this mapping");
        auto v = convert(kv.second, source);
        if (!v.ok()) return v;
        obj[key] = std::move(*v);
      }
      return obj;
    }
  }
  return Expected<Json>::Error(where + ": unsupported YAML node");
}

}  // namespace

Expected<Json> yaml_to_json(const std::string& text, const std::string& source) {
  if (auto st = check_config_text(text, source, kMaxApplyFileBytes); !st.ok()) return st;
  // libyaml first: it refuses malformed text (and a second document) with a position;
  // yaml-cpp's LoadAll looped for ever on some of it.
  if (auto st = check_yaml_syntax(text, source); !st.ok()) return st;
  std::vector<YAML::Node> docs(1);
  try {
    docs[0] = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return Expected<Json>::Error(at(source, e.mark) + ": not valid YAML or JSON: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Expected<Json>::Error(source + ": not valid YAML or JSON: " + e.what());
  }
  if (!docs[0].IsDefined() || docs[0].IsNull()) return Expected<Json>::Error(source + ": the file is empty");
  // An apply file for design §5's scale (1,000 rules, 5,000 nodes) is a few hundred
  // thousand nodes; aliases may not multiply that.
  if (auto st = check_yaml_shape(docs[0], source, 32, 2'000'000); !st.ok()) return st;
  try {
    return convert(docs[0], source);
  } catch (const YAML::Exception& e) {
    return Expected<Json>::Error(source + ": " + e.what());
  }
}

Expected<Json> load_yaml_or_json_file(const std::string& path) {
  auto text = pki::read_file(path, kMaxApplyFileBytes);
  if (!text.ok()) return text.status();
  return yaml_to_json(*text, path);
}

}  // namespace poolha::cli

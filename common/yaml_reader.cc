#include "common/yaml_reader.h"

#include <charconv>

namespace poolha {

std::string YamlReader::join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string YamlReader::where(const YAML::Node& n) const {
  if (!n.IsDefined()) return source_;
  const auto m = n.Mark();
  if (m.is_null()) return source_;
  return source_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

void YamlReader::fail(const YAML::Node& at, const std::string& path, const std::string& what) const {
  throw Failure{where(at) + ": " + (path.empty() ? std::string("(top level)") : path) + ": " + what};
}

void YamlReader::keys(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed,
                      const std::set<std::string>& required) const {
  if (!map.IsMap()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(map, path, "expected a mapping (keys: " + list + ")");
  }
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) fail(kv.first, path, "keys must be plain names");
    const std::string& k = kv.first.Scalar();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(kv.first, join(path, k), "unknown key (allowed: " + list + ")");
    }
    if (!seen.insert(k).second) fail(kv.first, join(path, k), "given twice");
  }
  for (const auto& r : required)
    if (!seen.count(r)) throw Failure{where(map) + ": " + join(path, r) + ": required"};
}

void YamlReader::free_keys(const YAML::Node& map, const std::string& path, const std::string& what) const {
  if (!map.IsMap()) fail(map, path, "expected a mapping of " + what);
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) fail(kv.first, path, "keys must be plain names");
    if (!seen.insert(kv.first.Scalar()).second) fail(kv.first, join(path, kv.first.Scalar()), "given twice");
  }
}

std::string YamlReader::text(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar()) fail(n, path, "expected a string");
  return n.Scalar();
}

std::string YamlReader::nonempty_text(const YAML::Node& n, const std::string& path) const {
  std::string s = text(n, path);
  if (s.empty()) fail(n, path, "must not be empty");
  return s;
}

std::string YamlReader::absolute_path(const YAML::Node& n, const std::string& path, PathStyle style) const {
  std::string s = text(n, path);
  if (!is_absolute_path(s, style))
    fail(n, path, style == PathStyle::Windows ? "expected an absolute path with a drive letter (C:\\...)" : "expected an absolute path");
  return s;
}

int64_t YamlReader::integer(const YAML::Node& n, const std::string& path, int64_t lo, int64_t hi) const {
  const std::string range = "expected an integer " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!n.IsScalar() || n.Tag() == "!") fail(n, path, range);
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) fail(n, path, range + ", got '" + s + "'");
  return v;
}

bool YamlReader::boolean(const YAML::Node& n, const std::string& path) const {
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s != "true" && s != "false") fail(n, path, "true or false");
  return s == "true";
}

net::Endpoint YamlReader::endpoint(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar()) fail(n, path, "expected host:port");
  auto ep = net::parse_endpoint(n.Scalar());
  if (!ep.ok()) fail(n, path, ep.error());
  return *ep;
}

std::string YamlReader::one_of(const YAML::Node& n, const std::string& path, const std::set<std::string>& values) const {
  std::string s = text(n, path);
  if (!values.count(s)) {
    std::string list;
    for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
    fail(n, path, "'" + s + "' is not one of " + list);
  }
  return s;
}

std::string describe_yaml_exception(const std::string& source, const YAML::Exception& e) {
  if (e.mark.is_null()) return source + ": " + e.msg;
  return source + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg;
}

Expected<YAML::Node> load_yaml_config(std::string_view text, const std::string& source, size_t max_bytes,
                                      const std::string& root_keys) {
  if (auto st = check_config_text(text, source, max_bytes); !st.ok()) return st;
  if (auto st = check_yaml_syntax(text, source); !st.ok()) return st;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::Error(describe_yaml_exception(source, e));
  }
  if (auto st = check_yaml_shape(root, source); !st.ok()) return st;
  if (!root.IsMap()) return Status::Error(source + ": expected a mapping of keys (" + root_keys + ")");
  return root;
}

}  // namespace poolha

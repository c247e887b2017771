// The one strict reader of an operator's YAML file, used by every daemon's config
// (agent.yaml, controller.yaml, arbiter.yaml and their shared `cluster:` section).
// read_yaml_config() first checks the bytes as common/config_input.h says (size, UTF-8,
// libyaml syntax, nesting and aliases), then hands the root mapping to the caller's
// reader, which pulls each field through a YamlReader. Every error is one line:
//
//   controller.yaml:12:3: cluster.members[1].role: must be controller or arbiter
//
// the file, the line and column of the offending node, the field's dotted path and
// what is wrong. Unknown keys are refused with the list of allowed ones, a key given
// twice is refused (YAML parsers silently keep one of the two), missing required keys
// are named. The first error stops the read; nothing is half-applied.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "common/config_input.h"
#include "common/net_address.h"
#include "common/path_style.h"
#include "common/status.h"

namespace poolha {

class YamlReader {
 public:
  // What the helpers throw; read_yaml_config() turns it into the error. It never
  // leaves a reader.
  struct Failure {
    std::string message;
  };

  explicit YamlReader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  // "path.key", or "key" at the top level.
  static std::string join(const std::string& path, const std::string& key);

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path, const std::string& what) const;
  // `map` is a mapping with only `allowed` keys, each at most once, with every key of
  // `required`. `path` names it ("" for the top level).
  void keys(const YAML::Node& map, const std::string& path, const std::set<std::string>& allowed,
            const std::set<std::string>& required = {}) const;
  // A mapping whose keys are free (a monitor's params, timings checked elsewhere): plain
  // names, each at most once. `what` says what it maps, for the error.
  void free_keys(const YAML::Node& map, const std::string& path, const std::string& what) const;

  std::string text(const YAML::Node& n, const std::string& path) const;  // any scalar
  std::string nonempty_text(const YAML::Node& n, const std::string& path) const;
  std::string absolute_path(const YAML::Node& n, const std::string& path, PathStyle style = PathStyle::Posix) const;
  int64_t integer(const YAML::Node& n, const std::string& path, int64_t lo, int64_t hi) const;
  bool boolean(const YAML::Node& n, const std::string& path) const;  // true or false
  net::Endpoint endpoint(const YAML::Node& n, const std::string& path) const;
  std::string one_of(const YAML::Node& n, const std::string& path, const std::set<std::string>& values) const;

 private:
  std::string where(const YAML::Node& n) const;
  std::string source_;
};

// Checks `text` (config_input.h), parses it and returns `read(reader, root)`, or the
// first error. `root_keys` names the expected keys in the error for a non-mapping file.
template <typename T>
Expected<T> read_yaml_config(std::string_view text, const std::string& source, size_t max_bytes,
                             const std::string& root_keys,
                             const std::function<T(const YamlReader&, const YAML::Node&)>& read);

// ---------------------------------------------------------------- implementation

// The parts that do not depend on T: the checks and the parse. Error: the message.
Expected<YAML::Node> load_yaml_config(std::string_view text, const std::string& source, size_t max_bytes,
                                      const std::string& root_keys);
// yaml-cpp's own exception, as one positioned line.
std::string describe_yaml_exception(const std::string& source, const YAML::Exception& e);

template <typename T>
Expected<T> read_yaml_config(std::string_view text, const std::string& source, size_t max_bytes,
                             const std::string& root_keys,
                             const std::function<T(const YamlReader&, const YAML::Node&)>& read) {
  auto root = load_yaml_config(text, source, max_bytes, root_keys);
  if (!root.ok()) return root.status();
  const YamlReader reader(source);
  try {
    return read(reader, *root);
  } catch (const YamlReader::Failure& f) {
    return Expected<T>::Error(f.message);
  } catch (const YAML::Exception& e) {  // a node of another shape than asked for
    return Expected<T>::Error(describe_yaml_exception(source, e));
  }
}

}  // namespace poolha

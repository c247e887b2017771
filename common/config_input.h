// What every reader of an operator's file (agent.yaml, controller.yaml, arbiter.yaml,
// poolhactl apply files) checks before it looks at the content (issue 9 §4):
//   - the size: at most 1 MiB unless the reader says less;
//   - the text: UTF-8 without NUL bytes (a GBK file gets its line and column named,
//     and how to convert it, instead of a parser error or mojibake in the state);
//   - the syntax, by libyaml before yaml-cpp sees the text: libyaml is the parser
//     OSS-Fuzz has beaten on for years, and yaml-cpp 0.7 is not (fuzzing found
//     YAML::LoadAll looping for ever, allocating, on a malformed flow sequence, and
//     YAML::Load accepting the same garbage). One document, nesting bounded.
//   - the shape: yaml-cpp resolves an alias by sharing the node, so walking a file of
//     nested aliases visits exponentially many nodes ("billion laughs"), and nothing
//     else bounds the nesting. At most `max_depth` levels and `max_nodes` visits.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace YAML {
class Node;
}

namespace poolha {

inline constexpr size_t kMaxConfigBytes = 1u << 20;

Status check_config_text(std::string_view text, const std::string& source, size_t max_bytes = kMaxConfigBytes);
// Reads at most max_bytes + 1 bytes of `path` and checks them (check_config_text).
Expected<std::string> read_config_file(const std::string& path, size_t max_bytes = kMaxConfigBytes);
Status check_yaml_shape(const YAML::Node& root, const std::string& source, int max_depth = 32,
                        size_t max_nodes = 100000);
// libyaml's verdict on `text`: well-formed, exactly one document (or none: empty),
// at most `max_depth` levels of nesting. Errors name the line and column.
Status check_yaml_syntax(std::string_view text, const std::string& source, int max_depth = 32);

}  // namespace poolha

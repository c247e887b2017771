// What every reader of an operator's file (agent.yaml, controller.yaml, arbiter.yaml,
// poolhactl apply files) checks before it looks at the content (issue 9 §4):
//   - the size: at most 1 MiB unless the reader says less;
//   - the text: UTF-8 without NUL bytes (a GBK file gets its line and column named,
//     and how to convert it, instead of a parser error or mojibake in the state);
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

}  // namespace poolha

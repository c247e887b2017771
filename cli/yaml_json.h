// Converts a YAML (or JSON) document to JSON for the API, client-side, so `poolhactl
// apply -f` and `settings set -f` accept either. Plain YAML scalars that look like
// numbers, booleans or null (YAML 1.2 core schema: 42, -1.5, 1e3, true, False, null,
// ~) become JSON numbers, booleans and null; quoted scalars and explicit `!!str`
// stay strings; everything else is a string. `yes`/`no`/`on`/`off` are strings.
// Errors name the line and column (1-based): a parse error, a duplicate key, a
// non-scalar key, .inf/.nan (JSON has no such numbers), an integer out of range.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace poolha::cli {

// Apply and settings files may be this large (design §5's scale is a few MiB of YAML).
inline constexpr size_t kMaxApplyFileBytes = 8u << 20;

// `source` names the document in errors ("apply.yaml").
Expected<nlohmann::json> yaml_to_json(const std::string& text, const std::string& source);

// Reads a file of at most 8 MiB and converts it.
Expected<nlohmann::json> load_yaml_or_json_file(const std::string& path);

}  // namespace poolha::cli

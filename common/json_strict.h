// Strict decoding of JSON into our value types (nlohmann's NLOHMANN_DEFINE_TYPE_*):
// every field of the input must exist in the type's default value with a compatible
// JSON kind, recursively, so an unknown field or a wrong type is an error that names
// its path ("rule.vips[1].cidr"), and numbers beyond int64 are refused before nlohmann
// casts them (undefined behaviour). Used by every codec of replicated state and API
// bodies (rules/json_codec, access/json_codec): one strictness for all of them.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace poolha::json_strict {

using Json = nlohmann::json;

// "object", "string", "integer", ... for error messages.
const char* kind_name(const Json& j);

// Every field of `in` against `shape` (a default value's JSON), recursing into objects.
// An empty object in the shape is a map of strings (labels).
Status check_shape(const Json& shape, const Json& in, const std::string& path);

// Refuses any float outside int64's range anywhere in `root` (iterative: no recursion).
Status check_number_ranges(const Json& root, const std::string& path);

// Decodes T from `in` after both checks. `element_shape` gives, per array field, the
// shape of its elements (objects); array elements without one must be strings.
template <class T>
Expected<T> decode(const Json& in, const std::string& path, const Json& element_shape = Json()) {
  if (auto st = check_number_ranges(in, path); !st.ok()) return st;
  Json shape = T{};
  if (auto st = check_shape(shape, in, path); !st.ok()) return st;
  if (!element_shape.is_null()) {
    for (const auto& [k, v] : in.items()) {
      if (!v.is_array()) continue;
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string at = path + "." + k + "[" + std::to_string(i) + "]";
        if (shape.at(k).is_array() && element_shape.contains(k)) {
          if (auto st = check_shape(element_shape.at(k), v[i], at); !st.ok()) return st;
        } else if (!v[i].is_string()) {
          return Status::Error(at + ": expected a string");
        }
      }
    }
  }
  try {
    return in.get<T>();
  } catch (const std::exception& e) {
    return Status::Error(path + ": " + e.what());
  }
}

}  // namespace poolha::json_strict

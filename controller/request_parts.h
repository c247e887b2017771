// Reading a REST request's parts the same way in every route file: the path's
// segments, a query parameter, a body's allowed fields and typed fields, each refusal
// naming the field.
#pragma once
#include <nlohmann/json.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::controller {

std::vector<std::string> split_path(const std::string& path);
// The value of `key` in a query string ("a=1&b=2"), percent-decoded; "" if absent.
std::string query_param(const std::string& query, const std::string& key);
// Percent-decoding (a '+' stays a '+'); malformed escapes stay as they are.
std::string percent_decode(const std::string& in);
// The body is an object with no field outside `allowed`.
Status only_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed);
// A string field: absent -> `dflt` (nullopt: required); present but not a string, or
// longer than `max_bytes`, or not valid UTF-8 -> error.
Expected<std::string> string_field(const nlohmann::json& body, const char* key, size_t max_bytes,
                                   std::optional<std::string> dflt = std::nullopt);
// An integer query parameter within lo..hi; absent -> dflt.
Expected<int64_t> int_param(const std::string& query, const std::string& key, int64_t lo, int64_t hi, int64_t dflt);

}  // namespace poolha::controller

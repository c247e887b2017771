#include "common/json_strict.h"

#include <vector>

namespace poolha::json_strict {

const char* kind_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "object";
    case Json::value_t::array: return "array";
    case Json::value_t::string: return "string";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    default: return "other";
  }
}

namespace {

bool compatible(const Json& want, const Json& got) {
  if (want.is_number_float()) return got.is_number();
  if (want.is_number()) return got.is_number_integer() || got.is_number_unsigned();
  return want.type() == got.type();
}

}  // namespace

Status check_shape(const Json& shape, const Json& in, const std::string& path) {
  if (!in.is_object()) return Status::Error(path + ": expected an object, got " + kind_name(in));
  for (const auto& [k, v] : in.items()) {
    if (!shape.contains(k)) return Status::Error(path + ": unknown field '" + k + "'");
    const Json& want = shape.at(k);
    if (want.is_object() && want.empty()) {  // a map such as labels: string -> string
      if (!v.is_object()) return Status::Error(path + "." + k + ": expected an object, got " + kind_name(v));
      for (const auto& [lk, lv] : v.items())
        if (!lv.is_string()) return Status::Error(path + "." + k + "." + lk + ": expected a string");
      continue;
    }
    if (!compatible(want, v) && !(want.is_array() && v.is_array()))
      return Status::Error(path + "." + k + ": expected " + kind_name(want) + ", got " + kind_name(v));
    if (want.is_object()) {
      if (auto st = check_shape(want, v, path + "." + k); !st.ok()) return st;
    }
  }
  return Status::Ok();
}

// nlohmann turns a JSON float into an integer field with a plain cast, which is
// undefined beyond int64's range (fuzzing found 1e73 in a snapshot's settings). No
// field of ours holds such a number, whatever its type: refused before decoding.
Status check_number_ranges(const Json& root, const std::string& path) {
  constexpr double kLimit = 9.0e18;  // just inside int64
  std::vector<const Json*> todo{&root};
  while (!todo.empty()) {
    const Json* j = todo.back();
    todo.pop_back();
    if (j->is_number_float()) {
      const double v = j->get<double>();
      if (!(v > -kLimit && v < kLimit)) return Status::Error(path + ": number " + std::to_string(v) + " is out of range");
    } else if (j->is_structured()) {
      for (const auto& child : *j) todo.push_back(&child);
    }
  }
  return Status::Ok();
}

}  // namespace poolha::json_strict

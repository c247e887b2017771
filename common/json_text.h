// The one way poolha turns JSON into text, and the one way it reads JSON from outside.
//
// Writing: nlohmann's dump() throws on a string that is not valid UTF-8; thrown inside
// a handler it ended the controller (issue 9). json_text never throws: such bytes come
// out as U+FFFD. Every dump in the project goes through here (tests/lint checks it).
//
// Reading: parse_json_bounded refuses nesting deeper than `max_depth` before building
// it (a 1 MiB "[[[[..." body cost 80 MB of DOM), and never throws.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"

namespace poolha {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline constexpr int kMaxJsonDepth = 64;

inline Expected<nlohmann::json> parse_json_bounded(std::string_view text, int max_depth = kMaxJsonDepth) {
  bool too_deep = false;
  nlohmann::json::parser_callback_t cb = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if (depth > max_depth) {
      too_deep = true;
      return false;
    }
    (void)event;
    return !too_deep;
  };
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (too_deep) return Expected<nlohmann::json>::Error("nested deeper than " + std::to_string(max_depth) + " levels");
  if (j.is_discarded()) return Expected<nlohmann::json>::Error("not valid JSON (or not UTF-8)");
  return j;
}

}  // namespace poolha

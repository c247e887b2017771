// Which field of a spec one of our error messages is about, so the console can show
// the controller's own message at that field of its form. Our messages name the field
// first, after the object ("rule r1: home: node h9 is not in pool p1", "rule.vips[1].cidr:
// expected a string", "node n1: pool is required"); the answer is checked against the
// spec's JSON shape, so it is a real field or "" (the message then stands for the form).
#pragma once
#include <string>
#include <string_view>

#include "rules/json_codec.h"

namespace poolha::rules {

// kind: "rule", "node", "pool" or "template"; shape: the spec's JSON (Json(RuleSpec{})).
// Returns a path such as "home", "vips[1].cidr" or "monitors", or "".
std::string problem_field(std::string_view message, std::string_view kind, const Json& shape);

}  // namespace poolha::rules

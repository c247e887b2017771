// The engine's one JSON spelling (rules/json_codec): log entries, snapshots, API bodies
// and scenario files are decoded through it. An event or state it accepts must encode
// and decode to the same thing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/json_text.h"
#include "rules/json_codec.h"
#include "rules/validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  auto j = parse_json_bounded(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!j.ok()) return 0;
  if (auto e = rules::event_from_json(*j); e.ok()) {
    auto again = rules::event_from_json(parse_json_bounded(json_text(rules::to_json(*e))).value());
    if (!again.ok() || rules::to_json(*again) != rules::to_json(*e)) __builtin_trap();
  }
  if (auto r = rules::rule_from_json(*j); r.ok()) (void)rules::validate_rule(*r);
  (void)rules::node_from_json(*j);
  (void)rules::pool_from_json(*j);
  (void)rules::settings_from_json(*j);
  if (auto s = rules::state_from_json(*j); s.ok()) (void)json_text(rules::to_json(*s));
  return 0;
}

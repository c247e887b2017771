// Runs a scenario file (tests/scenarios/*.json): setup events, then steps, each an
// event whose actions are answered automatically (acquire/release succeed unless the
// step's "respond" says otherwise, e.g. {"acquire@b": "conflict"}) until nothing more
// happens; then the step's expectations are checked:
//   "expect_actions": partial action objects, each must match one emitted action;
//   "expect_no_actions": partial objects no emitted action may match;
//   "expect_state": a partial ClusterState that must match;
//   "expect_rejected": a substring of the rejection message.
#pragma once
#include <string>
#include <vector>

#include "rules/json_codec.h"

namespace poolha::rules::testing {

struct ScenarioOutcome {
  std::vector<std::string> failures;  // empty: passed
};
ScenarioOutcome run_scenario(const Json& scenario);

// True when every field in `partial` equals the same field in `whole` (recursively).
bool json_subset(const Json& partial, const Json& whole);

}  // namespace poolha::rules::testing

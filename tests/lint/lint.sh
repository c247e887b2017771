#!/usr/bin/env bash
# Keeps issue 9's classes of bugs from coming back, by rule rather than by memory:
#   - JSON is written only through json_text() (nlohmann's dump() throws on a string
#     that is not UTF-8; thrown in a handler it ended the controller);
#   - the agent matches text with RE2, never std::regex (backtracking: a pattern from
#     the controller could stall a worker for ever);
#   - every file that parses YAML also bounds it (common/config_input.h: size, UTF-8,
#     depth and alias expansion);
#   - a daemon's event loop is run through wire::run_event_loop (an escaped exception
#     is reported, the process carries on);
#   - each folder includes only what tests/lint/layers.py allows it (the layers).
# Prints each violation with file and line; exits 1 if there is any.
set -u
cd "$(dirname "$0")/../.."
src=(agent arbiter cli common consensus controller member rules store wire)
fail=0
violation() { echo "lint: $1"; fail=1; }

while IFS= read -r hit; do violation "$hit: use json_text() (common/json_text.h), dump() throws on bad UTF-8"; done < <(
  grep -rnE '\.dump\(' "${src[@]}" --include='*.cc' --include='*.h' | grep -v '^common/json_text.h:' | grep -vE 'nl\.dump\(|Status dump\(')

while IFS= read -r hit; do violation "$hit: the agent matches with RE2 (linear time), not std::regex"; done < <(
  grep -rnE 'std::regex|<regex>' agent --include='*.cc' --include='*.h')

for f in $(grep -rlE 'YAML::Load(All|File)?\(' "${src[@]}" --include='*.cc'); do
  grep -q 'check_yaml_syntax' "$f" || violation "$f: parses YAML without check_yaml_syntax first (common/config_input.h)"
  grep -q 'check_yaml_shape' "$f" || violation "$f: parses YAML without check_yaml_shape (common/config_input.h)"
done
while IFS= read -r hit; do violation "$hit: YAML::LoadAll loops for ever on some malformed input; check_yaml_syntax, then YAML::Load"; done < <(
  grep -rnE 'YAML::LoadAll\(' "${src[@]}" --include='*.cc')

while IFS= read -r hit; do violation "$hit: run the loop with wire::run_event_loop (wire/event_loop.h)"; done < <(
  grep -rnE '\bio_?\.run\(\)' agent/main.cc agent/daemon.cc arbiter/main.cc controller/controller_main.cc)

# Each folder includes only the folders below it (issue 10: layers that are enforced).
python3 tests/lint/layers.py || fail=1

[ $fail -eq 0 ] && echo "lint: ok (json_text, RE2, bounded YAML, guarded event loops, layers)"
exit $fail

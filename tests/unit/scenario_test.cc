#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rules/engine.h"
#include "tests/unit/scenario_runner.h"

namespace poolha::rules::testing {

bool json_subset(const Json& partial, const Json& whole) {
  if (partial.is_object()) {
    if (!whole.is_object()) return false;
    for (const auto& [k, v] : partial.items())
      if (!whole.contains(k) || !json_subset(v, whole.at(k))) return false;
    return true;
  }
  return partial == whole;
}

namespace {

std::string respond_outcome(const Json& respond, const Json& action) {
  std::string key = action["type"].get<std::string>() + "@" + action["node"].get<std::string>();
  std::string keyr = key + "#" + action["rule"].get<std::string>();
  if (respond.contains(keyr)) return respond[keyr];
  if (respond.contains(key)) return respond[key];
  return "ok";
}

}  // namespace

ScenarioOutcome run_scenario(const Json& sc) {
  ScenarioOutcome out;
  Engine engine;
  auto feed = [&](const Json& ev, const Json& respond, std::vector<Json>* emitted, std::string* rejected) {
    auto parsed = event_from_json(ev);
    if (!parsed.ok()) {
      out.failures.push_back("bad event in scenario: " + parsed.error());
      return;
    }
    TimeMs now = ev.value("now", 0);
    std::vector<Event> queue{*parsed};
    for (size_t i = 0; i < queue.size() && i < 1000; ++i) {
      Decision d = engine.apply(queue[i]);
      if (!d.ok() && rejected) *rejected = d.rejected;
      for (const auto& a : d.actions) {
        Json aj = to_json(a);
        emitted->push_back(aj);
        std::string type = aj["type"];
        if (type != "acquire" && type != "release") continue;
        std::string outcome = respond_outcome(respond, aj);
        if (outcome == "none") continue;  // no answer: stays in flight
        ActionResult r;
        r.action_id = aj["action_id"];
        r.node = aj["node"];
        r.now = now;
        r.detail = "scripted " + outcome;
        r.outcome = Json(outcome).get<ActionOutcome>();
        r.vips_removed = outcome == "ok" || outcome == "failed";
        queue.emplace_back(r);
      }
    }
  };
  Json setup = Json::array();
  if (sc.contains("base")) {
    std::ifstream in(std::string(POOLHA_SCENARIO_DIR) + "/bases/" + sc["base"].get<std::string>() + ".json");
    setup = Json::parse(in)["setup"];
  }
  for (const auto& ev : sc.value("setup", Json::array())) setup.push_back(ev);
  for (const auto& ev : setup) {
    std::vector<Json> emitted;
    feed(ev, sc.value("respond", Json::object()), &emitted, nullptr);
  }
  int n = 0;
  for (const auto& step : sc.value("steps", Json::array())) {
    ++n;
    std::vector<Json> emitted;
    std::string rejected;
    Json respond = sc.value("respond", Json::object());
    if (step.contains("respond")) respond.update(step["respond"]);
    feed(step["event"], respond, &emitted, &rejected);
    const std::string where = "step " + std::to_string(n) + " (" + step.value("note", "") + "): ";
    for (const auto& want : step.value("expect_actions", Json::array())) {
      bool found = false;
      for (const auto& a : emitted) found |= json_subset(want, a);
      if (!found) out.failures.push_back(where + "no action matched " + want.dump() + "; got " + Json(emitted).dump());
    }
    for (const auto& bad : step.value("expect_no_actions", Json::array()))
      for (const auto& a : emitted)
        if (json_subset(bad, a)) out.failures.push_back(where + "unexpected action " + a.dump());
    if (step.contains("expect_state") && !json_subset(step["expect_state"], to_json(engine.state())))
      out.failures.push_back(where + "state does not match " + step["expect_state"].dump());
    if (step.contains("expect_rejected")) {
      std::string want = step["expect_rejected"];
      if (rejected.find(want) == std::string::npos)
        out.failures.push_back(where + "expected rejection containing '" + want + "', got '" + rejected + "'");
    } else if (!rejected.empty()) {
      out.failures.push_back(where + "unexpected rejection: " + rejected);
    }
  }
  return out;
}

class ScenarioFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioFiles, Passes) {
  std::ifstream in(GetParam());
  Json sc = Json::parse(in);
  auto outcome = run_scenario(sc);
  for (const auto& f : outcome.failures) ADD_FAILURE() << GetParam() << ": " << f;
}

std::vector<std::string> scenario_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(POOLHA_SCENARIO_DIR))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

INSTANTIATE_TEST_SUITE_P(Corpus, ScenarioFiles, ::testing::ValuesIn(scenario_files()),
                         [](const auto& param_info) {
                           std::string n = std::filesystem::path(param_info.param).stem().string();
                           for (auto& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace poolha::rules::testing

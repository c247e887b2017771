#include "tests/unit/scenario_runner.h"

#include <fstream>
#include <map>

#include "rules/engine.h"

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

// Leaves of the state by dotted path (arrays whole): what a diff line names.
// An empty mapping is no leaf: it says nothing its missing children do not.
void flatten(const Json& j, const std::string& path, std::map<std::string, std::string>* out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, path.empty() ? k : path + "." + k, out);
    return;
  }
  (*out)[path] = j.dump();
}

class Runner {
 public:
  Runner(const Json& sc, ScenarioOutcome* out) : sc_(sc), out_(*out) {}

  void restart() {
    auto restored = state_from_json(to_json(engine_.state()));
    if (!restored.ok()) {
      out_.failures.push_back("the state does not survive a restart: " + restored.error());
      return;
    }
    engine_ = Engine(*restored);
    line("> restart (engine rebuilt from its state)");
  }

  // Feeds `ev` and, unless told not to, the answers to what it started.
  void feed(const Json& ev, const Json& respond, std::vector<Json>* emitted, std::string* rejected) {
    auto parsed = event_from_json(ev);
    if (!parsed.ok()) {
      out_.failures.push_back("bad event in scenario: " + parsed.error() + ": " + ev.dump());
      line("? bad event: " + parsed.error());
      return;
    }
    const bool auto_respond = sc_.value("auto_respond", true);
    const TimeMs now = ev.value("now", 0);
    std::vector<Event> queue{*parsed};
    for (size_t i = 0; i < queue.size() && i < 1000; ++i) {
      const Json ej = to_json(queue[i]);
      line((i == 0 ? "> " : ">> ") + ej.dump());
      ++out_.events;
      Decision d = engine_.apply(queue[i]);
      if (!d.ok()) {
        line("! rejected: " + d.rejected);
        if (rejected) *rejected = d.rejected;
      }
      for (const auto& a : d.actions) {
        Json aj = to_json(a);
        const std::string text = aj.dump();
        line("< " + text);
        out_.actions.push_back(text);
        emitted->push_back(aj);
        const std::string type = aj["type"];
        if (!auto_respond || (type != "acquire" && type != "release")) continue;
        const std::string outcome = respond_outcome(respond, aj);
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
  }

  void run(const std::string& base_dir) {
    Json setup = Json::array();
    if (sc_.contains("base")) {
      std::ifstream in(base_dir + "/" + sc_["base"].get<std::string>() + ".json");
      const Json base = Json::parse(in, nullptr, false);
      if (base.is_discarded()) out_.failures.push_back("base " + sc_["base"].dump() + " is missing or not JSON");
      else setup = base.value("setup", Json::array());
    }
    for (const auto& ev : sc_.value("setup", Json::array())) setup.push_back(ev);
    // The setup's events and actions; its state shows in the steps' changes and the
    // final state.
    line("## setup");
    for (const auto& ev : setup) {
      std::vector<Json> emitted;
      feed(ev, sc_.value("respond", Json::object()), &emitted, nullptr);
    }
    int n = 0;
    for (const auto& step : sc_.value("steps", Json::array())) {
      ++n;
      ++out_.steps;
      line("## step " + std::to_string(n) + (step.contains("note") ? ": " + step["note"].get<std::string>() : ""));
      if (step.value("restart", false)) {
        const Json before = to_json(engine_.state());
        restart();
        diff(before);
        continue;
      }
      std::vector<Json> emitted;
      std::string rejected;
      Json respond = sc_.value("respond", Json::object());
      if (step.contains("respond")) respond.update(step["respond"]);
      step_feed(step["event"], respond, &emitted, &rejected);
      check(step, n, emitted, rejected);
    }
    line("## final state");
    out_.transcript += to_json(engine_.state()).dump(2) + "\n";
  }

 private:
  void line(const std::string& s) { out_.transcript += s + "\n"; }

  void step_feed(const Json& ev, const Json& respond, std::vector<Json>* emitted, std::string* rejected) {
    const Json before = to_json(engine_.state());
    feed(ev, respond, emitted, rejected);
    diff(before);
  }

  void diff(const Json& before) {
    std::map<std::string, std::string> a, b;
    flatten(before, "", &a);
    flatten(to_json(engine_.state()), "", &b);
    for (const auto& [path, v] : b)
      if (auto it = a.find(path); it == a.end()) line("~ " + path + ": (none) -> " + v);
      else if (it->second != v) line("~ " + path + ": " + it->second + " -> " + v);
    for (const auto& [path, v] : a)
      if (!b.count(path)) line("~ " + path + ": " + v + " -> (none)");
  }

  void check(const Json& step, int n, const std::vector<Json>& emitted, const std::string& rejected) {
    const std::string where = "step " + std::to_string(n) + " (" + step.value("note", "") + "): ";
    for (const auto& want : step.value("expect_actions", Json::array())) {
      bool found = false;
      for (const auto& a : emitted) found |= json_subset(want, a);
      if (!found) out_.failures.push_back(where + "no action matched " + want.dump() + "; got " + Json(emitted).dump());
    }
    for (const auto& bad : step.value("expect_no_actions", Json::array()))
      for (const auto& a : emitted)
        if (json_subset(bad, a)) out_.failures.push_back(where + "unexpected action " + a.dump());
    if (step.contains("expect_state") && !json_subset(step["expect_state"], to_json(engine_.state())))
      out_.failures.push_back(where + "state does not match " + step["expect_state"].dump());
    if (step.contains("expect_rejected")) {
      const std::string want = step["expect_rejected"];
      if (rejected.find(want) == std::string::npos)
        out_.failures.push_back(where + "expected rejection containing '" + want + "', got '" + rejected + "'");
    } else if (!rejected.empty() && sc_.value("auto_respond", true)) {
      out_.failures.push_back(where + "unexpected rejection: " + rejected);
    }
  }

  const Json& sc_;
  ScenarioOutcome& out_;
  Engine engine_;
};

}  // namespace

ScenarioOutcome run_scenario(const Json& sc, const std::string& base_dir) {
  ScenarioOutcome out;
  if (sc.contains("description")) out.transcript += "# " + sc["description"].get<std::string>() + "\n";
  Runner(sc, &out).run(base_dir);
  return out;
}

}  // namespace poolha::rules::testing

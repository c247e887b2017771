// The poolhactl commands that talk to the controller's REST API.
#include <algorithm>
#include <chrono>
#include <set>
#include <cstdio>
#include <thread>

#include "cli/apply_file.h"
#include "cli/commands.h"
#include "cli/tables.h"
#include "cli/yaml_json.h"
#include "common/json_text.h"
#include "rules/json_codec.h"
#include "rules/rule_templates.h"
#include "wire/pki.h"

namespace poolha::cli {

namespace {

std::string seg(const std::string& id) { return url_encode(id); }

std::optional<Json> status(Context& c) { return call_api(c, "reading the cluster status", "GET", "/v1/status"); }

const Json& state_part(const Json& status, const char* key) {
  static const Json empty = Json::object();
  if (!status.contains("state") || !status["state"].is_object() || !status["state"].contains(key)) return empty;
  return status["state"][key];
}

bool on_off(const std::string& s, bool& out) {
  if (s == "on") return out = true, true;
  if (s == "off") return out = false, true;
  return false;
}


}  // namespace

int cmd_status(Context& c) {
  auto s = status(c);
  if (!s) return kExitFailed;
  if (c.json)
    print_json(*s);
  else
    std::fputs(render_status(*s).c_str(), stdout);
  return kExitOk;
}

int cmd_pool_list(Context& c) {
  auto s = status(c);
  if (!s) return kExitFailed;
  if (c.json)
    print_json(state_part(*s, "pools"));
  else
    std::fputs(render_pools((*s)["state"]).c_str(), stdout);
  return kExitOk;
}

int cmd_pool_delete(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "deleting pool " + id, "DELETE", "/v1/pools/" + seg(id), Json(), "pool " + id + " deleted");
}

int cmd_pool_freeze(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "freezing pool " + id, "POST", "/v1/pools/" + seg(id) + "/freeze", {{"on", true}},
             "pool " + id + " frozen: no automatic action on its rules, alerts only (undo: poolhactl pool unfreeze " +
                 id + ")");
}

int cmd_pool_unfreeze(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "unfreezing pool " + id, "POST", "/v1/pools/" + seg(id) + "/freeze", {{"on", false}},
             "pool " + id + " unfrozen");
}

int cmd_node_list(Context& c) {
  auto s = status(c);
  if (!s) return kExitFailed;
  const Json agents = s->contains("agents") ? (*s)["agents"] : Json::object();
  if (c.json) {
    Json out = state_part(*s, "nodes");
    for (auto& [id, n] : out.items())
      if (agents.contains(id)) n["agent"] = agents[id];
    print_json(out);
  } else {
    std::fputs(render_nodes((*s)["state"], agents).c_str(), stdout);
  }
  return kExitOk;
}

int cmd_node_delete(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "removing node " + id, "DELETE", "/v1/nodes/" + seg(id), Json(), "node " + id + " removed");
}

int cmd_node_maintenance(Context& c) {
  const std::string id = c.positionals[0];
  bool on = false;
  if (!on_off(c.positionals[1], on))
    return usage("node maintenance: the last word must be on or off, got '" + c.positionals[1] + "'");
  return act(c, std::string(on ? "starting" : "ending") + " maintenance of node " + id, "POST",
             "/v1/nodes/" + seg(id) + "/maintenance", {{"on", on}},
             on ? "node " + id + " in maintenance: its services move into the pool (watch: poolhactl status)"
                : "node " + id + " out of maintenance");
}

int cmd_rule_list(Context& c) {
  auto s = status(c);
  if (!s) return kExitFailed;
  if (c.json)
    print_json(state_part(*s, "rules"));
  else
    std::fputs(render_rules((*s)["state"]).c_str(), stdout);
  return kExitOk;
}

int cmd_rule_show(Context& c) {
  const std::string id = c.positionals[0];
  auto s = status(c);
  if (!s) return kExitFailed;
  const Json& rules = state_part(*s, "rules");
  if (!rules.contains(id)) return fail("no rule '" + id + "'; poolhactl rule list shows the rules that exist");
  if (c.json)
    print_json(rules[id]);
  else
    std::fputs(render_rule(id, rules[id]).c_str(), stdout);
  return kExitOk;
}

int cmd_rule_delete(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "deleting rule " + id, "DELETE", "/v1/rules/" + seg(id), Json(),
             "rule " + id + " deleted (its VIPs are released on its primary)");
}

int cmd_rule_freeze(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "freezing rule " + id, "POST", "/v1/rules/" + seg(id) + "/freeze", {{"on", true}},
             "rule " + id + " frozen: no automatic action, alerts only (undo: poolhactl rule unfreeze " + id + ")");
}

int cmd_rule_unfreeze(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "unfreezing rule " + id, "POST", "/v1/rules/" + seg(id) + "/freeze", {{"on", false}},
             "rule " + id + " unfrozen");
}

int cmd_rule_resume(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "resuming rule " + id, "POST", "/v1/rules/" + seg(id) + "/resume", Json::object(),
             "rule " + id + " resumed (watch: poolhactl wait --rule " + id + " --phase running)");
}

int cmd_apply(Context& c) {
  const std::string file = c.args.value("file");
  if (file.empty()) return usage("apply: -f FILE is required (YAML or JSON with settings, pools, nodes, templates, rules)");
  auto text = pki::read_file(file, kMaxApplyFileBytes);
  if (!text.ok()) return fail(text.error() + "; fix the file and run apply again");
  auto checked = apply_body(*text, file);
  if (!checked.ok()) return fail(checked.error() + "; fix the file and run apply again (nothing was sent)");
  Json& body = *checked;
  // Every item is committed (fsynced) before the next: the answer to a large file takes
  // a while, so the wait grows with the file (50 ms an item, at most 15 min).
  size_t items = 0;
  for (const char* k : {"pools", "nodes", "templates", "rules"})
    if (body.contains(k)) items += body[k].size();
  c.api.step_timeout = std::max(c.api.step_timeout, std::chrono::milliseconds(std::min<size_t>(900'000, 5000 + 50 * items)));
  int rc = kExitFailed;
  auto res = call_api(c, "applying " + file, "POST", "/v1/apply", body, &rc);
  if (!res) return rc;
  if (c.json) {
    print_json(*res);
  } else {
    std::printf("applied %s from %s (%zu pools, %zu nodes, %zu templates, %zu rules%s)\n",
                res->contains("applied") ? json_text((*res)["applied"]).c_str() : "?", file.c_str(), body["pools"].size(),
                body["nodes"].size(), body["templates"].size(), body["rules"].size(),
                body.contains("settings") ? ", settings" : "");
  }
  return kExitOk;
}

namespace {

int switch_rule(Context& c, bool forced) {
  const std::string id = c.positionals[0];
  const std::string to = c.args.value("to");
  const std::string onto = to.empty() ? "the best eligible node" : to;
  Json body{{"target", to}, {"forced", forced}};
  if (c.args.flag("override")) {
    if (!forced || to.empty()) return usage("--override: only with `force RULE --to NODE`");
    body["override"] = true;
  }
  return act(c, std::string(forced ? "forced switch" : "switchover") + " of rule " + id, "POST",
             "/v1/rules/" + seg(id) + "/switchover", body,
             std::string(forced ? "forced switch" : "switchover") + " of rule " + id + " to " + onto +
                 " requested (watch: poolhactl wait --rule " + id + " --phase running" +
                 (to.empty() ? "" : " --primary " + to) + ")");
}

}  // namespace

int cmd_switchover(Context& c) { return switch_rule(c, false); }

int cmd_group_switchover(Context& c) {
  const std::string group = c.positionals[0];
  const std::string to = c.args.value("to");
  Json body{{"target", to}};
  if (c.args.has("pool")) body["pool"] = c.args.value("pool");
  return act(c, "switchover of group " + group, "POST", "/v1/groups/" + seg(group) + "/switchover", body,
             "switchover of group " + group + " to " + (to.empty() ? "the best eligible node" : to) +
                 " requested: its rules move together (watch: poolhactl rule list)");
}

int cmd_template_list(Context& c) {
  auto res = call_api(c, "reading templates", "GET", "/v1/templates");
  if (!res) return kExitFailed;
  if (c.json) {
    print_json((*res)["templates"]);
    return kExitOk;
  }
  std::printf("%-24s %-8s %s\n", "TEMPLATE", "RULES", "DESCRIPTION");
  for (const auto& t : (*res)["templates"])
    std::printf("%-24s %-8zu %s\n", t.value("id", "").c_str(), t["used_by"].size(), t.value("description", "").c_str());
  return kExitOk;
}

int cmd_template_delete(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "deleting template " + id, "DELETE", "/v1/templates/" + seg(id), Json(), "template " + id + " deleted");
}
int cmd_force(Context& c) { return switch_rule(c, true); }

int cmd_failback(Context& c) {
  const std::string id = c.positionals[0];
  return act(c, "failback of rule " + id, "POST", "/v1/rules/" + seg(id) + "/failback", Json::object(),
             "failback of rule " + id + " to its home node requested (watch: poolhactl wait --rule " + id +
                 " --phase running)");
}

int cmd_events(Context& c) {
  long long limit = 50;
  if (c.args.has("limit")) {
    auto l = parse_int("limit", c.args.value("limit"), 1, 100000);
    if (!l.ok()) return usage(l.error());
    limit = *l;
  }
  std::string target = "/v1/events?limit=" + std::to_string(limit);
  if (c.args.has("rule")) target += "&rule=" + url_encode(c.args.value("rule"));
  if (c.args.has("node")) target += "&node=" + url_encode(c.args.value("node"));
  auto res = call_api(c, "reading events", "GET", target);
  if (!res) return kExitFailed;
  if (c.json)
    print_json(*res);
  else
    std::fputs(render_events(res->contains("events") ? (*res)["events"] : Json::array()).c_str(), stdout);
  return kExitOk;
}

int cmd_token_create(Context& c) {
  const std::string node = c.positionals[0];
  long long ttl = 3600;
  if (c.args.has("ttl-s")) {
    auto t = parse_int("ttl-s", c.args.value("ttl-s"), 1, 30LL * 24 * 3600);
    if (!t.ok()) return usage(t.error());
    ttl = *t;
  }
  int rc = kExitFailed;
  auto res = call_api(c, "creating an enrolment token for " + node, "POST", "/v1/tokens", {{"node", node}, {"ttl_s", ttl}},
                  &rc);
  if (!res) return rc;
  if (c.json) {
    print_json(*res);
    return kExitOk;
  }
  if (!res->contains("token") || !(*res)["token"].is_string())
    return fail("the controller's answer has no token; check the controller's version and log");
  std::printf("enrolment token for node %s (usable once, valid %lld s):\n%s\n", node.c_str(), ttl,
              (*res)["token"].get<std::string>().c_str());
  return kExitOk;
}

// Revocation names a serial; -f CERT reads it from the certificate file.
int cmd_cert_revoke(Context& c) {
  std::string serial = c.args.value("serial"), who;
  if (c.args.has("file")) {
    auto pem = pki::read_file(c.args.value("file"), pki::kMaxPemBytes);
    if (!pem.ok()) return fail(pem.error());
    auto id = pki::identity_of(*pem);
    if (!id.ok()) return fail(c.args.value("file") + ": " + id.error());
    serial = id->serial;
    who = id->common_name + " (" + pki::to_string(id->role) + ")";
  }
  if (serial.empty()) return usage("cert revoke: --serial HEX or -f CERT.crt is required");
  Json body{{"serial", serial}};
  const std::string note = c.args.value("note", who.empty() ? "" : "certificate of " + who);
  if (!note.empty()) body["note"] = note;
  int rc = kExitFailed;
  auto res = call_api(c, "revoking certificate " + serial, "POST", "/v1/certificates/revoke", body, &rc);
  if (!res) return rc;
  if (c.json) print_json(*res);
  else
    std::printf("revoked certificate %s%s: every control-plane member now refuses it and closes its sessions\n",
                serial.c_str(), who.empty() ? "" : (" of " + who).c_str());
  return kExitOk;
}

int cmd_cert_revoked(Context& c) {
  auto res = call_api(c, "reading the revoked certificates", "GET", "/v1/certificates");
  if (!res) return kExitFailed;
  if (c.json) {
    print_json(*res);
    return kExitOk;
  }
  Table t({"SERIAL", "NOTE"});
  if (res->contains("revoked") && (*res)["revoked"].is_array())
    for (const auto& r : (*res)["revoked"])
      t.add({r.value("serial", std::string()), r.value("note", std::string())});
  std::fputs(t.empty() ? "no certificate is revoked\n" : t.render().c_str(), stdout);
  return kExitOk;
}

int cmd_settings_show(Context& c) {
  auto res = call_api(c, "reading settings", "GET", "/v1/settings");
  if (!res) return kExitFailed;
  const Json& s = res->contains("settings") && (*res)["settings"].is_object() ? (*res)["settings"] : *res;
  if (c.json)
    print_json(s);
  else
    std::fputs(render_object(s).c_str(), stdout);
  return kExitOk;
}

int cmd_settings_set(Context& c) {
  const std::string file = c.args.value("file");
  if (file.empty()) return usage("settings set: -f FILE is required (YAML or JSON with the fields to change)");
  auto doc = load_yaml_or_json_file(file);
  if (!doc.ok()) return fail(doc.error() + "; fix the file and run settings set again");
  Json changes = *doc;
  if (changes.is_object() && changes.size() == 1 && changes.contains("settings")) changes = changes["settings"];
  if (!changes.is_object()) return fail(file + ": expected a mapping of settings fields");
  if (auto s = rules::settings_from_json(changes); !s.ok())
    return fail(file + ": " + s.error() + "; fix the file (nothing was sent)");
  // Fields not in the file keep their current values.
  auto current = call_api(c, "reading settings", "GET", "/v1/settings");
  if (!current) return kExitFailed;
  Json merged = current->contains("settings") && (*current)["settings"].is_object() ? (*current)["settings"] : *current;
  for (const auto& [k, v] : changes.items()) merged[k] = v;
  return act(c, "changing settings", "PUT", "/v1/settings", merged,
             "settings changed: " + std::to_string(changes.size()) + " field(s) from " + file);
}

int cmd_wait(Context& c) {
  using Clock = std::chrono::steady_clock;
  const std::string rule = c.args.value("rule");
  const std::string phase = c.args.value("phase", "running");
  const std::string primary = c.args.value("primary");
  if (rule.empty()) return usage("wait: --rule RULE is required");
  static const std::set<std::string> phases = {"unplaced", "running", "switching", "blocked", "admin-wait"};
  if (!phases.count(phase))
    return usage("wait: --phase must be unplaced, running, switching, blocked or admin-wait, got '" + phase + "'");
  long long timeout_ms = 30000;
  if (c.args.has("timeout-ms")) {
    auto t = parse_int("timeout-ms", c.args.value("timeout-ms"), 1, 24LL * 3600 * 1000);
    if (!t.ok()) return usage(t.error());
    timeout_ms = *t;
  }
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeout_ms);
  const std::string want = phase + (primary.empty() ? "" : " on " + primary);
  ApiClient client(c.api);
  std::string last_seen = "no answer yet", last_error;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    client.set_step_timeout(std::clamp(left, std::chrono::milliseconds(1), c.api.step_timeout));
    ApiResult r = client.call("GET", "/v1/status");
    if (r.ok()) {
      last_error.clear();
      const Json& rules = state_part(r.body, "rules");
      if (!rules.contains(rule)) {
        last_seen = "rule " + rule + " does not exist";
      } else {
        const Json& st = rules[rule];
        const std::string ph = st.value("phase", "");
        const std::string pr = st.value("primary", "");
        last_seen = "phase " + (ph.empty() ? "-" : ph) + ", primary " + (pr.empty() ? "-" : pr);
        if (ph == phase && (primary.empty() || pr == primary)) {
          const long long waited =
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
          if (c.json)
            print_json({{"rule", rule}, {"phase", ph}, {"primary", pr}, {"epoch", st.value("epoch", Json())},
                        {"waited_ms", waited}});
          else
            std::printf("rule %s is %s (primary %s) after %lld ms\n", rule.c_str(), ph.c_str(),
                        pr.empty() ? "-" : pr.c_str(), waited);
          return kExitOk;
        }
      }
    } else if (r.failure == ApiFailure::Setup || (r.failure == ApiFailure::Http && r.status < 500)) {
      return api_fail("waiting for rule " + rule, r);  // will not get better by polling
    } else {
      last_error = r.error;  // the controller may be restarting or failing over: keep polling
    }
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), deadline - now));
  }
  return fail("rule " + rule + " was not " + want + " within " + std::to_string(timeout_ms) + " ms; last seen: " +
              last_seen + (last_error.empty() ? "" : "; last error: " + last_error) +
              "; see why with poolhactl events --rule " + rule);
}

}  // namespace poolha::cli

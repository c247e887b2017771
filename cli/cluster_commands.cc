// poolhactl cluster ...: the replicated control plane's membership (docs/cli.md).
// Online commands go through the active controller's API; `cluster recover` works on a
// stopped member's database (disaster recovery from the one surviving member).
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/tables.h"
#include "common/json_text.h"
#include "common/utf8.h"
#include "store/log_surgery.h"
#include "store/sqlite_db.h"

namespace poolha::cli {

namespace {

std::optional<Json> cluster_call(Context& c, const std::string& what, const std::string& method,
                                 const std::string& target, const Json& body, int* rc) {
  ApiClient client(c.api);
  ApiResult r = client.call(method, target, body);
  if (!r.ok()) {
    *rc = api_fail(what, r);
    return std::nullopt;
  }
  return r.body.is_null() ? Json::object() : r.body;
}

std::string text_of(const Json& j, const char* k) {
  if (!j.contains(k)) return "-";
  const Json& v = j[k];
  return v.is_string() ? v.get<std::string>() : json_text(v);
}

}  // namespace

int cmd_cluster_status(Context& c) {
  int rc = kExitFailed;
  auto res = cluster_call(c, "reading the control plane's state", "GET", "/v1/cluster", Json(), &rc);
  if (!res) return rc;
  if (c.json) {
    print_json(*res);
    return kExitOk;
  }
  if (!res->is_object() || !(*res)["leader"].is_string() || !(*res)["quorum"].is_boolean() ||
      !(*res)["members"].is_array()) {
    std::fprintf(stderr, "poolhactl: the controller's answer does not describe its control plane: %s\n",
                 text::log_safe(json_text(*res), 300).c_str());
    return kExitFailed;
  }
  std::printf("member %s: %s, term %s, leader %s, %s, commit index %s\n", text_of(*res, "member").c_str(),
              text_of(*res, "role").c_str(), text_of(*res, "term").c_str(),
              (*res)["leader"].get<std::string>().empty() ? "none" : text_of(*res, "leader").c_str(),
              (*res)["quorum"].get<bool>() ? "quorum" : "NO QUORUM (automatic takeover stopped)",
              text_of(*res, "commit_index").c_str());
  // UNHEARD: how many configured nodes that member does not hear (its last report to
  // the leader; "-" elsewhere or before its first report).
  Table t({"ID", "ROLE", "VOTER", "LINK", "MATCH", "UNHEARD", "ADDRESS"});
  for (const auto& m : (*res)["members"])
    t.add({text_of(m, "id"), text_of(m, "role"),
           m.value("voter", false) ? "voter" : m.value("learner", false) ? "standby" : "not a member",
           m.contains("link_up") ? (m["link_up"].get<bool>() ? "up" : "down") : "self", text_of(m, "match_index"),
           m.contains("unheard_nodes") ? text_of(m, "unheard_nodes") : "-", text_of(m, "address")});
  std::fputs(t.render().c_str(), stdout);
  return kExitOk;
}

int cmd_cluster_transfer(Context& c) {
  if (!c.args.has("to")) return usage("cluster transfer: --to MEMBER is required");
  int rc = kExitFailed;
  const std::string to = c.args.value("to");
  auto res = cluster_call(c, "handing leadership to " + to, "POST", "/v1/cluster/transfer", Json{{"to", to}}, &rc);
  if (!res) return rc;
  if (c.json) print_json(*res);
  else std::printf("leadership handed to %s (check: poolhactl cluster status)\n", to.c_str());
  return kExitOk;
}

int cmd_cluster_member(Context& c) {
  const std::string op = c.positionals[0], id = c.positionals[1];
  if (op != "add" && op != "promote" && op != "demote" && op != "remove")
    return usage("cluster member: OP is add, promote, demote or remove");
  Json body{{"op", op}, {"id", id}};
  if (op == "add") {
    if (!c.args.has("role")) return usage("cluster member add: --role controller|arbiter is required");
    body["role"] = c.args.value("role");
  }
  int rc = kExitFailed;
  auto res = cluster_call(c, op + " member " + id, "POST", "/v1/cluster/members", body, &rc);
  if (!res) return rc;
  if (c.json) print_json(*res);
  else std::printf("%s: proposed at log index %s (check: poolhactl cluster status)\n", text_of(*res, "change").c_str(),
                   text_of(*res, "log_index").c_str());
  return kExitOk;
}

// Disaster recovery: the member's log, with one more committed entry that makes this
// member the only voter. Its state is kept whole; the others are added back afterwards.
int cmd_cluster_recover(Context& c) {
  if (!c.args.has("file") || !c.args.has("name"))
    return usage("cluster recover: -f DATABASE (controller.db or arbiter.db) and --name MEMBER are required");
  const std::string path = c.args.value("file"), self = c.args.value("name");
  if (!std::filesystem::exists(path)) return fail(path + ": no such file (the stopped member's state_dir/controller.db)");
  auto db = store::SqliteDb::open(path);
  if (!db.ok()) return fail(db.error());
  // Above every term the agents may have seen from the lost members (they ignore
  // commands of an older term): --term-above names the one alert:agent_term_ahead gave.
  consensus::Term floor = 0;
  if (c.args.has("term-above")) {
    const std::string v = c.args.value("term-above");
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
      return usage("cluster recover: --term-above takes a term number (from alert agent_term_ahead)");
    floor = std::stoull(v);
  }
  const bool force = c.args.flag("force");
  auto done = store::make_sole_voter(**db, self, floor, /*write=*/force);
  if (!done.ok()) return fail(path + ": " + done.error());
  if (!force)
    return fail("this makes " + self + " the only member of a new cluster, from what its log holds. The other members' "
                "databases must never be started again (wipe them). Stop " + self + ", then run again with --force.");
  std::printf("%s is now the only member (entry %llu, term %llu); every entry up to %llu is kept.\n"
              "Next: start it (it leads alone), then for each new member: add its address to every\n"
              "cluster.members list, `poolhactl cluster member add ID --role ...`, then `... promote ID`.\n",
              self.c_str(), static_cast<unsigned long long>(done->entry), static_cast<unsigned long long>(done->term),
              static_cast<unsigned long long>(done->kept_to));
  return kExitOk;
}

}  // namespace poolha::cli

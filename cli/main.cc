// poolhactl: the operator's command line (design §3.5 "CLI for everything the UI does").
// Reference: docs/cli.md. Exit codes: 0 done, 1 failed, 2 usage error.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace poolha::cli {
namespace {

struct CommandSpec {
  std::vector<std::string> words;        // {"rule", "show"}
  std::vector<std::string> positionals;  // names, for usage and the count check
  std::vector<std::string> options;      // accepted besides the global ones
  const char* synopsis;                  // options part of the usage line
  const char* help;
  int (*run)(Context&);
};

const std::set<std::string> kValueOptions = {"api", "tls-dir", "dir", "cluster", "days", "name", "role",
                                             "controller", "arbiter", "controller-vip", "etc-dir", "state-dir",
                                             "ip", "dns", "to", "rule", "node", "limit", "ttl-s",
                                             "file", "phase", "primary", "timeout-ms", "term-above", "serial",
                                             "note", "reason", "ticket", "account", "display-name", "action",
                                             "since"};
const std::set<std::string> kFlagOptions = {"json", "help", "version", "force", "override", "no-password",
                                            "disable", "enable"};
const std::vector<std::string> kGlobalOptions = {"api", "tls-dir", "json", "help", "reason", "ticket"};

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> list = {
      {{"ca", "init"}, {}, {"dir", "cluster", "days"}, "--dir DIR [--cluster NAME] [--days N]",
       "Creates the cluster CA in DIR (ca.crt, ca.key 0600) and an operator certificate for poolhactl\n"
       "(operator.crt/.key: CN admin, role operator). Refuses if DIR already holds a CA.\n"
       "--cluster names the CA (default poolha); --days its validity (default 3650; the operator\n"
       "certificate 90 days at most).",
       cmd_ca_init},
      {{"cert", "issue"}, {}, {"dir", "name", "role", "ip", "dns", "days", "force"},
       "--dir DIR --name NAME --role controller|arbiter|agent|operator [--ip ADDR ...] [--dns NAME ...] [--days N] [--force]",
       "Issues DIR/NAME.crt and DIR/NAME.key (0600), signed with DIR/ca.key. CN is NAME, the role is\n"
       "carried in the certificate. --ip/--dns add subject alternative names (repeat, or comma-separate).\n"
       "--days defaults to 3650 (90 for operator certificates) and never outlives the CA. Existing\n"
       "files are kept unless --force.",
       cmd_cert_issue},
      {{"cert", "show"}, {}, {"file"}, "-f CERT.crt", "Prints a certificate's name, role, serial and fingerprint.",
       cmd_cert_show},
      {{"cert", "revoke"}, {}, {"serial", "file", "note"}, "(--serial HEX | -f CERT.crt) [--note TEXT]",
       "Revokes a certificate of the cluster CA (a lost operator laptop, a retired member): the\n"
       "serial goes into the replicated denylist, every control-plane member refuses it on every port\n"
       "and closes the sessions it holds. Agents do not check it: retire an agent by removing its node.",
       cmd_cert_revoke},
      {{"cert", "revoked"}, {}, {}, "", "Lists the revoked certificates (serial, note).", cmd_cert_revoked},
      {{"status"}, {}, {}, "",
       "Shows pools, nodes (liveness, maintenance, agent, held VIPs) and rules (primary, standby,\n"
       "phase, epoch, last error). --json prints GET /v1/status as is.",
       cmd_status},
      {{"pool", "list"}, {}, {}, "", "Lists the pools with their node and rule counts.", cmd_pool_list},
      {{"pool", "delete"}, {"ID"}, {}, "", "Deletes an empty pool.", cmd_pool_delete},
      {{"pool", "freeze"}, {"ID"}, {}, "", "Freezes every rule of a pool: no automatic action, alerts only.",
       cmd_pool_freeze},
      {{"pool", "unfreeze"}, {"ID"}, {}, "", "Undoes pool freeze.", cmd_pool_unfreeze},
      {{"node", "list"}, {}, {}, "", "Lists the nodes with liveness, maintenance, agent and held VIPs.",
       cmd_node_list},
      {{"node", "delete"}, {"ID"}, {}, "", "Removes a node from its pool.", cmd_node_delete},
      {{"node", "maintenance"}, {"ID", "on|off"}, {}, "",
       "on: drains the node (its services move into the pool) and keeps it out of elections;\n"
       "off: returns it to the pool (services come back by failback, per rule policy).",
       cmd_node_maintenance},
      {{"rule", "list"}, {}, {}, "", "Lists the rules with primary, standby, phase and epoch.", cmd_rule_list},
      {{"rule", "show"}, {"ID"}, {}, "", "Shows one rule's state and full spec.", cmd_rule_show},
      {{"rule", "delete"}, {"ID"}, {}, "", "Deletes a rule (its VIPs are released).", cmd_rule_delete},
      {{"rule", "freeze"}, {"ID"}, {}, "", "Freezes a rule: no automatic action, alerts only.", cmd_rule_freeze},
      {{"rule", "unfreeze"}, {"ID"}, {}, "", "Undoes rule freeze.", cmd_rule_unfreeze},
      {{"rule", "resume"}, {"ID"}, {}, "", "Takes a rule out of admin-wait after an operator fixed the cause.",
       cmd_rule_resume},
      {{"apply"}, {}, {"file"}, "-f FILE",
       "Applies a YAML or JSON file with top-level keys settings, pools, nodes, templates, rules (each\n"
       "a list of specs as in rules/model.h), in that order. Templates are stored on the controller; a\n"
       "rule with `template: NAME` starts from that template (in the file or stored) and keeps its name\n"
       "in from_template. The file is checked before anything is sent; errors name the line and\n"
       "column, or the item (rules[2] (r3): ...).",
       cmd_apply},
      {{"template", "list"}, {}, {}, "", "Lists the stored rule templates and how many rules each shaped.",
       cmd_template_list},
      {{"template", "delete"}, {"ID"}, {}, "", "Deletes a template no rule names in from_template.",
       cmd_template_delete},
      {{"switchover"}, {"RULE"}, {"to"}, "[--to NODE]",
       "Graceful switchover: release on the primary, then acquire on NODE (default: the best eligible).",
       cmd_switchover},
      {{"force"}, {"RULE"}, {"to", "override"}, "[--to NODE] [--override]",
       "Forced switch: the target becomes primary now, the old primary standby (no release script).\n"
       "--override (with --to): when the control plane has no quorum, the controller at --api does it\n"
       "alone, outside the log; recorded in the event history, and committed when it acts again.",
       cmd_force},
      {{"failback"}, {"RULE"}, {}, "", "Moves a rule back to its home node.", cmd_failback},
      {{"group", "switchover"}, {"GROUP"}, {"pool", "to"}, "[--pool POOL] [--to NODE]",
       "Graceful switchover of a rule group: all its rules move together to NODE (default: the best\n"
       "eligible). --pool: needed when pools have groups of the same name.",
       cmd_group_switchover},
      {{"events"}, {}, {"rule", "node", "limit"}, "[--rule R] [--node N] [--limit N]",
       "Shows the event timeline, newest last (default the last 50).", cmd_events},
      {{"token", "create"}, {"NODE"}, {"ttl-s"}, "[--ttl-s N]",
       "Creates a one-time enrolment token for NODE (default valid 3600 s).", cmd_token_create},
      {{"settings", "show"}, {}, {}, "", "Shows the engine timings (rules::Settings).", cmd_settings_show},
      {{"settings", "set"}, {}, {"file"}, "-f FILE",
       "Changes the settings named in FILE (YAML or JSON object, or {settings: {...}}); others keep\n"
       "their current values.",
       cmd_settings_set},
      {{"wait"}, {}, {"rule", "phase", "primary", "timeout-ms"},
       "--rule R [--phase running] [--primary N] [--timeout-ms 30000]",
       "Polls the status every 50 ms until rule R is in the phase (and on the primary) asked for.\n"
       "Exit 0 when it is, 1 on timeout (the message says what was seen last).",
       cmd_wait},
      {{"users", "bootstrap"}, {}, {"account"}, "[--account NAME=ROLE[+ROLE] ...]",
       "First start: creates the first accounts, each with a one-time password printed once (the\n"
       "first sign-in must choose a new one). Default: sysadmin, secadmin and auditadmin, one per\n"
       "administrator role; --account replaces that list (it must name all three administrator roles;\n"
       "one account holds at most one of them). Roles: sysadmin secadmin auditadmin operator viewer.\n"
       "Only while no account exists; until then every operator certificate may do everything.",
       cmd_users_bootstrap},
      {{"users", "list"}, {}, {}, "", "Lists the accounts: roles, state, last sign-in.", cmd_users_list},
      {{"users", "add"}, {"NAME"}, {"role", "display-name", "no-password"},
       "--role ROLE[+ROLE] [--display-name TEXT] [--no-password]",
       "Creates an account; prints its one-time password. --no-password: an account for an operator\n"
       "certificate with CN NAME only (no sign-in in the console).",
       cmd_users_add},
      {{"users", "set"}, {"NAME"}, {"role", "display-name", "disable", "enable"},
       "[--role ROLE[+ROLE]] [--display-name TEXT] [--disable|--enable]",
       "Changes an account's roles, name or whether it may sign in (a disabled account's sessions end).",
       cmd_users_set},
      {{"users", "delete"}, {"NAME"}, {}, "", "Deletes an account (its sessions end).", cmd_users_delete},
      {{"users", "reset-password"}, {"NAME"}, {}, "",
       "Gives an account a new one-time password (printed once); its sessions end.", cmd_users_reset},
      {{"users", "unlock"}, {"NAME"}, {}, "", "Unlocks an account locked after failed sign-ins.", cmd_users_unlock},
      {{"audit", "list"}, {}, {"account", "action", "limit"}, "[--account A] [--action PREFIX] [--limit N]",
       "Shows the newest audit records (default 50), newest last.", cmd_audit_list},
      {{"audit", "verify"}, {}, {}, "",
       "Reads the whole audit trail from the controller at --api and checks its hash chain: every\n"
       "record's hash, every link, and that the chain ends at the head all members agree on. Names\n"
       "the first record that does not fit; exit 1 if any.",
       cmd_audit_verify},
      {{"audit", "export"}, {}, {"file", "since"}, "[-f FILE.csv] [--since EPOCH_MS]",
       "Exports the audit trail as CSV (UTF-8 with BOM, every field and both hashes) to FILE or stdout.",
       cmd_audit_export},
      {{"cluster", "status"}, {}, {}, "",
       "Shows the control plane as the controller at --api sees it: term, leader, quorum, and every\n"
       "member (voter or standby, link, replication). Answered by a standby too, and without quorum.",
       cmd_cluster_status},
      {{"cluster", "transfer"}, {}, {"to"}, "--to MEMBER",
       "Hands leadership (the active role) to another controller, e.g. before maintenance.",
       cmd_cluster_transfer},
      {{"cluster", "member"}, {"add|promote|demote|remove", "ID"}, {"role"}, "[--role controller|arbiter]",
       "One single-server membership change: add ID as a standby (non-voting) member, promote it to\n"
       "voter, demote a voter to standby, or remove it. ID must be in every member's cluster.members.",
       cmd_cluster_member},
      {{"cluster", "bootstrap"}, {}, {"dir", "controller", "arbiter", "controller-vip", "etc-dir", "state-dir", "cluster", "days", "force"},
       "--dir DIR --controller NAME=IP --controller NAME=IP --arbiter NAME=IP [--arbiter NAME=IP]\n"
       "    [--controller-vip CIDR] [--etc-dir /etc/poolha] [--state-dir /var/lib/poolha] [--cluster NAME] [--days N] [--force]",
       "Offline: everything a new control plane needs. Uses the CA in DIR (creates it, and the operator\n"
       "certificate, if missing); per member writes DIR/NAME/tls/{ca.crt,NAME.crt,NAME.key} and\n"
       "DIR/NAME/controller.yaml or arbiter.yaml with the one shared cluster: block (ports 7400 agents,\n"
       "7403 members, 7443 API); the first --arbiter votes, later ones are standby arbiters. DIR/agent-members.yaml is the\n"
       "members: list for agents. Copy DIR/NAME/ to --etc-dir on each host and start the daemons: empty\n"
       "databases form the cluster. Refuses bad input and existing member folders (unless --force).",
       cmd_cluster_bootstrap},
      {{"cluster", "recover"}, {}, {"file", "name", "force", "term-above"}, "-f DATABASE --name MEMBER [--term-above N] [--force]",
       "Disaster recovery, offline: makes a stopped controller the only member of a new cluster from\n"
       "its own database (state kept whole). The other members' databases must never run again.\n"
       "Then add new members with `cluster member add` and `promote`. Agents ignore commands of a term\n"
       "older than one they have seen: if the alert agent_term_ahead names term N, recover with --term-above N.",
       cmd_cluster_recover},
  };
  return list;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string usage_line(const CommandSpec& c) {
  std::string line = "poolhactl " + joined(c.words);
  for (const auto& p : c.positionals) line += " " + p;
  if (*c.synopsis) line += std::string(" ") + c.synopsis;
  return line;
}

const char* kGlobalHelp =
    "global options:\n"
    "  --api ADDR:PORT   controller API (env POOLHA_API, default 127.0.0.1:7443)\n"
    "  --tls-dir DIR     ca.crt, operator.crt, operator.key (env POOLHA_TLS_DIR, default /etc/poolha/tls)\n"
    "  --json            machine-readable output on stdout (errors always go to stderr)\n"
    "  --reason TEXT     why (recorded with the change in the audit trail)\n"
    "  --ticket ID       the change ticket, recorded with it\n"
    "  --help, --version\n"
    "exit codes: 0 done, 1 failed (stderr says what to do next), 2 usage error\n";

void print_overview(FILE* out, const std::string& group = "") {
  std::fprintf(out, "usage:\n");
  for (const auto& c : commands())
    if (group.empty() || c.words[0] == group) std::fprintf(out, "  %s\n", usage_line(c).c_str());
  std::fprintf(out, "\n%s", kGlobalHelp);
}

int run(int argc, char** argv) {
  auto parsed = parse_args(argc, argv, kValueOptions, kFlagOptions);
  if (!parsed.ok()) return usage(parsed.error());
  ParsedArgs& args = *parsed;
  if (args.flag("version") && args.words.empty()) {
    std::printf("poolhactl %s\n", POOLHA_VERSION);
    return kExitOk;
  }
  if (args.words.empty()) {
    print_overview(args.flag("help") ? stdout : stderr);
    return args.flag("help") ? kExitOk : kExitUsage;
  }
  const CommandSpec* spec = nullptr;
  for (const auto& c : commands()) {
    if (c.words.size() > args.words.size()) continue;
    if (std::equal(c.words.begin(), c.words.end(), args.words.begin())) {
      spec = &c;
      break;
    }
  }
  if (!spec) {
    bool is_group = false;
    for (const auto& c : commands()) is_group = is_group || c.words[0] == args.words[0];
    if (is_group && (args.words.size() == 1 || args.flag("help"))) {
      print_overview(args.flag("help") ? stdout : stderr, args.words[0]);
      return args.flag("help") ? kExitOk : kExitUsage;
    }
    return usage("unknown command '" + joined(args.words) + "'");
  }
  if (args.flag("help")) {
    std::printf("usage: %s\n\n%s\n\n%s", usage_line(*spec).c_str(), spec->help, kGlobalHelp);
    return kExitOk;
  }
  std::set<std::string> allowed(kGlobalOptions.begin(), kGlobalOptions.end());
  allowed.insert(spec->options.begin(), spec->options.end());
  for (const auto& o : args.given())
    if (!allowed.count(o))
      return usage(joined(spec->words) + ": option --" + o + " does not apply here; usage: " + usage_line(*spec));
  Context ctx;
  ctx.positionals.assign(args.words.begin() + static_cast<long>(spec->words.size()), args.words.end());
  if (ctx.positionals.size() != spec->positionals.size())
    return usage(joined(spec->words) + ": expected " +
                 (spec->positionals.empty() ? std::string("no arguments") : joined(spec->positionals)) +
                 "; usage: " + usage_line(*spec));
  for (const auto& p : ctx.positionals)
    if (p.empty()) return usage(joined(spec->words) + ": an empty argument is not a valid id");
  ctx.json = args.flag("json");
  const char* env_api = std::getenv("POOLHA_API");
  const char* env_tls = std::getenv("POOLHA_TLS_DIR");
  ctx.api.api = args.value("api", env_api && *env_api ? env_api : "127.0.0.1:7443");
  ctx.api.tls_dir = args.value("tls-dir", env_tls && *env_tls ? env_tls : "/etc/poolha/tls");
  ctx.api.reason = args.value("reason");
  ctx.api.ticket = args.value("ticket");
  ctx.args = std::move(args);
  return spec->run(ctx);
}

}  // namespace
}  // namespace poolha::cli

int main(int argc, char** argv) { return poolha::cli::run(argc, argv); }

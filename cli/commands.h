// poolhactl's commands (docs/cli.md). Each returns the process exit code:
// 0 done, 1 failed (the message on stderr says what to do next), 2 usage error.
#pragma once
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/args.h"

namespace poolha::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct Context {
  ParsedArgs args;
  std::vector<std::string> positionals;  // the words after the command's own words
  bool json = false;                     // --json: machine output only on stdout
  ApiOptions api;
};

// Output helpers shared by the commands.
int fail(const std::string& message);         // "poolhactl: error: ...", exit 1
int usage(const std::string& message);        // "poolhactl: ...", exit 2
void print_json(const Json& j);               // stdout, indented
int api_fail(const std::string& what, const ApiResult& r);  // explains an API failure, exit 1
// Calls the controller's API; on failure prints why (stderr), sets *rc and returns nullopt.
std::optional<Json> call_api(Context& c, const std::string& what, const std::string& method, const std::string& target,
                             const Json& body = Json(), int* rc = nullptr);
// A mutating call: prints `done` (human) or the server's answer (--json); the exit code.
int act(Context& c, const std::string& what, const std::string& method, const std::string& target, const Json& body,
        const std::string& done);

// Local PKI and bootstrap files (no controller needed).
int cmd_ca_init(Context& c);
int cmd_cert_issue(Context& c);
int cmd_cluster_bootstrap(Context& c);
// --days N (default 3650) into `days`; a usage error's exit code otherwise.
// Members and the CA live long (replacing them is a maintenance window); an operator
// certificate is a person's credential on a laptop, so it expires in 90 days unless
// --days says otherwise (issue 9 §3), and `cert revoke` withdraws it at once.
inline constexpr long long kOperatorCertDays = 90;
// --days N (1..36500), else `default_days`.
int days_option(const Context& c, long long& days, long long default_days = 3650);

// Through the controller's API.
int cmd_status(Context& c);
int cmd_pool_list(Context& c);
int cmd_pool_delete(Context& c);
int cmd_pool_freeze(Context& c);
int cmd_pool_unfreeze(Context& c);
int cmd_node_list(Context& c);
int cmd_node_delete(Context& c);
int cmd_node_maintenance(Context& c);
int cmd_rule_list(Context& c);
int cmd_rule_show(Context& c);
int cmd_rule_delete(Context& c);
int cmd_rule_freeze(Context& c);
int cmd_rule_unfreeze(Context& c);
int cmd_rule_resume(Context& c);
int cmd_apply(Context& c);
int cmd_switchover(Context& c);
int cmd_group_switchover(Context& c);
int cmd_template_list(Context& c);
int cmd_template_delete(Context& c);
int cmd_force(Context& c);
int cmd_failback(Context& c);
int cmd_events(Context& c);
// Accounts and the audit trail.
int cmd_users_bootstrap(Context& c);
int cmd_users_list(Context& c);
int cmd_users_add(Context& c);
int cmd_users_set(Context& c);
int cmd_users_delete(Context& c);
int cmd_users_reset(Context& c);
int cmd_users_unlock(Context& c);
int cmd_audit_list(Context& c);
int cmd_audit_verify(Context& c);
int cmd_audit_export(Context& c);
int cmd_token_create(Context& c);
int cmd_cert_show(Context& c);
int cmd_cert_revoke(Context& c);
int cmd_cert_revoked(Context& c);
int cmd_settings_show(Context& c);
int cmd_settings_set(Context& c);
int cmd_wait(Context& c);
int cmd_cluster_status(Context& c);
int cmd_cluster_transfer(Context& c);
int cmd_cluster_member(Context& c);
int cmd_cluster_recover(Context& c);

}  // namespace poolha::cli

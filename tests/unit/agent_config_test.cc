#include <gtest/gtest.h>

#include "agent/config.h"
#include "rules/validation.h"

namespace poolha::agent {
namespace {

const char* kGood = R"(
node_id: host1
state_dir: /var/lib/poolha/agent
script_dir: /etc/poolha/scripts
tls: {ca: /etc/poolha/ca.crt, cert: /etc/poolha/agent.crt, key: /etc/poolha/agent.key}
members:
  - {name: ctl1, address: "198.18.0.1:7400", role: controller}
  - {name: arb1, address: "198.18.0.3:7400", role: arbiter}
heartbeat_interval_ms: 200
isolation_timeout_ms: 800
isolation_address: "198.18.0.254"
isolation_response: keep
arp: {probes: 3, probe_interval_ms: 40, probe_wait_ms: 120, announce_count: 2, announce_interval_ms: 90}
monitors:
  - name: sshd
    kind: process
    params: {name: sshd}
    interval_ms: 1000
    timeout_ms: 500
    threshold: 2
    restarts: 1
    restart_script: restart-sshd
log_level: debug
vip_subnets: [198.18.1.0/24, "2001:db8:1::5/64"]
vip_interfaces: [eth0, "以太网 2"]
script_output_encoding: gbk
)";

std::string error_of(const std::string& yaml) {
  auto r = parse_config(yaml, "agent.yaml");
  return r.ok() ? "ok" : r.error();
}

// A minimal valid file with one line replaced or added.
std::string with(const std::string& extra) {
  return "node_id: host1\nmembers:\n  - {name: ctl1, address: \"198.18.0.1:7400\", role: controller}\n" + extra;
}

TEST(AgentConfig, ParsesEveryKey) {
  auto r = parse_config(kGood, "agent.yaml");
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& c = *r;
  EXPECT_EQ(c.node_id, "host1");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[1].role, MemberRole::Arbiter);
  EXPECT_EQ(c.members[0].address, "198.18.0.1:7400");
  EXPECT_EQ(c.tls.key, "/etc/poolha/agent.key");
  EXPECT_EQ(c.isolation_address, "198.18.0.254");
  EXPECT_EQ(c.isolation_response, IsolationResponse::Keep);
  EXPECT_EQ(c.arp.probes, 3);
  EXPECT_EQ(c.arp.announce_interval_ms, 90);
  ASSERT_EQ(c.monitors.size(), 1u);
  EXPECT_EQ(c.monitors[0].params.at("name"), "sshd");
  EXPECT_EQ(c.monitors[0].restarts, 1);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.vip_policy.subnets, (std::vector<std::string>{"198.18.1.0/24", "2001:db8:1::/64"}));
  EXPECT_EQ(c.vip_policy.interfaces, (std::vector<std::string>{"eth0", "以太网 2"}));
  EXPECT_EQ(c.script_output_encoding, text::Encoding::Gbk);
}

// Issue 9 §2: the VIP policy keys refuse what would let a rule hurt the host.
TEST(AgentConfig, VipPolicyKeys) {
  EXPECT_TRUE(parse_config(with(""), "agent.yaml")->vip_policy.subnets.empty()) << "default: no VIP is taken";
  EXPECT_EQ(error_of(with("vip_subnets: [0.0.0.0/0]")),
            "agent.yaml:4:15: vip_subnets[0]: '0.0.0.0/0' is wider than /8: list the subnets VIPs live in");
  EXPECT_EQ(error_of(with("vip_subnets: [198.18.1.0]")),
            "agent.yaml:4:15: vip_subnets[0]: '198.18.1.0' is not a subnet such as 198.18.1.0/24");
  EXPECT_EQ(error_of(with("vip_subnets: 198.18.1.0/24")),
            "agent.yaml:4:14: vip_subnets: expected a list of subnets such as 198.18.1.0/24");
  EXPECT_NE(error_of(with("vip_interfaces: [\"eth0\\x1b[31m\"]")).find("no control characters"), std::string::npos);
  EXPECT_EQ(error_of(with("script_output_encoding: latin1")),
            "agent.yaml:4:25: script_output_encoding: expected console | utf-8 | gbk");
}

TEST(AgentConfig, Defaults) {
  auto r = parse_config(with(""), "agent.yaml");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->heartbeat_interval_ms, 200);
  EXPECT_EQ(r->isolation_timeout_ms, 800);
  EXPECT_EQ(r->isolation_response, IsolationResponse::Release);
  EXPECT_EQ(r->arp.probes, 2);
  EXPECT_EQ(r->arp.probe_wait_ms, 100);
  EXPECT_EQ(r->state_dir, "/var/lib/poolha/agent");
  EXPECT_TRUE(r->monitors.empty());
}

// The same keys on Windows, with paths in Windows form.
TEST(AgentConfig, WindowsPaths) {
  auto win = [](const std::string& extra) { return parse_config(with(extra), "agent.yaml", PathStyle::Windows); };
  auto d = win("");
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->state_dir, "C:\\ProgramData\\poolha\\agent");
  EXPECT_EQ(d->script_dir, "C:\\ProgramData\\poolha\\scripts");
  EXPECT_EQ(d->tls.key, "C:\\ProgramData\\poolha\\agent.key");
  EXPECT_EQ(d->script_output_encoding, text::Encoding::Console);
  auto r = win("state_dir: 'D:\\poolha\\agent'\nscript_dir: D:/poolha/scripts\nlog_dirs: ['D:\\logs\\', 'e:/gw/log']\n"
               "vip_interfaces: ['以太网 2']\n");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->state_dir, "D:\\poolha\\agent");
  EXPECT_EQ(r->log_dirs, (std::vector<std::string>{"D:\\logs", "e:\\gw\\log"}));
  auto posix = win("state_dir: /var/lib/poolha\n");
  ASSERT_FALSE(posix.ok());
  EXPECT_NE(posix.error().find("state_dir: expected an absolute path with a drive letter"), std::string::npos) << posix.error();
  EXPECT_FALSE(win("log_dirs: ['C:\\']\n").ok()) << "a drive's root is not a log directory";
  EXPECT_FALSE(win("log_dirs: ['C:\\logs\\..\\Windows']\n").ok());
  EXPECT_FALSE(parse_config(with("state_dir: 'C:\\poolha'\n"), "agent.yaml", PathStyle::Posix).ok());
}

TEST(AgentConfig, BadFieldsAreNamed) {
  EXPECT_EQ(error_of(with("arp: {probes: 0}")), "agent.yaml:4:15: arp.probes: expected an integer 1..10, got '0'");
  EXPECT_EQ(error_of(with("arp: {probes: two}")), "agent.yaml:4:15: arp.probes: expected an integer 1..10, got 'two'");
  EXPECT_EQ(error_of(with("arp: {probez: 2}")),
            "agent.yaml:4:7: arp.probez: unknown key (allowed: announce_count, announce_interval_ms, "
            "probe_interval_ms, probe_wait_ms, probes)");
  EXPECT_EQ(error_of(with("colour: blue")),
            "agent.yaml:4:1: colour: unknown key (allowed: arp, heartbeat_interval_ms, isolation_address, "
            "isolation_response, isolation_timeout_ms, log_dirs, log_level, members, monitors, node_id, script_dir, "
            "script_monitor_args, script_output_encoding, state_dir, tls, vip_interfaces, vip_subnets)");
  EXPECT_EQ(error_of(with("heartbeat_interval_ms: [1]")),
            "agent.yaml:4:24: heartbeat_interval_ms: expected an integer 20..10000");
  EXPECT_EQ(error_of(with("isolation_response: maybe")),
            "agent.yaml:4:21: isolation_response: 'maybe' is not one of keep, release");
  EXPECT_EQ(error_of(with("isolation_address: gateway")),
            "agent.yaml:4:20: isolation_address: expected an IPv4 address or \"\"");
  EXPECT_EQ(error_of(with("state_dir: relative/dir")), "agent.yaml:4:12: state_dir: expected an absolute path");
  EXPECT_EQ(error_of(with("tls: {ca: /a, pem: /b}")), "agent.yaml:4:15: tls.pem: unknown key (allowed: ca, cert, key)");
  EXPECT_EQ(error_of(with("log_level: loud")),
            "agent.yaml:4:12: log_level: 'loud' is not one of critical, debug, error, info, off, trace, warn");
  EXPECT_EQ(error_of(with("isolation_timeout_ms: 300")),
            "agent.yaml:4:23: isolation_timeout_ms: must be at least twice heartbeat_interval_ms (200)");
  EXPECT_EQ(error_of("members: []\n"), "agent.yaml:1:1: node_id: required");
  EXPECT_EQ(error_of("node_id: host1\n"), "agent.yaml:1:1: members: required");
  EXPECT_EQ(error_of("node_id: host1\nmembers: [{name: c, address: \"198.18.0.1\", role: controller}]\n"),
            "agent.yaml:2:30: members[0].address: endpoint '198.18.0.1': expected address:port, e.g. 198.18.0.1:7400 "
            "(IPv6: [2001:db8::1]:7400)");
  EXPECT_EQ(error_of("node_id: host1\nmembers: [{name: c, address: \"198.18.0.1:1\", role: boss}]\n"),
            "agent.yaml:2:52: members[0].role: 'boss' is not one of arbiter, controller");
  EXPECT_EQ(error_of("node_id: host1\nmembers: [{name: c, address: \"198.18.0.1:1\", role: controller}, "
                     "{name: c, address: \"198.18.0.2:1\", role: arbiter}]\n"),
            "agent.yaml:2:72: members[1].name: duplicate member name 'c'");
  EXPECT_EQ(
      error_of("node_id: host/1\nmembers: []\n"),
      "agent.yaml:1:10: node_id: expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
}

// The agent and the controller share one rule per concept (common/ids.h, common/
// net_address.h, rules::check_monitor): what one refuses, the other refuses too.
// Each of these was accepted by the agent and refused by the controller before.
TEST(AgentConfig, RefusesWhatTheControllerRefuses) {
  EXPECT_EQ(
      error_of("node_id: _gw\nmembers: []\n"),
      "agent.yaml:1:10: node_id: expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, interval_ms: 50}]")),
            "agent.yaml:4:46: monitors[0].interval_ms: expected an integer 100..3600000, got '50'");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, restarts: 11, restart_script: r.sh}]")),
            "agent.yaml:4:43: monitors[0].restarts: expected an integer 0..10, got '11'");
  EXPECT_EQ(error_of(with("monitors: [{name: -m, kind: cpu}]")),
            "agent.yaml:4:19: monitors[0].name: expected 1-63 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit");
  rules::MonitorSpec m;
  m.name = "m";
  m.kind = "cpu";
  m.interval_ms = 50;
  ASSERT_TRUE(rules::check_monitor(m));  // what the controller's validate_rule runs for each monitor
  EXPECT_EQ(rules::check_monitor(m)->field, "interval_ms");
}

TEST(AgentConfig, BadMonitorsAreNamed) {
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: telepathy}]")),
            "agent.yaml:4:28: monitors[0].kind: expected process | service | tcp_port | http | cpu | memory | disk | "
            "nic_link | gateway | log_pattern | script");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, threshold: 0}]")),
            "agent.yaml:4:44: monitors[0].threshold: expected an integer 1..100, got '0'");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, restarts: 2}]")),
            "agent.yaml:4:12: monitors[0].restart_script: required when restarts > 0");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, restarts: 1, restart_script: ../evil}]")),
            "agent.yaml:4:62: monitors[0].restart_script: expected a plain file name in script_dir (letters, digits, "
            "'.', '_', '-')");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, params: {max_percent: [1]}}]")),
            "agent.yaml:4:55: monitors[0].params.max_percent: expected a string");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu, every: 1}]")),
            "agent.yaml:4:33: monitors[0].every: unknown key (allowed: interval_ms, kind, name, params, "
            "restart_script, restarts, threshold, timeout_ms)");
  EXPECT_EQ(error_of(with("monitors: [{name: m, kind: cpu}, {name: m, kind: memory}]")),
            "agent.yaml:4:41: monitors[1].name: duplicate monitor name 'm'");
}

TEST(AgentConfig, SyntaxErrorNamesTheLine) {
  auto e = error_of("node_id: host1\nmembers: [\n");
  EXPECT_NE(e.find("agent.yaml:3:1: not valid YAML"), std::string::npos) << e;
  // Issue 9 §4: a GBK file names where, and how to convert it.
  e = error_of("node_id: host1\n# \xD6\xD0\xCE\xC4\n");
  EXPECT_EQ(e, "agent.yaml: line 2, column 3: not UTF-8 (a GBK file? convert it: iconv -f GBK -t UTF-8)");
  // Nested aliases that would expand to millions of nodes, and deep nesting.
  e = error_of(
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n");
  EXPECT_NE(e.find("more than 100000 nodes once aliases are expanded"), std::string::npos) << e;
  e = error_of(std::string(40, '[') + std::string(40, ']'));
  EXPECT_NE(e.find("nested deeper than 32 levels"), std::string::npos) << e;
}

}  // namespace
}  // namespace poolha::agent

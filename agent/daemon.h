// `poolha-agent run`: the agent daemon (design §3.1-3.3). One io_context on one
// thread does all networking and bookkeeping; blocking OS work (netlink, ARP,
// scripts, checks, pings, state-file writes) runs on worker pools and posts its
// result back. Commands of one rule run one at a time, in arrival order.
//
// Isolation (design §3.3): the lease hold is renewed while some member was heard
// within isolation_timeout_ms, or the isolation address answers a ping. When the
// hold lapses the agent is isolated and (response=release) releases every VIP;
// poolha-lease-keeper does the same independently if this process cannot.
// A stop (SIGTERM/SIGINT) leaves every VIP in place: a restart is not a failure.
#pragma once

#include <utility>  // before Asio (Boost 1.74 + GCC 12)

#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/action_runner.h"
#include "agent/command_ledger.h"
#include "agent/config.h"
#include "agent/host.h"
#include "agent/isolation_lease.h"
#include "agent/member_link.h"
#include "agent/monitor_scheduler.h"
#include "agent/worker_pool.h"

namespace poolha::agent {

inline constexpr char kAgentVersion[] = "0.1.0";

class AgentDaemon {
 public:
  // REQUIRES: cfg validated; lease opened on cfg.state_dir/lease.
  AgentDaemon(AgentConfig cfg, HostOps& host, LeaseFile lease, CommandLedger ledger, std::string os_name);
  ~AgentDaemon();
  // Start-up work that may fail (TLS files, monitor specs); then runs until a
  // stop signal. Returns the process exit code.
  int run();
  // From any thread: stop as on SIGTERM (VIPs stay). For tests and service hosts.
  void request_stop();

 private:
  struct Queued {
    wire::Command cmd;
    std::weak_ptr<MemberLink> origin;
  };

  void reconcile_after_restart();
  void refresh_facts();
  void set_facts(const Expected<std::vector<Interface>>& ifaces);
  wire::Hello make_hello();
  void on_contact(const MemberLink& from);
  void on_message(MemberLink& from, wire::Envelope&& e);
  void on_command(MemberLink& from, const wire::Command& cmd);
  void pump(const std::string& rule);
  void on_command_done(const std::string& rule, const Queued& q, wire::CommandResult r);
  void reply(const std::weak_ptr<MemberLink>& origin, const wire::CommandResult& r);
  void on_role(const wire::RoleAssignment& ra);
  void start_rule_monitors(const std::string& rule, const std::vector<rules::MonitorSpec>& specs);
  void stop_rule_monitors(const std::string& rule);
  std::shared_ptr<MonitorScheduler> make_monitor(const std::string& rule, const rules::MonitorSpec& spec);
  void persist_then(std::function<void()> after);
  void send_heartbeat();
  void schedule_heartbeat();
  void schedule_tick();
  void isolation_tick();
  bool member_contact() const;
  std::chrono::steady_clock::time_point last_member_contact() const;  // of the newest frame from any member
  void check_keeper_release();
  void on_lapse(const std::string& why);
  void stop(const std::string& why);

  AgentConfig cfg_;
  HostOps& host_;
  std::string os_name_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer facts_timer_;
  IsolationLease lease_;
  CommandLedger ledger_;
  std::unique_ptr<ActionRunner> runner_;
  std::vector<std::shared_ptr<MemberLink>> links_;
  wire::NodeFacts facts_;
  uint64_t seq_ = 0;
  std::map<std::string, std::deque<Queued>> queues_;
  std::set<std::string> busy_rules_;
  std::map<std::string, std::string> roles_;
  ActionRunner::ReleaseScripts release_scripts_;  // rule -> (release script, timeout), for isolation
  std::vector<std::shared_ptr<MonitorScheduler>> node_monitors_;
  std::map<std::string, std::vector<std::shared_ptr<MonitorScheduler>>> rule_monitors_;
  // Isolation.
  bool isolated_ = false;
  bool ping_in_flight_ = false;
  std::chrono::steady_clock::time_point last_ping_sent_{};
  bool stopping_ = false;
  // State-file writes: newest generation wins even if two workers race.
  std::shared_ptr<std::mutex> state_mu_ = std::make_shared<std::mutex>();
  uint64_t state_generation_ = 0;
  std::shared_ptr<uint64_t> state_written_ = std::make_shared<uint64_t>(0);
  // Declared last: destroyed (joined) first, while everything jobs touch still exists.
  // Three pools, so that nothing waits behind what an operator configured (issue 9 §3):
  // commands and their scripts; monitors (a check may take up to 10 minutes, and at
  // most three run at once); and the agent's own safety work, which is always short:
  // the state file written before a result is answered, the isolation address ping,
  // announcements, interface facts, cleanup after the keeper.
  WorkerPool command_pool_{3};
  WorkerPool monitor_pool_{3};
  WorkerPool safety_pool_{2};
};

}  // namespace poolha::agent

// Runs one monitor for ever (design §3.1): every interval_ms a check on the worker
// pool, its result fed to MonitorState; a Restart step runs the restart script
// (script_dir) on the pool, then a fresh count. Lives on the event loop; calls
// on_change when the confirmed state changes so the agent heartbeats at once.
#pragma once

#include <utility>  // before Asio (Boost 1.74 + GCC 12)

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>

#include "agent/host.h"
#include "agent/monitor_state.h"
#include "agent/worker_pool.h"
#include "rules/model.h"
#include "wire/poolha.pb.h"

namespace poolha::agent {

// A monitor's detail as it travels in heartbeats (cut on a character boundary).
inline constexpr size_t kMaxMonitorDetailBytes = 512;

// A monitor spec as a role assignment carries it.
rules::MonitorSpec monitor_spec_from_wire(const wire::MonitorSpec& m);
// Why this host will not run `spec` (its shape, or what the host and its policy allow);
// empty if it runs it.
std::string monitor_refusal(const rules::MonitorSpec& spec, HostOps& host, const CheckPolicy& policy);

class MonitorScheduler : public std::enable_shared_from_this<MonitorScheduler> {
 public:
  // rule: empty for a node-level monitor. `invalid`: non-empty means the spec was
  // refused; the monitor then reports unhealthy with that reason and runs nothing.
  MonitorScheduler(boost::asio::io_context& io, WorkerPool& pool, HostOps& host, CheckPolicy policy,
                   std::string node_id, std::string rule, rules::MonitorSpec spec, std::string invalid,
                   std::function<void()> on_change);

  void start();
  void stop();
  wire::MonitorStatus status() const;
  const rules::MonitorSpec& spec() const { return spec_; }

 private:
  void schedule(std::chrono::milliseconds after);
  void run_check();
  void on_result(const CheckResult& r);
  void run_restart();

  boost::asio::io_context& io_;
  WorkerPool& pool_;
  HostOps& host_;
  CheckPolicy policy_;
  std::string node_id_;
  std::string rule_;
  rules::MonitorSpec spec_;
  std::string invalid_;
  std::function<void()> on_change_;
  boost::asio::steady_timer timer_;
  MonitorState state_;
  bool stopped_ = false;
};

}  // namespace poolha::agent

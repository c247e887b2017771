#include "agent/monitor_scheduler.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "agent/config.h"
#include "common/utf8.h"

namespace poolha::agent {

rules::MonitorSpec monitor_spec_from_wire(const wire::MonitorSpec& m) {
  rules::MonitorSpec s;
  s.name = m.name();
  s.kind = m.kind();
  s.params = {m.params().begin(), m.params().end()};
  s.interval_ms = m.interval_ms();
  s.timeout_ms = m.timeout_ms();
  s.threshold = m.threshold();
  s.restarts = m.restarts();
  s.restart_script = m.restart_script();
  return s;
}

std::string monitor_refusal(const rules::MonitorSpec& spec, HostOps& host, const CheckPolicy& policy) {
  if (auto st = validate_monitor_shape(spec, "monitor"); !st.ok()) return st.error();
  if (auto st = host.validate_check({spec.kind, spec.params, std::chrono::milliseconds(spec.timeout_ms)}, policy); !st.ok())
    return st.error();
  return "";
}

MonitorScheduler::MonitorScheduler(boost::asio::io_context& io, WorkerPool& pool, HostOps& host, CheckPolicy policy,
                                   std::string node_id, std::string rule, rules::MonitorSpec spec, std::string invalid,
                                   std::function<void()> on_change)
    : io_(io), pool_(pool), host_(host), policy_(std::move(policy)), node_id_(std::move(node_id)),
      rule_(std::move(rule)), spec_(std::move(spec)), invalid_(std::move(invalid)), on_change_(std::move(on_change)),
      timer_(io), state_(spec_.threshold, spec_.restarts) {}

void MonitorScheduler::start() {
  if (!invalid_.empty()) return;
  schedule(std::chrono::milliseconds(0));
}

void MonitorScheduler::stop() {
  stopped_ = true;
  timer_.cancel();
}

wire::MonitorStatus MonitorScheduler::status() const {
  wire::MonitorStatus s;
  s.set_name(spec_.name);
  s.set_rule(rule_);
  s.set_healthy(invalid_.empty() && state_.healthy());
  s.set_detail(invalid_.empty() ? state_.detail() : text::clean_text("monitor refused: " + invalid_, kMaxMonitorDetailBytes));
  return s;
}

void MonitorScheduler::schedule(std::chrono::milliseconds after) {
  if (stopped_) return;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->stopped_) self->run_check();
  });
}

void MonitorScheduler::run_check() {
  const auto started = std::chrono::steady_clock::now();
  CheckRequest req{spec_.kind, spec_.params, std::chrono::milliseconds(spec_.timeout_ms)};
  pool_.submit([self = shared_from_this(), req, started] {
    CheckResult r = self->host_.run_check(req, self->policy_);
    boost::asio::post(self->io_, [self, r, started] {
      if (self->stopped_) return;
      self->on_result(r);
      // Next check one interval after this one started (never two at once).
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      const auto interval = std::chrono::milliseconds(self->spec_.interval_ms);
      self->schedule(elapsed >= interval ? std::chrono::milliseconds(0) : interval - elapsed);
    });
  });
}

void MonitorScheduler::on_result(const CheckResult& result) {
  // Whatever a check returns goes into every heartbeat: it must be valid UTF-8 (the
  // members' Protobuf parsers refuse the whole frame otherwise) and small.
  CheckResult r = result;
  r.detail = text::clean_text(r.detail, kMaxMonitorDetailBytes);
  const std::string who = rule_.empty() ? "node monitor " + spec_.name : "rule " + rule_ + " monitor " + spec_.name;
  switch (state_.on_result(r.healthy, r.detail)) {
    case MonitorState::Step::None:
      if (!r.healthy) spdlog::debug("{}: check failed ({}/{}): {}", who, state_.consecutive_failures(), spec_.threshold, text::log_safe(r.detail));
      break;
    case MonitorState::Step::Restart:
      spdlog::warn("{}: failure confirmed ({}), local restart {}/{} with {}", who, text::log_safe(r.detail), state_.restarts_used(),
                   spec_.restarts, spec_.restart_script);
      run_restart();
      break;
    case MonitorState::Step::Failed:
      spdlog::error("{}: FAILED: {}", who, text::log_safe(state_.detail()));
      on_change_();
      break;
    case MonitorState::Step::Recovered:
      spdlog::info("{}: healthy again: {}", who, text::log_safe(r.detail));
      on_change_();
      break;
  }
}

void MonitorScheduler::run_restart() {
  std::map<std::string, std::string> env{{"POOLHA_RULE", rule_},
                                         {"POOLHA_MONITOR", spec_.name},
                                         {"POOLHA_ACTION", "restart"},
                                         {"POOLHA_NODE", node_id_},
                                         {"POOLHA_ROLE", rule_.empty() ? "" : "primary"}};
  const auto timeout = std::chrono::milliseconds(30000);  // restart scripts get 30 s (docs/agent-config.md)
  pool_.submit([self = shared_from_this(), env, timeout] {
    auto run = self->host_.run_script(self->policy_.script_dir, self->spec_.restart_script, env, timeout);
    std::string what = !run.ok() ? "restart script refused: " + run.error()
                       : run->timed_out ? "restart script timed out"
                                        : "restart script exited " + std::to_string(run->exit_code);
    boost::asio::post(self->io_, [self, what] {
      spdlog::info("monitor {}: {}", self->spec_.name, what);
      self->state_.restarted(what);
    });
  });
}

}  // namespace poolha::agent

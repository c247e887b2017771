#include "agent/command_ledger.h"

#include <nlohmann/json.hpp>

#include "common/json_text.h"

namespace poolha::agent {

namespace {

wire::CommandResult reply(uint64_t action_id, wire::CommandResult::Outcome outcome, const std::string& detail) {
  wire::CommandResult r;
  r.set_action_id(action_id);
  r.set_outcome(outcome);
  r.set_detail(detail);
  return r;
}

bool safe_script_name(const std::string& s) {
  return s.size() <= 255 && s.find('/') == std::string::npos && s != "." && s != ".." &&
         s.find('\0') == std::string::npos;
}

}  // namespace

CommandLedger::Admission CommandLedger::admit(const wire::Command& cmd) {
  const uint64_t id = cmd.action_id();
  if (auto* r = cached(id)) return {Verdict::Duplicate, *r};
  if (running_.count(id)) return {Verdict::InProgress, {}};
  if (cmd.term() < newest_term_) {
    auto r = reply(id, wire::CommandResult::STALE,
                   "term " + std::to_string(cmd.term()) + " is older than term " + std::to_string(newest_term_) +
                       " already seen: a deposed controller");
    r.set_agent_term(newest_term_);
    return {Verdict::Stale, r};
  }
  const uint64_t newest = newest_epoch(cmd.rule());
  if (cmd.epoch() < newest)
    return {Verdict::Stale, reply(id, wire::CommandResult::STALE,
                                  "epoch " + std::to_string(cmd.epoch()) + " is older than " + std::to_string(newest) +
                                      " already seen for rule '" + cmd.rule() + "'")};
  if (id == 0 || cmd.rule().empty())
    return {Verdict::Refused, reply(id, wire::CommandResult::FAILED, "command without action id or rule")};
  if (!safe_script_name(cmd.script()))
    return {Verdict::Refused, reply(id, wire::CommandResult::FAILED,
                                    "script '" + cmd.script() + "' refused: only a file name in the script directory is allowed")};
  if (cmd.kind() == wire::Command::ACQUIRE && cmd.vips_size() == 0 && cmd.script().empty())
    return {Verdict::Refused, reply(id, wire::CommandResult::FAILED, "acquire with neither VIPs nor a script")};
  epochs_[cmd.rule()] = cmd.epoch();
  newest_term_ = cmd.term();
  running_.insert(id);
  return {Verdict::Run, {}};
}

void CommandLedger::complete(const wire::CommandResult& result) {
  const uint64_t id = result.action_id();
  running_.erase(id);
  if (id > actions_done_) actions_done_ = id;
  if (!cache_.count(id)) {
    cache_order_.push_back(id);
    while (cache_order_.size() > kCacheSize) {
      cache_.erase(cache_order_.front());
      cache_order_.pop_front();
    }
  }
  cache_[id] = result;
}

bool CommandLedger::note_role(uint64_t term, const std::string& rule, uint64_t epoch) {
  if (term < newest_term_ || epoch < newest_epoch(rule)) return false;
  newest_term_ = term;
  epochs_[rule] = epoch;
  return true;
}

uint64_t CommandLedger::newest_epoch(const std::string& rule) const {
  auto it = epochs_.find(rule);
  return it == epochs_.end() ? 0 : it->second;
}

const wire::CommandResult* CommandLedger::cached(uint64_t action_id) const {
  auto it = cache_.find(action_id);
  return it == cache_.end() ? nullptr : &it->second;
}

std::string CommandLedger::to_json() const {
  nlohmann::json j;
  j["version"] = 1;
  j["term"] = newest_term_;
  j["epochs"] = epochs_;
  j["actions_done"] = actions_done_;
  auto& results = j["results"] = nlohmann::json::array();
  for (uint64_t id : cache_order_) {
    const auto& r = cache_.at(id);
    results.push_back({{"action_id", r.action_id()},
                       {"outcome", static_cast<int>(r.outcome())},
                       {"vips_removed", r.vips_removed()},
                       {"detail", r.detail()},
                       {"exit_code", r.exit_code()},
                       {"duration_ms", r.duration_ms()}});
  }
  return json_text(j, 1) + "\n";
}

Expected<CommandLedger> CommandLedger::from_json(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    if (j.value("version", 0) != 1) return Expected<CommandLedger>::Error("agent state: unknown version");
    CommandLedger l;
    l.newest_term_ = j.value("term", uint64_t{0});  // absent in files of agents before issue 9
    l.epochs_ = j.at("epochs").get<std::map<std::string, uint64_t>>();
    l.actions_done_ = j.at("actions_done").get<uint64_t>();
    for (const auto& r : j.at("results")) {
      wire::CommandResult c;
      c.set_action_id(r.at("action_id").get<uint64_t>());
      const int outcome = r.at("outcome").get<int>();
      if (!wire::CommandResult::Outcome_IsValid(outcome)) return Expected<CommandLedger>::Error("agent state: bad outcome");
      c.set_outcome(static_cast<wire::CommandResult::Outcome>(outcome));
      c.set_vips_removed(r.at("vips_removed").get<bool>());
      c.set_detail(r.at("detail").get<std::string>());
      c.set_exit_code(r.at("exit_code").get<int32_t>());
      c.set_duration_ms(r.at("duration_ms").get<int64_t>());
      l.complete(c);
    }
    l.actions_done_ = std::max(l.actions_done_, j.at("actions_done").get<uint64_t>());
    return l;
  } catch (const std::exception& e) {
    return Expected<CommandLedger>::Error(std::string("agent state: ") + e.what());
  }
}

}  // namespace poolha::agent

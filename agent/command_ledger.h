// The agent's bookkeeping of controller commands (design §3.2 "every decision
// carries an epoch; agents ignore commands from an older epoch"; §7 "stale ones
// are dropped"). Pure: no I/O, no clock; the daemon persists to_json() in
// state_dir/agent-state.json before it replies, so a restart keeps the epochs.
//
//   * newest term seen (commands and role assignments): a command or role from an
//     older term comes from a deposed controller (or a no-quorum override that a new
//     leader has since overtaken) and is dropped (design §7: (term, epoch, sequence));
//   * epoch table: rule -> newest epoch seen (commands and role assignments);
//   * actions_done: the newest action id completed;
//   * result cache: the last kCacheSize results by action id, so a command the
//     controller re-sends (e.g. after its own restart) gets the same answer
//     without being executed twice.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>

#include "common/status.h"
#include "wire/poolha.pb.h"

namespace poolha::agent {

class CommandLedger {
 public:
  static constexpr size_t kCacheSize = 256;

  enum class Verdict {
    Run,        // execute it; its epoch has been recorded
    Stale,      // reply `reply` (STALE), do nothing
    Duplicate,  // reply `reply` (the cached result), do nothing
    InProgress, // the same action id is running now; its result will be sent when done
    Refused,    // malformed (e.g. script name with '/'): reply `reply` (FAILED)
  };
  struct Admission {
    Verdict verdict = Verdict::Run;
    wire::CommandResult reply;
  };

  Admission admit(const wire::Command& cmd);
  // Records the result of a command admitted with Run.
  void complete(const wire::CommandResult& result);

  // Role assignments share the term and the epoch table: true (and recorded) unless
  // older.
  bool note_role(uint64_t term, const std::string& rule, uint64_t epoch);
  uint64_t newest_term() const { return newest_term_; }
  uint64_t newest_epoch(const std::string& rule) const;
  uint64_t actions_done() const { return actions_done_; }
  const wire::CommandResult* cached(uint64_t action_id) const;

  // Persistence: epochs, actions_done and the cached results (script output left out).
  std::string to_json() const;
  static Expected<CommandLedger> from_json(const std::string& text);

 private:
  uint64_t newest_term_ = 0;
  std::map<std::string, uint64_t> epochs_;
  uint64_t actions_done_ = 0;
  std::map<uint64_t, wire::CommandResult> cache_;
  std::deque<uint64_t> cache_order_;
  std::set<uint64_t> running_;
};

}  // namespace poolha::agent

// A ReplicatedLog of one: every proposal is appended to the member's SQLite command
// log (fsynced) and committed at once. Used by a controller without peers and by
// tests of the core; the consensus driver replaces it in a controller pair.
#pragma once
#include <functional>

#include "controller/command_log.h"
#include "controller/controller_core.h"
#include "controller/replicated_log.h"

namespace poolha::controller {

class LocalLog : public ReplicatedLog {
 public:
  using Clock = std::function<TimeMs()>;  // the member's monotonic clock, ms
  LocalLog(CommandLog& log, Clock clock) : log_(log), clock_(std::move(clock)) {}

  // Rebuilds `core` from the log (snapshot, then every entry after it) and makes it
  // the acting member of a new term. REQUIRES: called once, before any proposal.
  Status start(ControllerCore& core);

  Expected<uint64_t> propose(const rules::Event& e) override;
  void compact(uint64_t index, const rules::ClusterState& state) override;

 private:
  CommandLog& log_;
  Clock clock_;
  ControllerCore* core_ = nullptr;
  uint64_t term_ = 0;
};

}  // namespace poolha::controller

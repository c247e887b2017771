// The controller core's log for unit tests and fuzzers: the real consensus::Raft with
// one voter over the real store::RaftStorage (a SQLite file or ":memory:"), and the
// daemon's own decoding and apply callbacks (controller::core_callbacks), driven
// synchronously: a proposal is saved, committed and applied before propose() returns.
// What the daemon adds around the same parts is sockets and timers (ConsensusNode);
// tests/sim/controlplane_sim.cc drives several members with a simulated network.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consensus/raft.h"
#include "controller_core/controller_core.h"
#include "controller_core/event_history.h"
#include "controller_core/replicated_log.h"
#include "member/consensus_node.h"
#include "store/raft_storage.h"
#include "store/sqlite_db.h"

namespace poolha::testing {

class OneVoterLog : public controller::ReplicatedLog {
 public:
  using Clock = std::function<rules::TimeMs()>;
  OneVoterLog(store::SqliteDb& db, Clock clock, std::string id = "ctl1")
      : db_(db), clock_(std::move(clock)), id_(std::move(id)) {}

  // What a controller does at start: rebuilds `core` from the database (snapshot, then
  // the committed entries after it), is elected at its first tick and makes `core` the
  // acting member of the new term. REQUIRES: called once, before any proposal.
  Status start(controller::ControllerCore& core);

  Expected<uint64_t> propose(const controller::LogEntry& e) override;
  void compact(uint64_t index, const controller::CoreSnapshot& state) override;

  const consensus::Raft& raft() const { return *raft_; }

 private:
  // The Ready contract (consensus/ready_step.h), as ConsensusNode runs it; then the
  // compactions the core asked for meanwhile.
  void process();

  store::SqliteDb& db_;
  Clock clock_;
  std::string id_;
  std::unique_ptr<store::RaftStorage> storage_;
  std::unique_ptr<consensus::Raft> raft_;
  member::ConsensusNode::Callbacks cb_;
  bool in_ready_ = false;
  std::vector<std::pair<uint64_t, std::string>> deferred_compactions_;
};

// A started controller core on a one-voter log over an in-memory SQLite database,
// sending to `out`: what the API, enrolment and fuzz tests run their requests on.
// Throws if the log does not start.
struct OneVoterCore {
  OneVoterCore(OneVoterLog::Clock clock, controller::Outbox& out);
  std::unique_ptr<store::SqliteDb> db;
  std::unique_ptr<controller::EventHistory> history;
  std::unique_ptr<OneVoterLog> log;
  std::unique_ptr<controller::ControllerCore> core;
};

// An operator command on a core whose log commits synchronously (OneVoterLog): the
// outcome at once. `actor` is the account (no roles, source "test").
Status command_now(controller::ControllerCore& core, rules::Event e, const std::string& actor);
// The same for any entry (an access change) with its actor.
Status command_now(controller::ControllerCore& core, controller::LogEntry e);
// An actor for tests: `account` at wall time `at_ms`.
access::Actor test_actor(const std::string& account, int64_t at_ms = 1'780'000'000'000);

}  // namespace poolha::testing

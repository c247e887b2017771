// The arbiter's consensus member: it votes and keeps the control plane's log in its
// own SQLite file, applying every committed entry to a controller core that never
// acts (so it can snapshot the state and catch a controller up after compaction).
// If it is elected, the consensus core hands leadership to a caught-up controller at
// once; until then nothing acts, which is safe (no controller acts without a lease).
#pragma once
#include <functional>
#include <memory>

#include "arbiter/config.h"
#include "controller_core/controller_core.h"
#include "controller_core/raft_log.h"
#include "controller_core/sighting_reporter.h"
#include "member/consensus_node.h"

namespace poolha::arbiter {

class LogKeeper : public controller::Outbox {
 public:
  LogKeeper(boost::asio::io_context& io, const ArbiterConfig& config);
  ~LogKeeper() override;
  Status start();
  // Where the arbiter's view of the agents comes from: given the configured nodes, the
  // ones it does not hear. Reported to the leader (controller_core/member_sightings.h).
  using UnheardSource = std::function<std::vector<std::string>(const std::vector<std::string>&)>;
  void report_sightings_from(UnheardSource src) { unheard_ = std::move(src); }
  // The Raft leader this member knows of and its term (empty before start or when
  // none is known): who may command the witness (ArbiterDaemon::follow_leader).
  std::pair<std::string, uint64_t> leader() const;
  // The replicated certificate denylist (poolhactl cert revoke).
  bool revoked(const pki::Identity& id) const;

  // Outbox: never used (the core does not act here), but must answer.
  bool send_command(const controller::NodeId&, const wire::Command&) override { return false; }
  void send_role(const controller::NodeId&, const wire::RoleAssignment&) override {}
  void consult_arbiter(const controller::NodeId&) override {}
  void arbiter_heard(const controller::NodeId&) override {}
  bool grant_vouching() override { return false; }

 private:
  boost::asio::io_context& io_;
  ArbiterConfig config_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<controller::EventHistory> history_;
  std::unique_ptr<controller::AuditStore> audit_;
  std::unique_ptr<controller::RaftLog> log_;
  std::unique_ptr<controller::ControllerCore> core_;
  std::unique_ptr<member::ConsensusNode> node_;
  std::string last_leader_;
  UnheardSource unheard_;
  std::unique_ptr<controller::SightingReporter> reporter_;
  std::unique_ptr<boost::asio::steady_timer> report_timer_;
  void arm_report_timer();
};

}  // namespace poolha::arbiter

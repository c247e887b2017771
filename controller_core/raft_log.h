// The controller core's log in a controller pair: proposals go to the consensus
// node (Raft over both controllers and the arbiter) as the log entries' JSON; the
// node hands committed entries back through the callbacks wired in controller_main.
#pragma once
#include "controller_core/controller_core.h"
#include "controller_core/replicated_log.h"
#include "member/cluster_config.h"
#include "member/consensus_node.h"

namespace poolha::controller {

class RaftLog : public ReplicatedLog {
 public:
  // REQUIRES: set_node before any proposal (the node is built after the core).
  void set_node(member::ConsensusNode* node) { node_ = node; }
  Expected<uint64_t> propose(const LogEntry& e) override;
  void compact(uint64_t index, const CoreSnapshot& state) override;

 private:
  member::ConsensusNode* node_ = nullptr;
};

// The consensus node's options for `self` from the cluster section.
member::ConsensusNodeOptions node_options(const member::ClusterConfig& cluster, const std::string& self);

// Callbacks that feed a ControllerCore from the node: snapshots restore it, committed
// commands apply to it (with `clock()` as the local time). An entry or snapshot that
// cannot be read stops the process: every member must apply the same entries.
member::ConsensusNode::Callbacks core_callbacks(ControllerCore& core, std::function<TimeMs()> clock,
                                                std::function<void()> changed);

// Entry data <-> log entry / snapshot data <-> state, with errors naming the entry.
Expected<LogEntry> log_entry_of(const consensus::Entry& e);
Expected<CoreSnapshot> state_of_snapshot(const consensus::Snapshot& s);

}  // namespace poolha::controller

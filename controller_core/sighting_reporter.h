// A member's half of member_sightings.h: sends the leader the set of configured nodes
// this member does not hear, over the member link. Repeats it when it changes, when
// the leader changes, and every kResendMs, so a lost report or a new leader is caught
// up within that time. The leader itself sends nothing (it is the one told).
// Runs on the member's io_context thread, from its timer.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "member/consensus_node.h"
#include "rules/model.h"

namespace poolha::controller {

class SightingReporter {
 public:
  static constexpr rules::TimeMs kCheckMs = 250;    // how often the set is computed
  static constexpr rules::TimeMs kResendMs = 2000;  // MemberSightings.max_age is three of these

  SightingReporter(member::ConsensusNode& node, std::string self) : node_(node), self_(std::move(self)) {}

  // `unheard` computes the current set (called at most every kCheckMs).
  void tick(rules::TimeMs local_now, const std::function<std::vector<rules::NodeId>()>& unheard);

 private:
  member::ConsensusNode& node_;
  std::string self_;
  std::vector<rules::NodeId> sent_;
  std::string sent_to_;
  rules::TimeMs sent_at_ = 0;
  rules::TimeMs checked_at_ = -kCheckMs;
};

}  // namespace poolha::controller

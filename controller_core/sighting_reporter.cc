#include "controller_core/sighting_reporter.h"

#include <spdlog/spdlog.h>

namespace poolha::controller {

void SightingReporter::tick(rules::TimeMs local_now, const std::function<std::vector<rules::NodeId>()>& unheard) {
  if (local_now - checked_at_ < kCheckMs) return;
  checked_at_ = local_now;
  const std::string leader = node_.raft().leader();
  if (leader.empty() || leader == self_) {
    sent_to_.clear();  // the next leader gets a report at once
    return;
  }
  std::vector<rules::NodeId> now_unheard = unheard();
  if (now_unheard == sent_ && leader == sent_to_ && local_now - sent_at_ < kResendMs) return;
  wire::Envelope e;
  auto* report = e.mutable_member_sightings();  // set even when empty: "I hear everyone" is news
  for (const auto& n : now_unheard) report->add_unheard(n);
  if (!node_.send_to(leader, e)) return;  // link down: tried again next check
  if (now_unheard != sent_)
    spdlog::info("member {}: {} configured node(s) unheard here{}", self_, now_unheard.size(),
                 now_unheard.empty() ? "" : " (first: " + now_unheard.front() + ")");
  sent_ = std::move(now_unheard);
  sent_to_ = leader;
  sent_at_ = local_now;
}

}  // namespace poolha::controller

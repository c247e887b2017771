// Which control-plane members do not hear which agents (issue 3: "a member that stops
// hearing an agent tells the leader"). Every member that is not the leader sends the
// leader the complete set of configured nodes it does not hear (MemberSightings on
// the member link); this table keeps each member's latest set and says what changed.
//
// What the leader does with it: it shows, per node, who does not hear it, and warns
// when a member loses a node the leader still hears. That is a one-sided network
// fault nobody else would notice until it matters: if the leader failed now, its
// successor would find the node silent. It is not a safety input: the arbiter stays
// the witness (design §3.1), and only vouching members renew an agent's lease, which is
// what the isolation deadline counts (controller_core.h).
//
// Soft state: not logged; a new leader rebuilds it from the next reports (every 2 s).
// A member whose report is older than `max_age` counts as unknown, not as hearing.
// Pure: the caller passes the time.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "rules/model.h"

namespace poolha::controller {

class MemberSightings {
 public:
  // A report larger than this is refused (the design's scale, §5, is 5,000 nodes).
  static constexpr size_t kMaxNodes = 100000;
  static constexpr size_t kMaxNodeIdBytes = 64;

  struct Change {
    std::string member;
    rules::NodeId node;
    bool unheard = false;  // true: the member stopped hearing the node; false: hears it again
  };

  explicit MemberSightings(rules::TimeMs max_age_ms) : max_age_ms_(max_age_ms) {}

  // Replaces `member`'s set. Returns the nodes that entered it (unheard) or left it.
  // A malformed report (too many ids, an empty or over-long id, a duplicate) is
  // refused with the reason and changes nothing.
  Expected<std::vector<Change>> report(const std::string& member, const std::vector<rules::NodeId>& unheard,
                                       rules::TimeMs now);
  // Drops the reports older than max_age (a member that stopped reporting: crashed,
  // cut off, or now the leader itself). Returns the members dropped.
  std::vector<std::string> expire(rules::TimeMs now);

  // `member`'s current set; null if it has no current report.
  const std::set<rules::NodeId>* unheard_of(const std::string& member) const {
    auto it = by_member_.find(member);
    return it == by_member_.end() ? nullptr : &it->second.unheard;
  }
  // Members whose current report says they do not hear `node`, sorted.
  std::vector<std::string> unheard_by(const rules::NodeId& node) const;
  // How many nodes `member` does not hear; -1 if it has no current report.
  long unheard_count(const std::string& member) const;

 private:
  struct Report {
    std::set<rules::NodeId> unheard;
    rules::TimeMs at = 0;
  };
  rules::TimeMs max_age_ms_;
  std::map<std::string, Report> by_member_;
  // node -> members not hearing it (the inverse, for per-node queries at scale).
  std::map<rules::NodeId, std::set<std::string>> by_node_;
};

}  // namespace poolha::controller

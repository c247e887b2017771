#include "consensus/membership.h"

#include <sstream>

#include "common/ids.h"

namespace poolha::consensus {

std::optional<MemberRole> Membership::role_of(const MemberId& id) const {
  if (auto it = voters.find(id); it != voters.end()) return it->second;
  if (auto it = learners.find(id); it != learners.end()) return it->second;
  return std::nullopt;
}

const char* to_string(MemberRole r) { return r == MemberRole::Controller ? "controller" : "arbiter"; }

const char* to_string(MessageType t) {
  switch (t) {
    case MessageType::PreVote: return "PreVote";
    case MessageType::PreVoteReply: return "PreVoteReply";
    case MessageType::Vote: return "Vote";
    case MessageType::VoteReply: return "VoteReply";
    case MessageType::Append: return "Append";
    case MessageType::AppendReply: return "AppendReply";
    case MessageType::InstallSnapshot: return "InstallSnapshot";
    case MessageType::SnapshotReply: return "SnapshotReply";
    case MessageType::TimeoutNow: return "TimeoutNow";
  }
  return "?";
}

std::string encode_membership(const Membership& m) {
  std::string out;
  for (const auto& [id, role] : m.voters) out += std::string("voter ") + id + " " + to_string(role) + "\n";
  for (const auto& [id, role] : m.learners) out += std::string("learner ") + id + " " + to_string(role) + "\n";
  return out;
}

Expected<Membership> decode_membership(const std::string& text) {
  Membership m;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::istringstream fields(line);
    std::string kind, id, role, extra;
    fields >> kind >> id >> role;
    if (kind.empty()) continue;
    if ((kind != "voter" && kind != "learner") || id.empty() || (role != "controller" && role != "arbiter") ||
        (fields >> extra))
      return Expected<Membership>::Error("membership line " + std::to_string(n) + ": expected '<voter|learner> <id> <controller|arbiter>', got '" + line + "'");
    const MemberRole r = role == "controller" ? MemberRole::Controller : MemberRole::Arbiter;
    if (m.contains(id)) return Expected<Membership>::Error("membership: member " + id + " listed twice");
    (kind == "voter" ? m.voters : m.learners)[id] = r;
  }
  return m;
}

Expected<Membership> apply_change(const Membership& current, const MembershipChange& c) {
  Membership next = current;
  const auto err = [&](const std::string& why) { return Expected<Membership>::Error(describe(c) + ": " + why); };
  if (!valid_id(c.member)) return err(std::string("a member id is ") + kIdRule);
  switch (c.kind) {
    case MembershipChange::Kind::AddLearner:
      if (current.contains(c.member)) return err("already a member");
      next.learners[c.member] = c.role;
      break;
    case MembershipChange::Kind::Promote:
      if (!current.learners.count(c.member)) return err("not a learner (add it as a learner first)");
      next.voters[c.member] = current.learners.at(c.member);
      next.learners.erase(c.member);
      break;
    case MembershipChange::Kind::Demote:
      if (!current.voters.count(c.member)) return err("not a voter");
      if (current.voters.size() == 1) return err("the last voter cannot be demoted");
      next.learners[c.member] = current.voters.at(c.member);
      next.voters.erase(c.member);
      break;
    case MembershipChange::Kind::Remove:
      if (!current.contains(c.member)) return err("not a member");
      if (current.voters.size() == 1 && current.voters.count(c.member)) return err("the last voter cannot be removed");
      next.voters.erase(c.member);
      next.learners.erase(c.member);
      break;
  }
  bool any_controller = false;
  for (const auto& [id, role] : next.voters) any_controller |= role == MemberRole::Controller;
  if (!any_controller) return err("no controller would be left to lead");
  return next;
}

MembershipInForce membership_in_force(const Membership& base, Index base_index, const std::vector<Entry>& entries) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->kind != EntryKind::Membership) continue;
    if (auto m = decode_membership(it->data); m.ok()) return {std::move(*m), it->index};
  }
  return {base, base_index};
}

std::string describe(const MembershipChange& c) {
  switch (c.kind) {
    case MembershipChange::Kind::AddLearner: return "add " + c.member + " (" + to_string(c.role) + ") as learner";
    case MembershipChange::Kind::Promote: return "promote " + c.member + " to voter";
    case MembershipChange::Kind::Demote: return "demote " + c.member + " to learner";
    case MembershipChange::Kind::Remove: return "remove " + c.member;
  }
  return "?";
}

}  // namespace poolha::consensus

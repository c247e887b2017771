#include "controller_core/raft_log.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "common/json_text.h"
#include "rules/json_codec.h"

namespace poolha::controller {

Expected<uint64_t> RaftLog::propose(const LogEntry& e) {
  if (!node_) return Expected<uint64_t>::Error("the consensus node is not started");
  return node_->propose(json_text(to_json(e)));
}

void RaftLog::compact(uint64_t index, const CoreSnapshot& state) {
  if (!node_) return;
  if (auto st = node_->compact(index, json_text(to_json(state))); !st.ok())
    spdlog::error("snapshot at {}: {}", index, st.error());
}

member::ConsensusNodeOptions node_options(const member::ClusterConfig& cluster, const std::string& self) {
  member::ConsensusNodeOptions o;
  o.id = self;
  o.listen = cluster.listen;  // none: a sole controller with no member port
  for (const auto& m : cluster.members) o.members.push_back({m.id, m.address, m.role});
  o.initial = cluster.initial();
  return o;
}

member::ConsensusNode::Callbacks core_callbacks(ControllerCore& core, std::function<TimeMs()> clock,
                                                std::function<void()> changed) {
  member::ConsensusNode::Callbacks cb;
  cb.restore = [&core](const consensus::Snapshot& snap) {
    auto st = state_of_snapshot(snap);
    if (!st.ok()) {
      spdlog::critical("{} (the database or the leader's snapshot is damaged); stopping", st.error());
      std::exit(1);
    }
    core.restore(*st, snap.meta.index);
  };
  cb.apply = [&core, clock](const consensus::Entry& e) {
    if (e.kind != consensus::EntryKind::Command) return;
    auto ev = log_entry_of(e);
    if (!ev.ok()) {
      spdlog::critical("{}: cannot apply a committed entry; stopping", ev.error());
      std::exit(1);
    }
    core.apply_committed(e.index, e.term, *ev, clock());
  };
  cb.changed = std::move(changed);
  // Members tell the leader which agents they do not hear (member_sightings.h).
  cb.message = [&core, clock](const std::string& from, const wire::Envelope& e) {
    if (!e.has_member_sightings()) {
      spdlog::debug("ignoring {} from member {}", wire::body_name(e), from);
      return;
    }
    const auto& u = e.member_sightings().unheard();
    if (static_cast<size_t>(u.size()) > MemberSightings::kMaxNodes) {
      spdlog::warn("sightings from {} name {} nodes, more than {}; ignored", from, u.size(), MemberSightings::kMaxNodes);
      return;
    }
    core.on_member_sightings(from, {u.begin(), u.end()}, clock());
  };
  return cb;
}

Expected<LogEntry> log_entry_of(const consensus::Entry& e) {
  auto j = parse_json_bounded(e.data);
  if (!j.ok()) return Expected<LogEntry>::Error("entry " + std::to_string(e.index) + ": " + j.error());
  auto entry = entry_from_json(*j);
  if (!entry.ok()) return Expected<LogEntry>::Error("entry " + std::to_string(e.index) + ": " + entry.error());
  return entry;
}

Expected<CoreSnapshot> state_of_snapshot(const consensus::Snapshot& s) {
  auto j = rules::Json::parse(s.data, nullptr, false);
  if (j.is_discarded()) return Expected<CoreSnapshot>::Error("snapshot at " + std::to_string(s.meta.index) + ": not JSON");
  auto st = snapshot_from_json(j);
  if (!st.ok()) return Expected<CoreSnapshot>::Error("snapshot at " + std::to_string(s.meta.index) + ": " + st.error());
  return st;
}

}  // namespace poolha::controller

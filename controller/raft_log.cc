#include "controller/raft_log.h"

#include <spdlog/spdlog.h>

#include "rules/json_codec.h"

namespace poolha::controller {

Expected<uint64_t> RaftLog::propose(const rules::Event& e) {
  if (!node_) return Expected<uint64_t>::Error("the consensus node is not started");
  return node_->propose(rules::to_json(e).dump());
}

void RaftLog::compact(uint64_t index, const rules::ClusterState& state) {
  if (!node_) return;
  if (auto st = node_->compact(index, rules::to_json(state).dump()); !st.ok())
    spdlog::error("snapshot at {}: {}", index, st.error());
}

Expected<rules::Event> event_of_entry(const consensus::Entry& e) {
  auto j = rules::Json::parse(e.data, nullptr, false);
  if (j.is_discarded()) return Expected<rules::Event>::Error("entry " + std::to_string(e.index) + ": not JSON");
  auto ev = rules::event_from_json(j);
  if (!ev.ok()) return Expected<rules::Event>::Error("entry " + std::to_string(e.index) + ": " + ev.error());
  return ev;
}

Expected<rules::ClusterState> state_of_snapshot(const consensus::Snapshot& s) {
  auto j = rules::Json::parse(s.data, nullptr, false);
  if (j.is_discarded()) return Expected<rules::ClusterState>::Error("snapshot at " + std::to_string(s.meta.index) + ": not JSON");
  auto st = rules::state_from_json(j);
  if (!st.ok()) return Expected<rules::ClusterState>::Error("snapshot at " + std::to_string(s.meta.index) + ": " + st.error());
  return st;
}

}  // namespace poolha::controller

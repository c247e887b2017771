#include "controller/local_log.h"

#include <spdlog/spdlog.h>

namespace poolha::controller {

Status LocalLog::start(ControllerCore& core) {
  auto rec = log_.recover();
  if (!rec.ok()) return rec.status();
  if (rec->snapshot) core.restore(*rec->snapshot, rec->snapshot_index);
  // Decisions of replayed entries were carried out before the restart (the core is
  // not acting yet, so it only rebuilds its state).
  for (const auto& entry : rec->entries) core.apply_committed(entry.index, 0, entry.event, clock_());
  spdlog::info("recovered state: snapshot at {}, {} commands replayed, {} rules, {} nodes", rec->snapshot_index,
               rec->entries.size(), core.state().rules.size(), core.state().nodes.size());
  core_ = &core;
  // A new term: agents order commands by it, and it tells them (and the log) that a
  // new controller incarnation acts from here on.
  term_ = core.state().term + 1;
  core.set_leader(true, term_, clock_());
  if (!core.acting()) return Status::Error("could not start term " + std::to_string(term_) + " (see the log above)");
  return Status::Ok();
}

Expected<uint64_t> LocalLog::propose(const rules::Event& e) {
  if (!core_) return Expected<uint64_t>::Error("the log is not started");
  auto idx = log_.append(e);
  if (!idx.ok()) return idx;
  core_->apply_committed(*idx, term_, e, clock_());
  return idx;
}

void LocalLog::compact(uint64_t index, const rules::ClusterState& state) {
  if (auto st = log_.snapshot(index, state); !st.ok()) spdlog::error("snapshot at {}: {}", index, st.error());
}

}  // namespace poolha::controller

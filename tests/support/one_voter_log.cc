#include "tests/support/one_voter_log.h"

#include <optional>
#include <stdexcept>

#include "common/json_text.h"
#include "consensus/ready_step.h"
#include "controller_core/leadership.h"
#include "controller_core/raft_log.h"
#include "rules/json_codec.h"

namespace poolha::testing {

Status OneVoterLog::start(controller::ControllerCore& core) {
  if (raft_) return Status::Error("already started");
  auto storage = store::RaftStorage::open(db_);
  if (!storage.ok()) return storage.status();
  storage_ = std::move(*storage);
  consensus::Membership initial;
  initial.voters = {{id_, consensus::MemberRole::Controller}};
  auto rec = storage_->recover(initial);
  if (!rec.ok()) return rec.status();
  cb_ = controller::core_callbacks(core, clock_, nullptr);
  if (rec->snapshot) cb_.restore(*rec->snapshot);
  consensus::RaftOptions o;
  o.id = id_;
  o.seed = 1;
  raft_ = std::make_unique<consensus::Raft>(o, std::move(*rec));
  raft_->tick();  // a sole voter leads at its first tick
  process();
  controller::Leadership leadership(id_);  // as the daemon hands leadership to the core
  if (!leadership.update(*raft_, core, clock_()).leader_changed) return Status::Error("the sole voter was not elected");
  process();
  if (!core.acting()) return Status::Error("the core does not act in term " + std::to_string(raft_->term()));
  return Status::Ok();
}

Expected<uint64_t> OneVoterLog::propose(const controller::LogEntry& e) {
  if (!raft_) return Expected<uint64_t>::Error("the log is not started");
  auto idx = raft_->propose(json_text(controller::to_json(e)));
  if (idx.ok()) process();
  return idx;
}

void OneVoterLog::compact(uint64_t index, const controller::CoreSnapshot& state) {
  deferred_compactions_.emplace_back(index, json_text(controller::to_json(state)));
  if (!in_ready_) process();
}

void OneVoterLog::process() {
  if (in_ready_) return;  // a proposal from inside a callback: the loop below takes it
  in_ready_ = true;
  const consensus::ReadySteps steps{[this](const consensus::Ready& r) { return storage_->save(r); },
                                    [](const consensus::Message&) {},  // one voter: nobody to tell
                                    cb_.restore, cb_.apply};
  for (;;) {
    auto ran = consensus::run_ready_step(*raft_, steps);
    if (!ran.ok()) throw std::runtime_error("one-voter log: " + ran.error());
    if (!*ran) break;
  }
  in_ready_ = false;
  auto compactions = std::move(deferred_compactions_);
  deferred_compactions_.clear();
  for (auto& [index, data] : compactions) {
    if (index > raft_->applied()) continue;
    raft_->compact(index, std::move(data));
    if (auto st = storage_->save_compaction(raft_->snapshot()); !st.ok())
      throw std::runtime_error("one-voter log: " + st.error());
  }
}

Status command_now(controller::ControllerCore& core, controller::LogEntry e) {
  std::optional<Status> out;
  core.operator_command(std::move(e), [&out](Status st) { out = std::move(st); });
  return out ? *out : Status::Error("accepted but not committed at once (is the log OneVoterLog?)");
}

Status command_now(controller::ControllerCore& core, rules::Event e, const std::string& actor) {
  return command_now(core, controller::LogEntry(std::move(e), test_actor(actor)));
}

OneVoterCore::OneVoterCore(OneVoterLog::Clock clock, controller::Outbox& out)
    : db(std::move(*store::SqliteDb::open(":memory:"))),
      history(std::move(*controller::EventHistory::open(*db))),
      log(std::make_unique<OneVoterLog>(*db, std::move(clock))),
      core(std::make_unique<controller::ControllerCore>(*log, *history, out, rules::Settings{})) {
  if (auto st = log->start(*core); !st.ok()) throw std::runtime_error("one-voter log: " + st.error());
}

access::Actor test_actor(const std::string& account, int64_t at_ms) {
  return access::Actor{.account = account, .source = "test", .at_ms = at_ms};
}

}  // namespace poolha::testing

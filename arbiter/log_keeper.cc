#include "arbiter/log_keeper.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace poolha::arbiter {

LogKeeper::LogKeeper(boost::asio::io_context& io, const ArbiterConfig& config) : io_(io), config_(config) {}
LogKeeper::~LogKeeper() = default;

Status LogKeeper::start() {
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir, ec);
  if (ec) return Status::Error("state_dir '" + config_.state_dir + "': " + ec.message());
  auto db = controller::SqliteDb::open(config_.state_dir + "/arbiter.db");
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  auto history = controller::EventHistory::open(*db_);
  if (!history.ok()) return history.status();
  history_ = std::move(*history);
  log_ = std::make_unique<controller::RaftLog>();
  core_ = std::make_unique<controller::ControllerCore>(*log_, *history_, *this, rules::Settings{});
  auto server_ctx = wire::mutual_tls_context(config_.tls, true);
  if (!server_ctx.ok()) return Status::Error("tls: " + server_ctx.error());
  auto client_ctx = wire::mutual_tls_context(config_.tls, false);
  if (!client_ctx.ok()) return Status::Error("tls: " + client_ctx.error());
  member::ConsensusNodeOptions o;
  o.id = config_.name;
  o.listen = config_.cluster->listen;
  for (const auto& m : config_.cluster->members) o.members.push_back({m.id, m.address});
  o.initial = config_.cluster->initial();
  member::ConsensusNode::Callbacks cb;
  cb.restore = [this](const consensus::Snapshot& s) {
    auto st = controller::state_of_snapshot(s);
    if (!st.ok()) {
      spdlog::critical("{} (the database or the leader's snapshot is damaged)", st.error());
      std::exit(1);
    }
    core_->restore(*st, s.meta.index);
  };
  cb.apply = [this](const consensus::Entry& e) {
    if (e.kind != consensus::EntryKind::Command) return;
    auto ev = controller::event_of_entry(e);
    if (!ev.ok()) {
      spdlog::critical("{}: cannot apply a committed entry; stopping", ev.error());
      std::exit(1);
    }
    core_->apply_committed(e.index, e.term, *ev, 0);
  };
  cb.changed = [this] {
    const std::string leader = node_->raft().leader();
    if (leader == last_leader_) return;
    last_leader_ = leader;
    spdlog::info("term {}: leader {}{}", node_->raft().term(), leader.empty() ? "unknown" : leader,
                 leader == config_.name ? " (this arbiter; handing over to a controller)" : "");
  };
  node_ = std::make_unique<member::ConsensusNode>(io_, *server_ctx, *client_ctx, *db_, o, cb);
  log_->set_node(node_.get());
  if (auto st = node_->start(); !st.ok()) return Status::Error("consensus: " + st.error());
  spdlog::info("consensus member {} on {} (log in {}/arbiter.db)", config_.name, config_.cluster->listen.str(),
               config_.state_dir);
  return Status::Ok();
}

}  // namespace poolha::arbiter

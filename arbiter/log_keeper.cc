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
  auto db = store::SqliteDb::open(config_.state_dir + "/arbiter.db");
  if (!db.ok()) return db.status();
  db_ = std::move(*db);
  auto history = controller::EventHistory::open(*db_);
  if (!history.ok()) return history.status();
  history_ = std::move(*history);
  // The arbiter keeps the audit trail too: a third copy, beside the controllers'.
  auto audit = controller::AuditStore::open(*db_);
  if (!audit.ok()) return audit.status();
  audit_ = std::move(*audit);
  log_ = std::make_unique<controller::RaftLog>();
  core_ = std::make_unique<controller::ControllerCore>(*log_, *history_, *this, rules::Settings{});
  core_->set_audit_store(audit_.get());
  auto server_ctx = wire::mutual_tls_context(config_.tls, true);
  if (!server_ctx.ok()) return Status::Error("tls: " + server_ctx.error());
  auto client_ctx = wire::mutual_tls_context(config_.tls, false);
  if (!client_ctx.ok()) return Status::Error("tls: " + client_ctx.error());
  const member::ConsensusNodeOptions o = controller::node_options(*config_.cluster, config_.name);
  // Local time 0: the arbiter's core never acts, so it needs no clock of its own.
  auto cb = controller::core_callbacks(*core_, [] { return controller::TimeMs{0}; }, [this] {
    const std::string leader = node_->raft().leader();
    if (leader == last_leader_) return;
    last_leader_ = leader;
    spdlog::info("term {}: leader {}{}", node_->raft().term(), leader.empty() ? "unknown" : leader,
                 leader == config_.name ? " (this arbiter; handing over to a controller)" : "");
  });
  cb.revoked = [this](const pki::Identity& id) { return revoked(id); };
  node_ = std::make_unique<member::ConsensusNode>(io_, *server_ctx, *client_ctx, *db_, o, cb);
  log_->set_node(node_.get());
  if (auto st = node_->start(); !st.ok()) return Status::Error("consensus: " + st.error());
  reporter_ = std::make_unique<controller::SightingReporter>(*node_, config_.name);
  report_timer_ = std::make_unique<boost::asio::steady_timer>(io_);
  arm_report_timer();
  spdlog::info("consensus member {} on {} (log in {}/arbiter.db)", config_.name, config_.cluster->listen->str(),
               config_.state_dir);
  return Status::Ok();
}

void LogKeeper::arm_report_timer() {
  report_timer_->expires_after(std::chrono::milliseconds(controller::SightingReporter::kCheckMs));
  report_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (unheard_) {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now().time_since_epoch()).count();
      reporter_->tick(now, [this] {
        std::vector<std::string> nodes;
        for (const auto& [id, n] : core_->state().nodes) nodes.push_back(id);
        return unheard_(nodes);
      });
    }
    arm_report_timer();
  });
}

bool LogKeeper::revoked(const pki::Identity& id) const {
  return core_ && core_->state().revoked.count(id.serial) > 0;
}

std::pair<std::string, uint64_t> LogKeeper::leader() const {
  if (!node_) return {"", 0};
  return {node_->raft().leader(), node_->raft().term()};
}

}  // namespace poolha::arbiter

// poolha-controller: the I/O shell around ControllerCore. One io_context, one thread:
// agent sessions, the arbiter link, the REST API, the enrolment port and the timer
// all run on it; the core never blocks (SQLite appends are short fsynced writes).
#include <sys/stat.h>
#include <utility>

#include <boost/asio/signal_set.hpp>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "controller/agent_hub.h"
#include "controller/api_server.h"
#include "controller/arbiter_link.h"
#include "controller/config.h"
#include "controller_core/controller_core.h"
#include "controller/controller_vip.h"
#include "host/linux/host_ops_linux.h"
#include "controller_core/leadership.h"
#include "controller_core/arbiter_steward.h"
#include "controller_core/raft_log.h"
#include "controller_core/sighting_reporter.h"
#include "controller/enrolment_service.h"
#include "common/utf8.h"
#include "store/single_controller_import.h"
#include "wire/event_loop.h"

namespace poolha::controller {
namespace {

constexpr const char* kVersion = "0.1.0";
constexpr auto kTimerPeriod = std::chrono::milliseconds(100);

class ControllerDaemon : public Outbox {
 public:
  explicit ControllerDaemon(ControllerConfig cfg) : cfg_(std::move(cfg)), timer_(io_), signals_(io_, SIGINT, SIGTERM) {}

  int run() {
    std::error_code fec;
    std::filesystem::create_directories(cfg_.state_dir, fec);
    if (fec) return fatal("state_dir '" + cfg_.state_dir + "': " + fec.message());
    auto db = store::SqliteDb::open(cfg_.state_dir + "/controller.db");
    if (!db.ok()) return fatal(db.error());
    db_ = std::move(*db);
    if (auto imported = store::import_single_controller_log(*db_, cfg_.cluster.initial()); !imported.ok())
      return fatal(imported.error());
    else if (*imported)
      spdlog::warn("moved the single-controller log of an earlier version into the Raft log: snapshot at {}, {} "
                   "commands, term {}", (*imported)->snapshot_index, (*imported)->entries, (*imported)->term);
    auto history = EventHistory::open(*db_);
    if (!history.ok()) return fatal(history.error());
    history_ = std::move(*history);
    auto audit = AuditStore::open(*db_);
    if (!audit.ok()) return fatal(audit.error());
    audit_ = std::move(*audit);
    // Enrolment tokens were once this member's own table; they are replicated now
    // (access/model.h), and one minted before the upgrade is minted again.
    if (auto st = db_->exec("DROP TABLE IF EXISTS enrol_tokens"); !st.ok()) return fatal(st.error());

    auto server_ctx = wire::mutual_tls_context(cfg_.tls, true);
    if (!server_ctx.ok()) return fatal(server_ctx.error());
    auto client_ctx = wire::mutual_tls_context(cfg_.tls, false);
    if (!client_ctx.ok()) return fatal(client_ctx.error());

    if (auto st = start_member(*server_ctx, *client_ctx); !st.ok()) return fatal(st.error());

    hub_ = std::make_unique<AgentHub>(io_, *server_ctx, cfg_.name,
                                      AgentHub::Handlers{
                                          [this](const std::string& n, const wire::NodeFacts& f) { core_->on_agent_hello(n, f, now()); },
                                          [this](const std::string& n) { core_->on_agent_closed(n); },
                                          [this](const std::string& n, const wire::Heartbeat& hb) {
                                            core_->on_heartbeat(n, hb, now());
                                            return core_->vouching() && node_->leads_with_lease();
                                          },
                                          [this](const std::string& n, const wire::CommandResult& r) { core_->on_result(n, r, now()); },
                                      },
                                      [this](const pki::Identity& id) { return revoked(id); });
    if (auto st = hub_->listen(cfg_.listen_agents); !st.ok()) return fatal(st.error());

    // One link per arbiter witness: a one-voter cluster's `arbiter`, or every arbiter
    // member of the cluster (consults and grants go to the voting one).
    std::vector<std::pair<std::string, wire::Endpoint>> witnesses;
    if (cfg_.arbiter) witnesses.emplace_back("", *cfg_.arbiter);
    for (const auto& m : cfg_.cluster.members)
      if (m.witness) witnesses.emplace_back(m.id, *m.witness);
    for (const auto& [id, ep] : witnesses) {
      const std::string aid = id;
      auto link = std::make_unique<ArbiterLink>(
          io_, *client_ctx, ep, id, cfg_.name, wire::Millis(cfg_.arbiter_timeout_ms),
          [this](const std::string& node, bool reachable, bool sees, int64_t since) {
            core_->on_arbiter_answer(node, reachable, sees, since, now());
          },
          [this, aid](bool up) {
            if (current_arbiter() == arbiters_.at(aid).get()) core_->on_arbiter_link(up, now());
          });
      link->start();
      arbiters_[aid] = std::move(link);
    }

    if (!cfg_.controller_vip.empty()) {
      vip_ = std::make_unique<ControllerVip>(io_, host_ops_, ControllerVipSpec{cfg_.controller_vip, cfg_.controller_vip_interface},
                                             cfg_.state_dir + "/controller-vip");
      if (auto st = vip_->start(); !st.ok()) return fatal(st.error());
    }

    hasher_ = std::make_unique<PasswordHasher>(io_, PasswordHasher::interactive());
    routes_ = std::make_unique<ApiRoutes>(*core_, *history_, cfg_.listen_enrol.has_value(), cfg_.name,
                                          [this] { return core_->cluster_now(now()); }, audit_.get(), hasher_.get());
    routes_->set_redirect([this](const std::string& target) { return redirect_for(target); });
    routes_->set_cluster_view([this] { return cluster_view(); });
    routes_->set_override([this](const std::string& rule, const std::string& target, const access::Actor& by) {
      return override_switch(rule, target, by);
    });
    routes_->set_cluster_ops([this](const std::string& verb, const nlohmann::json& body, const access::Actor& by) {
      return cluster_op(verb, body, by);
    });
    auto assets = StaticAssets::load(cfg_.webui_dir);
    if (!assets.ok()) return fatal(assets.error());
    assets_ = std::move(*assets);
    if (assets_->empty())
      spdlog::info("no console in {} (webui_dir): serving the API alone", cfg_.webui_dir);
    else
      spdlog::info("console: {} files, {} KiB from {}", assets_->count(), assets_->bytes() >> 10, cfg_.webui_dir);
    feed_ = std::make_unique<LiveFeed>(LiveFeed::Source{
        [this] { return routes_->status_json(); }, [this]() -> const rules::ClusterState& { return core_->state(); },
        [this] { return core_->log_index(); }, [this] { return core_->agents_version(); },
        [this] { return routes_->agents_json(false); }, [this] { return routes_->top_json(false); }});
    history_->set_listener([this](const HistoryEvent& e) { feed_->history(to_json(e)); });
    auto api_ctx = wire::api_server_context(cfg_.tls);
    if (!api_ctx.ok()) return fatal(api_ctx.error());
    api_ = std::make_shared<ApiServer>(io_, *api_ctx, *routes_, assets_.get(), feed_.get());
    if (auto st = api_->listen(cfg_.listen_api); !st.ok()) return fatal(st.error());

    if (cfg_.listen_enrol) {
      pki::KeyCert ca;
      auto key = pki::read_private_key(cfg_.ca_key);
      auto cert = pki::read_file(cfg_.tls.ca_file);
      if (!key.ok()) return fatal("ca_key: " + key.error());
      if (!cert.ok()) return fatal("tls.ca: " + cert.error());
      ca.key_pem = *key;
      ca.cert_pem = *cert;
      auto ctx = wire::enrol_server_context(cfg_.tls.cert_file, cfg_.tls.key_file);
      if (!ctx.ok()) return fatal(ctx.error());
      enrol_ = std::make_unique<EnrolmentService>(io_, *ctx, ca, *core_, *history_,
                                                  [this] { return core_->cluster_now(now()); });
      if (auto st = enrol_->listen(*cfg_.listen_enrol); !st.ok()) return fatal(st.error());
    }

    signals_.async_wait([this](boost::system::error_code, int sig) {
      spdlog::info("signal {}: stopping (state is in {}/controller.db)", sig, cfg_.state_dir);
      if (vip_) vip_->stop();
      io_.stop();
    });
    schedule_timer();
    spdlog::info("poolha-controller {} '{}' up: agents on {}, API on {}{}{}, term {}", kVersion, cfg_.name,
                 cfg_.listen_agents.str(), cfg_.listen_api.str(),
                 cfg_.listen_enrol ? ", enrolment on " + cfg_.listen_enrol->str() : "",
                 cfg_.arbiter ? ", arbiter " + cfg_.arbiter->str() + " (witness)"
                 : arbiters_.empty() ? ", NO arbiter configured" : ", arbiters from cluster:",
                 core_->state().term);
    wire::run_event_loop(io_, [](const std::string& what) {
      spdlog::critical("internal error (a bug; please report it): {}; the controller carries on", text::log_safe(what, 1024));
    });
    return 0;
  }

  // One member of the replicated control plane: the core runs on the Raft log (of
  // both controllers and the arbiter, or of this controller alone); it acts while this
  // member leads with a lease.
  Status start_member(std::shared_ptr<boost::asio::ssl::context> server_ctx,
                      std::shared_ptr<boost::asio::ssl::context> client_ctx) {
    raft_log_ = std::make_unique<RaftLog>();
    core_ = std::make_unique<ControllerCore>(*raft_log_, *history_, *this, cfg_.settings);
    core_->set_audit_store(audit_.get());
    const member::ConsensusNodeOptions o = node_options(cfg_.cluster, cfg_.name);
    auto cb = core_callbacks(*core_, [] { return steady_ms(); }, [this] { leadership_changed(); });
    cb.revoked = [this](const pki::Identity& id) { return revoked(id); };
    node_ = std::make_unique<member::ConsensusNode>(io_, server_ctx, client_ctx, *db_, o, cb);
    raft_log_->set_node(node_.get());
    if (auto st = node_->start(); !st.ok()) return Status::Error("consensus: " + st.error());
    reporter_ = std::make_unique<SightingReporter>(*node_, cfg_.name);
    report_never_heard_after_ = now() + kNeverHeardGraceMs;
    spdlog::info("member {} of {} (member port {}); the active controller is the Raft leader", cfg_.name,
                 cfg_.cluster.members.size(), cfg_.cluster.listen ? cfg_.cluster.listen->str() : "none");
    return Status::Ok();
  }

  void leadership_changed() {
    const auto c = leadership_.update(node_->caught_up(), *core_, now());
    if (vip_ && !core_->acting()) vip_->set_active(false);  // drop it now, not at the next tick
    if (c.leader_changed)
      spdlog::info("term {}: leader {}", node_->raft().term(), c.leader.empty() ? "unknown (no quorum)" : c.leader);
    for (const auto& [rule, node] : c.overrides_at_risk) {
      spdlog::critical("override of {} to {} is not in the log and {} leads: run `poolhactl force {} --to {}`", rule,
                       node, c.leader, rule, node);
      history_->record({.kind = "alert:override_not_logged", .rule = rule, .node = node, .outcome = "critical",
                        .detail = c.leader + " leads; run poolhactl force " + rule + " --to " + node});
    }
  }

  // A standby sends API clients to the active controller; with no leader (no quorum)
  // it answers itself, so operators can see why.
  std::optional<std::string> redirect_for(const std::string& target) const {
    if (core_->acting()) return std::nullopt;
    const std::string leader = node_->raft().leader();
    if (leader.empty() || leader == cfg_.name) return std::nullopt;
    const member::ClusterMember* m = cfg_.cluster.find(leader);
    if (!m || !m->api) return std::nullopt;
    return "https://" + m->api->str() + target;
  }

  // POST /v1/cluster/transfer {"to"} and /v1/cluster/members {"op", "id", "role"}:
  // operator-driven leadership transfer and single-server membership changes.
  ApiResponse cluster_op(const std::string& verb, const nlohmann::json& body, const access::Actor& by) {
    const std::string& actor = by.account;
    // Into the replicated audit trail, proposed before the operation starts (a
    // transfer ends this member's leadership).
    auto audit = [&](const std::string& action, const std::string& target, const std::string& detail) {
      core_->operator_command(LogEntry(access::Note{action, target, "ok", detail}, by), [](Status) {});
    };
    auto err = [](int status, const std::string& m) { return ApiResponse{status, {{"error", m}}}; };
    auto str = [&](const char* k) { return body.is_object() && body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : ""; };
    if (!core_->acting()) return err(409, "no active controller here (no quorum?): see GET /v1/cluster");
    if (verb == "transfer") {
      const std::string to = str("to");
      if (to.empty()) return err(400, "to: the member id to hand leadership to is required");
      const auto* m = cfg_.cluster.find(to);
      if (!m || m->role != consensus::MemberRole::Controller) return err(400, "to: " + to + " is not a controller of this cluster");
      audit("cluster.transfer", "member " + to, "leadership transfer requested");
      if (auto st = node_->transfer_leadership(to); !st.ok()) return err(409, st.error());
      history_->record({.kind = "cluster:transfer", .outcome = "ok", .detail = "leadership to " + to, .actor = actor});
      return {200, {{"ok", true}, {"to", to}, {"note", "this controller stops acting now; " + to + " acts once elected"}}};
    }
    if (verb == "members") {
      const std::string op = str("op"), id = str("id"), role = str("role");
      consensus::MembershipChange c;
      c.member = id;
      if (op == "add") c.kind = consensus::MembershipChange::Kind::AddLearner;
      else if (op == "promote") c.kind = consensus::MembershipChange::Kind::Promote;
      else if (op == "demote") c.kind = consensus::MembershipChange::Kind::Demote;
      else if (op == "remove") c.kind = consensus::MembershipChange::Kind::Remove;
      else return err(400, "op: one of add, promote, demote, remove");
      if (id.empty()) return err(400, "id: the member id is required");
      if (op == "add") {
        if (role != "controller" && role != "arbiter") return err(400, "role: controller or arbiter (for add)");
        c.role = role == "controller" ? consensus::MemberRole::Controller : consensus::MemberRole::Arbiter;
        if (!cfg_.cluster.find(id))
          return err(400, id + " is not in this controller's cluster.members list: add it there (address) on every member first");
      }
      auto idx = node_->change_membership(c);
      if (!idx.ok()) return err(409, idx.error());
      audit("cluster.membership", "member " + id, consensus::describe(c));
      history_->record({.kind = "cluster:membership", .outcome = "proposed", .detail = consensus::describe(c), .actor = actor});
      return {200, {{"ok", true}, {"log_index", *idx}, {"change", consensus::describe(c)}}};
    }
    return err(404, "unknown cluster operation " + verb + " (transfer, members)");
  }

  // The operator's explicit override while this controller has no quorum (design §3.3).
  ApiResponse override_switch(const std::string& rule, const std::string& target, const access::Actor& actor) {
    if (auto st = check_override_allowed(node_->caught_up(), core_->acting(),
                                         static_cast<uint64_t>(node_->options().election_ticks));
        !st.ok())
      return {409, {{"error", st.error()}}};
    if (auto st = core_->override_switch(rule, target, actor, now()); !st.ok()) return {409, {{"error", st.error()}}};
    return {200, {{"ok", true}, {"override", true},
                  {"note", "carried out without quorum and recorded in the event history; it enters the log when this "
                           "controller is active again"}}};
  }

  nlohmann::json cluster_view() const {
    const auto& r = node_->raft();
    nlohmann::json members = nlohmann::json::array();
    const auto links = node_->peer_links();
    const auto match = r.match_indices();
    for (const auto& m : cfg_.cluster.members) {
      nlohmann::json j{{"id", m.id}, {"role", consensus::to_string(m.role)}, {"address", m.address.str()},
                       {"voter", r.membership().is_voter(m.id)}, {"learner", r.membership().learners.count(m.id) > 0}};
      if (m.api) j["api"] = m.api->str();
      if (auto it = links.find(m.id); it != links.end()) j["link_up"] = it->second;
      if (auto it = match.find(m.id); it != match.end()) j["match_index"] = it->second;
      // From that member's last report to us (leader only): how many nodes it does not hear.
      if (long n = core_->sightings().unheard_count(m.id); n >= 0) j["unheard_nodes"] = n;
      members.push_back(j);
    }
    return {{"member", cfg_.name}, {"role", consensus::to_string(r.role())},
            {"term", r.term()}, {"leader", r.leader()}, {"active", core_->acting()},
            {"quorum", !r.leader().empty()}, {"commit_index", r.commit_index()},
            {"ms_since_quorum_contact", r.ticks_since_quorum_contact() * tick_ms()}, {"members", members}};
  }

  // Outbox
  bool send_command(const NodeId& node, const wire::Command& c) override {
    wire::Envelope e;
    *e.mutable_command() = c;
    return hub_->send(node, e);
  }
  void send_role(const NodeId& node, const wire::RoleAssignment& r) override {
    wire::Envelope e;
    *e.mutable_role() = r;
    (void)hub_->send(node, e);  // a node without a session learns its roles when it connects
  }
  void consult_arbiter(const NodeId& node) override {
    if (auto* a = current_arbiter()) return a->consult(node);
    boost::asio::post(io_, [this, node] { core_->on_arbiter_answer(node, false, false, -1, now()); });
  }
  void arbiter_heard(const NodeId& node) override {
    if (auto* a = current_arbiter()) a->heard(node);
  }
  bool grant_vouching() override {
    auto* a = current_arbiter();
    return a && a->grant_vouching(core_->state().term);
  }

  // The arbiter whose witness counts: the voting arbiter of the current membership (a
  // standby arbiter neither vouches nor is consulted), else a one-voter cluster's
  // witness-only `arbiter` (never a member, so never promoted or replaced).
  ArbiterLink* current_arbiter() const {
    for (const auto& [id, role] : node_->raft().membership().voters)
      if (role == consensus::MemberRole::Arbiter)
        if (auto it = arbiters_.find(id); it != arbiters_.end()) return it->second.get();
    if (auto it = arbiters_.find(""); it != arbiters_.end()) return it->second.get();
    return nullptr;
  }

  // The active controller replaces a silent voting arbiter with a caught-up standby
  // and re-adds the old one as standby when it is back (consensus/arbiter_replacement.h).
  void replace_arbiter_if_needed() {
    if (!core_->acting()) return;
    const auto links = node_->peer_links();
    std::vector<PeerView> peers;
    for (const auto& m : cfg_.cluster.members) {
      auto it = links.find(m.id);
      peers.push_back({m.id, m.role, it != links.end() && it->second});
    }
    const auto change = next_arbiter_step(node_->raft(), peers,
                                          static_cast<uint64_t>(cfg_.cluster.replace_arbiter_after_ms / tick_ms()));
    if (!change) return;
    auto idx = node_->change_membership(*change);
    if (!idx.ok()) return;  // one at a time: retried on the next tick
    spdlog::warn("membership: {} (entry {})", consensus::describe(*change), *idx);
    history_->record({.kind = "cluster:membership", .outcome = "proposed", .detail = consensus::describe(*change)});
  }

 private:
  // The running node's tick, not a default: what the cluster section configured.
  int64_t tick_ms() const { return node_->options().tick_ms; }
  // The replicated certificate denylist (poolhactl cert revoke).
  bool revoked(const pki::Identity& id) const { return core_->state().revoked.count(id.serial) > 0; }
  // A revocation that just applied also ends the sessions that certificate holds.
  void close_revoked_sessions() {
    const size_t n = core_->state().revoked.size();
    if (n == revocations_seen_) return;
    revocations_seen_ = n;
    const size_t closed = hub_->close_revoked() + node_->close_revoked();
    if (closed) spdlog::warn("closed {} session(s) of revoked certificates", closed);
  }
  size_t revocations_seen_ = 0;

  static TimeMs steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  static int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  // The member's own monotonic clock; the core maps it to cluster time.
  TimeMs now() const { return steady_ms(); }

  static int minute_of_day() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm.tm_hour * 60 + tm.tm_min;
  }

  void schedule_timer() {
    // The regular period, or sooner when a transition waits for a deadline (the
    // isolation deadline of a lost primary): that wait is on the outage's path.
    auto wait = std::chrono::milliseconds(kTimerPeriod);
    if (TimeMs due = core_->next_deadline(now()); due > 0)
      wait = std::clamp(std::chrono::milliseconds(due - now()), std::chrono::milliseconds(1), wait);
    timer_.expires_after(wait);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      // A process frozen until now must learn it no longer leads before it grants,
      // renews the VIP or sends anything (the node counts ticks from elapsed time).
      leadership_changed();
      core_->on_timer(now(), minute_of_day());
      replace_arbiter_if_needed();
      reporter_->tick(now(), [this] { return core_->unheard_nodes(now(), report_never_heard_after_); });
      close_revoked_sessions();
      if (vip_) vip_->set_active(core_->acting());
      if (feed_) {
        feed_->tick(now(), [this](const std::string& session) { return routes_->session_valid(session, wall_ms(), now()); });
        routes_->end_idle_sessions(wall_ms());
      }
      schedule_timer();
    });
  }

  int fatal(const std::string& why) {
    spdlog::critical("cannot start: {}", why);
    return 1;
  }

  ControllerConfig cfg_;
  boost::asio::io_context io_;
  boost::asio::steady_timer timer_;
  boost::asio::signal_set signals_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<RaftLog> raft_log_;
  std::unique_ptr<member::ConsensusNode> node_;
  std::unique_ptr<SightingReporter> reporter_;
  // Nodes never heard since start count as unheard only after this (agents reconnect
  // with a backoff of up to 1 s after a member restarts).
  static constexpr TimeMs kNeverHeardGraceMs = 3000;
  TimeMs report_never_heard_after_ = 0;
  Leadership leadership_{cfg_.name};
  std::unique_ptr<EventHistory> history_;
  std::unique_ptr<ControllerCore> core_;
  std::unique_ptr<AgentHub> hub_;
  std::map<std::string, std::unique_ptr<ArbiterLink>> arbiters_;  // by member id ("": the witness-only one)
  host::LinuxHostOps host_ops_;  // the controller VIP's OS seam, as an agent's
  std::unique_ptr<ControllerVip> vip_;
  std::unique_ptr<ApiRoutes> routes_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<StaticAssets> assets_;
  std::unique_ptr<LiveFeed> feed_;
  std::shared_ptr<ApiServer> api_;
  std::unique_ptr<EnrolmentService> enrol_;
};

const char* kUsage =
    "usage: poolha-controller run --config FILE      start the controller\n"
    "       poolha-controller check-config --config FILE   validate a config file\n"
    "       poolha-controller --version | --help\n"
    "Configuration reference: docs/controller-config.md\n";

}  // namespace
}  // namespace poolha::controller

int main(int argc, char** argv) {
  ::umask(077);  // its state (log, history, tokens, the VIP lease) is the controller's alone
  using namespace poolha::controller;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    std::cout << "poolha-controller " << kVersion << "\n";
    return 0;
  }
  if ((args[0] != "run" && args[0] != "check-config") || args.size() != 3 || args[1] != "--config") {
    std::cerr << kUsage;
    return 2;
  }
  auto cfg = load_controller_config(args[2]);
  if (!cfg.ok()) {
    std::cerr << "poolha-controller: " << cfg.error() << "\n";
    return 2;
  }
  if (args[0] == "check-config") {
    std::cout << "ok\n";
    return 0;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("controller"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(cfg->log_level));
  ControllerDaemon d(std::move(*cfg));
  return d.run();
}

#include "member/consensus_node.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "consensus/ready_step.h"
#include "member/raft_codec.h"

namespace poolha::member {

namespace {

using boost::system::error_code;
using consensus::RaftRole;
using Clock = std::chrono::steady_clock;

constexpr wire::Millis kIdleTimeout{3000};     // Raft heartbeats and our keepalives are far more frequent
constexpr wire::Millis kConnectTimeout{1000};  // TCP + TLS + Hello on a LAN
constexpr wire::Millis kKeepalive{500};        // outgoing sessions carry nothing back without it
constexpr wire::Millis kMaxBackoff{1000};

bool member_role(pki::Role r) { return r == pki::Role::Controller || r == pki::Role::Arbiter; }

pki::Role certificate_role(consensus::MemberRole r) {
  return r == consensus::MemberRole::Arbiter ? pki::Role::Arbiter : pki::Role::Controller;
}

}  // namespace

std::string ConsensusNode::stranger(const pki::Identity& who) const {
  if (cb_.revoked && cb_.revoked(who))
    return "the certificate of " + who.common_name + " (serial " + who.serial + ") is revoked";
  for (const MemberAddress& m : opts_.members)
    if (m.id == who.common_name) {
      if (certificate_role(m.role) == who.role) return "";
      return "its certificate has role " + pki::to_string(who.role) + " but cluster.members lists " + m.id + " as " +
             consensus::to_string(m.role);
    }
  return "'" + who.common_name + "' is not in this member's cluster.members list (add it there on every member first)";
}

Status check_sender(const std::string& cert_cn, const consensus::MemberId& from) {
  if (cert_cn == from) return Status::Ok();
  return Status::Error("a session authenticated as '" + cert_cn + "' sent a raft message claiming to be from '" + from +
                       "'");
}

ConsensusNode::ConsensusNode(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> server_ctx,
                             std::shared_ptr<wire::asio::ssl::context> client_ctx, store::SqliteDb& db,
                             ConsensusNodeOptions opts, Callbacks cb)
    : io_(io), server_ctx_(std::move(server_ctx)), client_ctx_(std::move(client_ctx)), db_(db), opts_(std::move(opts)),
      cb_(std::move(cb)), tick_timer_(io), keepalive_timer_(io) {}

ConsensusNode::~ConsensusNode() { stop(); }

// ---------------------------------------------------------------- life

Status ConsensusNode::start() {
  if (raft_) return Status::Error("member " + opts_.id + ": already started");
  auto storage = store::RaftStorage::open(db_);
  if (!storage.ok()) return storage.status();
  storage_ = std::move(*storage);
  auto rec = storage_->recover(opts_.initial);
  if (!rec.ok()) return rec.status();
  // The application starts from the stored snapshot; the first batch re-applies the
  // committed entries after it.
  if (rec->snapshot && cb_.restore) cb_.restore(*rec->snapshot);

  consensus::RaftOptions ro;
  ro.id = opts_.id;
  ro.election_ticks = opts_.election_ticks;
  ro.heartbeat_ticks = opts_.heartbeat_ticks;
  ro.seed = opts_.seed != 0 ? opts_.seed
                            : static_cast<uint64_t>(Clock::now().time_since_epoch().count()) ^
                                  static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  raft_ = std::make_unique<consensus::Raft>(ro, std::move(*rec));

  if (opts_.listen) {
    if (auto st = listen(); !st.ok()) {
      raft_.reset();
      storage_.reset();
      return st;
    }
  }

  running_ = true;
  epoch_ = Clock::now();
  ticks_done_ = 0;
  observed_ = {raft_->role(), raft_->term(), raft_->leader(), false};
  for (const MemberAddress& m : opts_.members)
    if (m.id != opts_.id) peers_[m.id].endpoint = m.endpoint;
  for (const auto& [id, peer] : peers_) dial(id);
  arm_tick();
  arm_keepalive();
  spdlog::info("member {} started on {}: term {}, log up to {}, committed {}, snapshot at {}", opts_.id,
               opts_.listen ? opts_.listen->str() : "no member port", raft_->term(), raft_->last_index(),
               raft_->commit_index(), raft_->snapshot().meta.index);
  process_ready();
  return Status::Ok();
}

Status ConsensusNode::listen() {
  wire::Listener::Options lo;
  lo.roles = {pki::Role::Controller, pki::Role::Arbiter};  // agents and operators never speak Raft
  lo.member_id = opts_.id;
  lo.idle_timeout = kIdleTimeout;
  lo.max_frame = kMemberMaxFrameBytes;
  lo.gate = wire::kMemberPortGate;
  lo.on_refusals = [id = opts_.id](const std::string& line) { spdlog::warn("member {} port: {}", id, line); };
  listener_ = std::make_shared<wire::Listener>(io_, server_ctx_, lo);
  listener_->on_hello([w = token(), this](const std::shared_ptr<wire::Session>& s, const wire::Hello&) {
    return w.lock() ? on_hello(s) : std::string("member is stopped");
  });
  if (auto st = listener_->listen(opts_.listen->host, opts_.listen->port); !st.ok()) {
    listener_.reset();
    return Status::Error("member " + opts_.id + " port: " + st.error());
  }
  return Status::Ok();
}

void ConsensusNode::stop() {
  if (!running_) return;
  running_ = false;
  tick_timer_.cancel();
  keepalive_timer_.cancel();
  if (listener_) listener_->stop();
  for (auto& [id, peer] : peers_) {
    if (peer.redial) peer.redial->cancel();
    if (auto s = std::move(peer.session)) s->close("member " + opts_.id + " stopping");
  }
  auto incoming = std::move(incoming_);
  incoming_.clear();
  for (const auto& s : incoming) s->close("member " + opts_.id + " stopping");
  spdlog::info("member {} stopped in term {}", opts_.id, raft_ ? raft_->term() : 0);
}

// ---------------------------------------------------------------- clock

void ConsensusNode::catch_up() const {
  if (!running_) return;
  const auto elapsed = std::chrono::duration_cast<wire::Millis>(Clock::now() - epoch_).count();
  const uint64_t due = static_cast<uint64_t>(elapsed) / static_cast<uint64_t>(opts_.tick_ms);
  if (due <= ticks_done_) return;
  // Ticks count elapsed time, not timer wake-ups, so a process that was frozen sees its
  // lease (and its leader's) expire before it acts.
  raft_->catch_up(due - ticks_done_);
  ticks_done_ = due;
  if (raft_->has_ready()) schedule_ready();
}

void ConsensusNode::arm_tick() {
  tick_timer_.expires_at(epoch_ + wire::Millis(static_cast<int64_t>(ticks_done_ + 1) * opts_.tick_ms));
  tick_timer_.async_wait([w = token(), this](error_code ec) {
    if (!w.lock() || ec || !running_) return;
    on_tick();
  });
}

void ConsensusNode::on_tick() {
  catch_up();
  process_ready();  // also notices a lease that ran out with no batch to process
  arm_tick();
}

void ConsensusNode::arm_keepalive() {
  keepalive_timer_.expires_after(kKeepalive);
  keepalive_timer_.async_wait([w = token(), this](error_code ec) {
    if (!w.lock() || ec || !running_) return;
    wire::Envelope e;
    e.mutable_heartbeat()->set_seq(++keepalive_seq_);
    for (auto& [id, peer] : peers_)
      if (auto s = peer.session) s->send(e);
    arm_keepalive();
  });
}

// ---------------------------------------------------------------- batches

void ConsensusNode::schedule_ready() const {
  if (ready_posted_ || !running_) return;
  ready_posted_ = true;
  // A ConsensusNode is never a const object: only its queries are const for callers.
  wire::asio::post(io_, [w = token(), self = const_cast<ConsensusNode*>(this)] {
    if (!w.lock()) return;
    self->ready_posted_ = false;
    self->process_ready();
  });
}

void ConsensusNode::process_ready() {
  // Re-entered from a callback (a proposal, say): the loop below picks the work up.
  if (!running_ || in_ready_) return;
  in_ready_ = true;
  catch_up();
  Clock::time_point saved;
  size_t entries = 0;
  const consensus::ReadySteps steps{
      [&](const consensus::Ready& r) {
        entries = r.entries.size();
        auto st = storage_->save(r);
        saved = Clock::now();
        return st;
      },
      [this](const consensus::Message& m) { send(m); },
      [this](const consensus::Snapshot& s) {
        if (cb_.restore) cb_.restore(s);
      },
      [this](const consensus::Entry& e) {
        if (cb_.apply) cb_.apply(e);
      },
  };
  while (running_) {
    const auto started = Clock::now();
    auto ran = consensus::run_ready_step(*raft_, steps);
    if (!ran.ok()) {
      // Sending or applying this batch now would acknowledge what is not on disk. The
      // only safe way on is a restart from what the disk does hold.
      spdlog::critical("member {}: {}; exiting so this member does not acknowledge unsaved state", opts_.id,
                       ran.error());
      spdlog::shutdown();
      std::exit(1);
    }
    if (!*ran) break;
    warn_if_slow(std::chrono::duration_cast<wire::Millis>(saved - started),
                 std::chrono::duration_cast<wire::Millis>(Clock::now() - saved), entries);
  }
  in_ready_ = false;
  auto compactions = std::move(deferred_compactions_);
  deferred_compactions_.clear();
  for (auto& [index, data] : compactions) (void)do_compact(index, std::move(data));
  notice_changes();
}

void ConsensusNode::warn_if_slow(wire::Millis save, wire::Millis apply, size_t entries) {
  // Half an election timeout: past it, followers start to doubt a leader held up this way.
  const wire::Millis limit{static_cast<int64_t>(opts_.election_ticks) * opts_.tick_ms / 2};
  if (save + apply < limit) return;
  const auto now_ms = std::chrono::duration_cast<wire::Millis>(Clock::now().time_since_epoch()).count();
  const auto suppressed = slow_batch_log_.allow(now_ms);
  if (!suppressed) return;
  spdlog::warn("member {}: a batch held the event loop {} ms (writing {} entries to disk {} ms, applying {} ms; "
               "{} more such batches since the last warning): a slow disk costs the leadership past {} ms",
               opts_.id, (save + apply).count(), entries, save.count(), apply.count(), *suppressed,
               opts_.election_ticks * opts_.tick_ms);
}

void ConsensusNode::notice_changes() {
  if (!running_) return;
  const Observed now{raft_->role(), raft_->term(), raft_->leader(), raft_->lease_valid()};
  if (now == observed_) return;
  const auto& [old_role, old_term, old_leader, old_lease] = observed_;
  if (raft_->is_leader() && old_role != RaftRole::Leader) {
    spdlog::info("member {} leads term {}", opts_.id, raft_->term());
  } else if (old_role == RaftRole::Leader && !raft_->is_leader()) {
    spdlog::info("member {} no longer leads (term {}, leader {})", opts_.id, raft_->term(),
                 raft_->leader().empty() ? "unknown" : raft_->leader());
  } else if (old_leader != raft_->leader()) {
    spdlog::info("member {}: leader is {} (term {})", opts_.id, raft_->leader().empty() ? "unknown" : raft_->leader(),
                 raft_->term());
  }
  observed_ = now;
  if (cb_.changed) cb_.changed();
}

void ConsensusNode::send(const consensus::Message& m) {
  auto s = open_session(m.to);
  if (!s) return;  // lost, as Raft allows
  auto pieces = split_to_fit(m, kMemberMaxFrameBytes);
  if (!pieces.ok()) {
    spdlog::warn("member {}: cannot send {} to {}: {}", opts_.id, consensus::to_string(m.type), m.to, pieces.error());
    return;
  }
  for (const consensus::Message& p : *pieces) {
    wire::Envelope e;
    *e.mutable_raft() = to_proto(p);
    s->send(e);
  }
}

std::shared_ptr<wire::Session> ConsensusNode::open_session(const consensus::MemberId& to) const {
  auto it = peers_.find(to);
  if (it == peers_.end()) return nullptr;  // not in opts.members: no address (list every member)
  auto s = it->second.session;             // a copy: a failed send closes the session and clears the peer's
  return s && s->is_open() ? s : nullptr;
}

bool ConsensusNode::send_to(const consensus::MemberId& to, const wire::Envelope& e) {
  if (!running_) return false;
  auto s = open_session(to);
  if (!s) return false;
  s->send(e);
  return true;
}

// ---------------------------------------------------------------- commands

Expected<uint64_t> ConsensusNode::propose(std::string data) {
  if (!running_) return Expected<uint64_t>::Error("member " + opts_.id + " is stopped");
  catch_up();  // a leader frozen until now must find out its lease ran out
  // A leader that was paused keeps its role until its quorum answers (Raft::catch_up) but
  // not its lease; nothing is taken from it meanwhile, as the callers act on the lease too.
  if (raft_->is_leader() && !raft_->lease_valid())
    return Expected<uint64_t>::Error("member " + opts_.id + " leads but its lease ran out (it was paused); retry");
  auto idx = raft_->propose(std::move(data));
  if (idx.ok()) schedule_ready();
  return idx;
}

Status ConsensusNode::compact(uint64_t index, std::string data) {
  if (!running_) return Status::Error("member " + opts_.id + " is stopped");
  if (in_ready_) {
    // Between ready() and advance() the batch's entries must stay where they are.
    deferred_compactions_.emplace_back(index, std::move(data));
    return Status::Ok();
  }
  return do_compact(index, std::move(data));
}

Status ConsensusNode::do_compact(uint64_t index, std::string data) {
  if (index > raft_->applied())
    return Status::Error("compaction at " + std::to_string(index) + ": only entries up to " +
                         std::to_string(raft_->applied()) + " are applied");
  raft_->compact(index, std::move(data));
  // Not newer than the stored snapshot: the storage keeps what it has.
  if (auto st = storage_->save_compaction(raft_->snapshot()); !st.ok()) {
    // Safe to carry on: the disk still holds the entries, the next compaction retries.
    spdlog::error("member {}: {}", opts_.id, st.error());
    return st;
  }
  return Status::Ok();
}

Status ConsensusNode::transfer_leadership(const consensus::MemberId& to) {
  if (!running_) return Status::Error("member " + opts_.id + " is stopped");
  catch_up();
  auto st = raft_->transfer_leadership(to);
  if (st.ok()) schedule_ready();
  return st;
}

Expected<uint64_t> ConsensusNode::change_membership(const consensus::MembershipChange& c) {
  if (!running_) return Expected<uint64_t>::Error("member " + opts_.id + " is stopped");
  catch_up();
  auto idx = raft_->propose_membership(c);
  if (idx.ok()) schedule_ready();
  return idx;
}

// ---------------------------------------------------------------- queries

const consensus::Raft& ConsensusNode::caught_up() const {
  if (running_) catch_up();
  return *raft_;
}

bool ConsensusNode::leads_with_lease() const { return running_ && caught_up().lease_valid(); }

size_t ConsensusNode::close_revoked() {
  if (!cb_.revoked) return 0;
  std::vector<std::shared_ptr<wire::Session>> gone;
  for (const auto& [id, peer] : peers_)
    if (peer.session && cb_.revoked(peer.session->peer())) gone.push_back(peer.session);
  for (const auto& s : incoming_)
    if (cb_.revoked(s->peer())) gone.push_back(s);
  for (const auto& s : gone) s->close("certificate revoked");
  return gone.size();
}

std::map<consensus::MemberId, bool> ConsensusNode::peer_links() const {
  std::map<consensus::MemberId, bool> out;
  for (const auto& [id, peer] : peers_) out[id] = peer.session && peer.session->is_open();
  return out;
}

uint16_t ConsensusNode::listen_port() const { return listener_ ? listener_->port() : 0; }

// ---------------------------------------------------------------- transport

void ConsensusNode::dial(const consensus::MemberId& id) {
  wire::Hello hello;
  hello.set_protocol_version(wire::kProtocolVersion);
  hello.set_node_id(opts_.id);
  // Either member role may answer; on_dialled checks which one did.
  wire::connect(io_, client_ctx_, peers_.at(id).endpoint, &hello, wire::PeerCheck(std::nullopt, id), kConnectTimeout,
                kIdleTimeout,
                [w = token(), this, id](Expected<std::shared_ptr<wire::Session>> s, const wire::HelloAck&) {
                  if (!w.lock() || !running_) {
                    if (s.ok()) (*s)->close("member stopped");
                    return;
                  }
                  on_dialled(id, std::move(s));
                });
}

void ConsensusNode::on_dialled(const consensus::MemberId& id, Expected<std::shared_ptr<wire::Session>> s) {
  Peer& peer = peers_.at(id);
  if (s.ok()) {
    // The address must lead to that member: anything else is a configuration error
    // that would send its messages into the void.
    const pki::Identity& who = (*s)->peer();
    std::string wrong;
    if (!member_role(who.role)) wrong = "its certificate has role " + pki::to_string(who.role);
    else if (who.common_name != id) wrong = "its certificate names '" + who.common_name + "'";
    else wrong = stranger(who);
    if (!wrong.empty()) {
      (*s)->close(wrong);
      s = Expected<std::shared_ptr<wire::Session>>::Error(peer.endpoint.str() + " is not member " + id + ": " + wrong);
    }
  }
  if (!s.ok()) {
    if (!peer.down_logged) spdlog::warn("member {}: no link to {}: {}; retrying", opts_.id, id, s.error());
    peer.down_logged = true;
    return schedule_redial(id);
  }
  auto session = *s;
  peer.session = session;
  peer.backoff = wire::Millis(100);
  peer.down_logged = false;
  spdlog::info("member {}: link to {} ({}) up", opts_.id, id, peer.endpoint.str());
  // The session owns its handlers, so they hold it weakly (a strong capture is a cycle).
  std::weak_ptr<wire::Session> weak = session;
  wire::Session* raw = session.get();
  session->set_max_frame(kMemberMaxFrameBytes);
  session->start(
      [w = token(), this, weak](wire::Envelope&& e) {
        if (!w.lock()) return;
        if (auto live = weak.lock()) on_envelope(live, /*incoming=*/false, std::move(e));
      },
      [w = token(), this, id, raw](const std::string& why) {
        if (!w.lock() || !running_) return;
        Peer& p = peers_.at(id);
        if (p.session.get() != raw) return;
        p.session.reset();
        spdlog::warn("member {}: link to {} down: {}", opts_.id, id, why);
        schedule_redial(id);
      });
}

void ConsensusNode::schedule_redial(const consensus::MemberId& id) {
  Peer& peer = peers_.at(id);
  if (!peer.redial) peer.redial = std::make_unique<wire::asio::steady_timer>(io_);
  peer.redial->expires_after(peer.backoff);
  peer.backoff = std::min(peer.backoff * 2, kMaxBackoff);
  peer.redial->async_wait([w = token(), this, id](error_code ec) {
    if (!w.lock() || ec || !running_) return;
    dial(id);
  });
}

std::string ConsensusNode::on_hello(const std::shared_ptr<wire::Session>& s) {
  if (!running_) return "member " + opts_.id + " is stopped";
  // The listener admitted only member roles and checked that the Hello names the
  // certificate. Only members we list, with the role we list, may speak: a retired
  // member's key, or an arbiter's key presenting itself as a controller, is refused.
  if (std::string why = stranger(s->peer()); !why.empty()) {
    spdlog::warn("member {}: refused {} from {}: {}", opts_.id, s->peer().common_name, s->remote(), why);
    return "refused by member " + opts_.id + ": " + why;
  }
  incoming_.insert(s);
  const std::string who = s->peer().common_name + " (" + s->remote() + ")";
  spdlog::info("member {}: {} connected", opts_.id, who);
  std::weak_ptr<wire::Session> weak = s;
  wire::Session* raw = s.get();
  s->start(
      [w = token(), this, weak](wire::Envelope&& e) {
        if (!w.lock()) return;
        if (auto live = weak.lock()) on_envelope(live, /*incoming=*/true, std::move(e));
      },
      [w = token(), this, who, raw](const std::string& why) {
        if (!w.lock() || !running_) return;
        auto it = std::find_if(incoming_.begin(), incoming_.end(), [raw](const auto& p) { return p.get() == raw; });
        if (it == incoming_.end()) return;
        spdlog::info("member {}: {} disconnected: {}", opts_.id, who, why);
        // Safe while the session is closing: whoever closes it holds a reference.
        incoming_.erase(it);
      });
  return "";
}

void ConsensusNode::on_envelope(const std::shared_ptr<wire::Session>& s, bool incoming, wire::Envelope&& e) {
  if (!running_) return;
  if (e.has_heartbeat()) {
    // A dialler's keepalive: echoed so its session hears something too.
    if (incoming) s->send(e);
    return;
  }
  if (!e.has_raft() && cb_.message && e.body_case() != wire::Envelope::BODY_NOT_SET) {
    // Application messages only from members we list (a member being added is heard
    // for Raft, but has nothing to tell the application yet).
    if (peers_.count(s->peer().common_name)) cb_.message(s->peer().common_name, e);
    return;
  }
  if (!e.has_raft()) {
    spdlog::debug("member {}: ignoring {} from {}", opts_.id, wire::body_name(e), s->peer().common_name);
    return;
  }
  if (auto st = check_sender(s->peer().common_name, e.raft().from()); !st.ok()) {
    spdlog::warn("member {}: {} from {}; closing that session", opts_.id, st.error(), s->remote());
    s->close(st.error());
    return;
  }
  auto m = from_proto(e.raft());
  if (!m.ok()) {
    spdlog::warn("member {}: dropped a raft message from {}: {}", opts_.id, s->peer().common_name, m.error());
    return;
  }
  catch_up();  // the core must judge this message at the current time, not at the last timer wake-up
  // And the application must hear of a lost lease before this message's entries apply:
  // a leader woken from a freeze must not carry them out as if it still acted.
  notice_changes();
  raft_->step(*m);
  process_ready();
}

}  // namespace poolha::member

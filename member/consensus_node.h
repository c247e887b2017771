// The thin Asio driver around consensus::Raft for one control-plane member (a
// controller or the arbiter): it gives the pure core a clock (ticks counted from
// elapsed steady time), a disk (store::RaftStorage, fsynced before anything leaves) and a
// network (mutual-TLS sessions on the member port), and hands committed entries to
// the application. It follows the Ready contract in consensus/raft_types.h:
// persist, send, restore, apply, advance.
//
// Transport: every member dials every other member it knows (one outgoing session
// each, redialled with backoff 100 ms .. 1 s) and sends its messages only over that
// session; it receives on the sessions others dialled. A message is lost when the
// session is down, which Raft tolerates. Only controller and arbiter certificates
// may connect, and a Raft message is accepted only from the session whose
// certificate names its sender.
//
// Threading: everything runs on the io_context's one thread; callbacks too.
// Callbacks may call propose(), transfer_leadership(), change_membership() and
// compact() (work they cause is picked up before the current batch returns, or
// right after it). Not copyable; destroying it stops it.
#pragma once
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp misses it under GCC 12

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/log_throttle.h"
#include "common/status.h"
#include "consensus/raft.h"
#include "store/raft_storage.h"
#include "store/sqlite_db.h"
#include "wire/session.h"

namespace poolha::member {

// Frames on member links may be this large, so that a snapshot of the engine state
// travels in one InstallSnapshot (2.1 MiB at 5,000 nodes and 1,000 rules, measured by
// engine_bench). Kept under the session's 8 MiB send-queue cap, which would otherwise
// close the link on the first large snapshot.
inline constexpr uint32_t kMemberMaxFrameBytes = wire::kMaxQueuedBytes - (64u << 10);

struct MemberAddress {
  consensus::MemberId id;
  wire::Endpoint endpoint;
  // The certificate role this member must present (controller or arbiter).
  consensus::MemberRole role = consensus::MemberRole::Controller;
};

struct ConsensusNodeOptions {
  consensus::MemberId id;              // this member; equals its certificate's CN
  std::optional<wire::Endpoint> listen;  // the member port; none for a sole controller
  // Every member that may exist, self included: the ones we dial, and the only ones
  // whose connections are accepted (with the role listed here; issue 9 §3).
  std::vector<MemberAddress> members;
  consensus::Membership initial;       // used only when the storage is empty (bootstrap)
  int tick_ms = 50;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  uint64_t seed = 0;                   // 0: derived from the clock (production); tests pass one
};

// Whether a Raft message naming `from` may be accepted from a session whose verified
// certificate has CN `cert_cn`: the transport, not the message, says who sent it
// (consensus/raft.h: the network never forges). Error says who claimed to be whom.
Status check_sender(const std::string& cert_cn, const consensus::MemberId& from);

class ConsensusNode {
 public:
  struct Callbacks {
    // Replace the application's state (at start from disk, or sent by the leader).
    std::function<void(const consensus::Snapshot&)> restore;
    // One committed entry, in order, all kinds (the application ignores non-Command).
    // After a restart, entries after the stored snapshot are applied again.
    std::function<void(const consensus::Entry&)> apply;
    // Role, term, leader or lease may have changed (called after a batch or tick
    // where any of them did).
    std::function<void()> changed;
    // Any other message a listed member sent us over its link (e.g. MemberSightings);
    // `from` is its certificate's CN. Optional.
    std::function<void(const std::string& from, const wire::Envelope&)> message;
    // The cluster's certificate denylist: a member whose certificate is revoked is
    // refused on both sides of a link. Optional.
    std::function<bool(const pki::Identity&)> revoked;
  };

  ConsensusNode(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> server_ctx,
                std::shared_ptr<wire::asio::ssl::context> client_ctx, store::SqliteDb& db,
                ConsensusNodeOptions opts, Callbacks cb);
  ~ConsensusNode();
  ConsensusNode(const ConsensusNode&) = delete;
  ConsensusNode& operator=(const ConsensusNode&) = delete;

  // Opens the storage, recovers (restore() with the stored snapshot, if any), builds
  // the core, listens, dials the peers, starts the clock and processes the first
  // batch (which applies the committed entries again). Error names what failed;
  // nothing is left running then.
  Status start();
  // Closes links to and from members whose certificate is now revoked; returns how many.
  size_t close_revoked();
  // Closes every session and timer; no callback runs afterwards. raft() stays
  // readable. Idempotent. A stopped node is not started again: make a new one, as a
  // restarted process would.
  void stop();

  // Leader only (the core's refusal otherwise, naming the leader). The batch it
  // causes is processed from the io_context right after the caller returns.
  Expected<uint64_t> propose(std::string data);
  const ConsensusNodeOptions& options() const { return opts_; }
  // The application's state `data` is the result of applying every entry up to
  // `index`: the core and the disk drop those entries. Called from inside a
  // callback, it runs right after the current batch. REQUIRES: index was applied.
  Status compact(uint64_t index, std::string data);
  Status transfer_leadership(const consensus::MemberId& to);
  Expected<uint64_t> change_membership(const consensus::MembershipChange& c);

  // An application message to member `to` over our link to it. False when there is no such member or its link is down: lost,
  // like a Raft message, so senders repeat what matters.
  bool send_to(const consensus::MemberId& to, const wire::Envelope& e);

  // REQUIRES: start() succeeded. As of the last event processed; for anything that
  // depends on time, ask caught_up() or leads_with_lease().
  const consensus::Raft& raft() const { return *raft_; }
  // The core after it has counted every tick that elapsed until now (see below).
  const consensus::Raft& caught_up() const;
  // Leader with a valid lease, counting every tick that elapsed until now: a process
  // that was frozen (SIGSTOP, VM pause) answers false at once on waking. (The
  // elapsed ticks are delivered to the core here, which is why this cannot be a pure
  // read even though it is const.)
  bool leads_with_lease() const;
  // For each other listed member: is our outgoing session to it up?
  std::map<consensus::MemberId, bool> peer_links() const;
  // The port actually listened on (useful when opts.listen.port is 0).
  uint16_t listen_port() const;

 private:
  Status listen();  // opens the member port (opts_.listen)
  // Why a peer with this verified identity may not speak to us; empty if it is a
  // member we list with the role we list.
  std::string stranger(const pki::Identity& who) const;

  struct Peer {
    wire::Endpoint endpoint;
    std::shared_ptr<wire::Session> session;  // outgoing; null while down
    std::unique_ptr<wire::asio::steady_timer> redial;
    wire::Millis backoff{100};
    bool down_logged = false;
  };
  // What changed() watches.
  using Observed = std::tuple<consensus::RaftRole, consensus::Term, consensus::MemberId, bool>;

  // Clock. Const because leads_with_lease() must deliver elapsed ticks too.
  void catch_up() const;
  void arm_tick();
  void on_tick();
  void arm_keepalive();

  // Batches.
  void process_ready();
  void schedule_ready() const;
  void notice_changes();
  // Says so when the disk (or applying) held the event loop long enough to cost the
  // leadership; at most once every 10 s.
  void warn_if_slow(wire::Millis save, wire::Millis apply, size_t entries);
  void send(const consensus::Message& m);
  // Our outgoing session to `to` if it is up; null otherwise (unlisted, down, or self).
  std::shared_ptr<wire::Session> open_session(const consensus::MemberId& to) const;
  Status do_compact(uint64_t index, std::string data);

  // Transport.
  void dial(const consensus::MemberId& id);
  void on_dialled(const consensus::MemberId& id, Expected<std::shared_ptr<wire::Session>> s);
  void schedule_redial(const consensus::MemberId& id);
  std::string on_hello(const std::shared_ptr<wire::Session>& s);
  void on_envelope(const std::shared_ptr<wire::Session>& s, bool incoming, wire::Envelope&& e);

  // A weak handle every asynchronous handler checks first: handlers can outlive us.
  std::weak_ptr<int> token() const { return alive_; }

  wire::asio::io_context& io_;
  std::shared_ptr<wire::asio::ssl::context> server_ctx_;
  std::shared_ptr<wire::asio::ssl::context> client_ctx_;
  store::SqliteDb& db_;
  ConsensusNodeOptions opts_;
  Callbacks cb_;

  std::unique_ptr<store::RaftStorage> storage_;
  std::unique_ptr<consensus::Raft> raft_;
  std::shared_ptr<wire::Listener> listener_;
  std::map<consensus::MemberId, Peer> peers_;
  std::set<std::shared_ptr<wire::Session>> incoming_;
  wire::asio::steady_timer tick_timer_;
  wire::asio::steady_timer keepalive_timer_;

  std::chrono::steady_clock::time_point epoch_;
  mutable uint64_t ticks_done_ = 0;  // ticks delivered to the core since epoch_
  bool running_ = false;
  bool in_ready_ = false;
  mutable bool ready_posted_ = false;
  std::vector<std::pair<uint64_t, std::string>> deferred_compactions_;
  Observed observed_;
  uint64_t keepalive_seq_ = 0;
  LogThrottle slow_batch_log_{10'000};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace poolha::member

// The arbiter daemon: a thin Asio shell around Witness. One Listener takes agents and
// controllers (mutual TLS, idle timeout 3 s); each message is handed to the witness
// with the steady clock's time and the witness's verdict is sent back.
//
// Agents:      Heartbeat -> recorded; answered with Heartbeat{seq} unless fenced.
// Controllers: Heartbeat -> Heartbeat{seq} (proof the arbiter is reachable);
//              ArbiterQuery -> ArbiterAnswer; ArbiterHeard -> lifts the node's fence.
// Anything else closes that session (protocol error), nothing else.
#pragma once
#include <utility>  // before Asio (see wire/session.h)

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "arbiter/config.h"
#include "arbiter/witness.h"
#include "common/log_throttle.h"
#include "wire/session.h"

namespace poolha::arbiter {

// What the arbiter does with one message: the answer to send, if any, and whether the
// session must close (and why).
struct ArbiterReply {
  std::optional<wire::Envelope> send;
  std::string close;
};

// Heartbeats go unanswered this long after start: longer than the agents' isolation
// timeout plus drift margin (800 + 150 ms by default), see Witness. Kept short: agents
// cannot reach the arbiter at all meanwhile.
inline constexpr TimeMs kQuietAfterStartMs = 1200;

class ArbiterDaemon {
 public:
  ArbiterDaemon(boost::asio::io_context& io, ArbiterConfig config);
  // Loads the TLS files and starts listening; error names the file or address.
  Status start();
  void stop();
  // Of the configured `nodes`, those this arbiter does not hear now (for its report
  // to the leader; see Witness::unheard).
  std::vector<std::string> unheard(const std::vector<std::string>& nodes) const;

  // Who may command the witness (issue 9 §3). In a cluster, only the Raft leader: its
  // consults (which fence), fence lifts, and vouching grants for its current term; a
  // standby, deposed or retired controller's are ignored. Without this (a single
  // controller) any controller certificate may.
  struct LeaderView {
    std::string leader;  // empty: none known
    uint64_t term = 0;
  };
  void follow_leader(std::function<LeaderView()> view) { leader_view_ = std::move(view); }
  // The cluster's certificate denylist: revoked agents and controllers are refused.
  // Call before start().
  void refuse_revoked(std::function<bool(const pki::Identity&)> revoked) { revoked_ = std::move(revoked); }

  // The arbiter's answer to one message from a verified peer (its certificate's role
  // and name), at the daemon's clock. No I/O: the session sends the answer, so tests
  // and the fuzzer drive exactly what the daemon runs.
  ArbiterReply handle(pki::Role role, const std::string& peer, const wire::Envelope& e);

 private:
  TimeMs now_ms() const;
  std::string on_hello(const std::shared_ptr<wire::Session>& s, const wire::Hello& hello);
  void on_agent_message(const std::shared_ptr<wire::Session>& s, wire::Envelope&& e);
  void on_controller_message(const std::shared_ptr<wire::Session>& s, wire::Envelope&& e);
  void deliver(const std::shared_ptr<wire::Session>& s, const ArbiterReply& r);
  ArbiterReply from_agent(const std::string& node, const wire::Envelope& e);
  ArbiterReply from_controller(const std::string& ctl, const wire::Envelope& e);

  boost::asio::io_context& io_;
  ArbiterConfig config_;
  std::chrono::steady_clock::time_point epoch_;
  Witness witness_;
  std::shared_ptr<wire::Listener> listener_;
  std::function<LeaderView()> leader_view_;
  std::function<bool(const pki::Identity&)> revoked_;
  LogThrottle ignored_log_{10'000};
  // Why controller `ctl` may not command the witness now ("" if it may); `term` is
  // checked when given (a grant).
  std::string not_leader(const std::string& ctl, std::optional<uint64_t> term) const;
};

}  // namespace poolha::arbiter

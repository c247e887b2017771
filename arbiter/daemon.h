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
#include <memory>

#include "arbiter/config.h"
#include "arbiter/witness.h"
#include "wire/session.h"

namespace poolha::arbiter {

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

 private:
  TimeMs now_ms() const;
  std::string on_hello(const std::shared_ptr<wire::Session>& s, const wire::Hello& hello);
  void on_agent_message(const std::shared_ptr<wire::Session>& s, wire::Envelope&& e);
  void on_controller_message(const std::shared_ptr<wire::Session>& s, wire::Envelope&& e);

  boost::asio::io_context& io_;
  ArbiterConfig config_;
  std::chrono::steady_clock::time_point epoch_;
  Witness witness_;
  std::shared_ptr<wire::Listener> listener_;
};

}  // namespace poolha::arbiter

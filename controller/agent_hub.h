// The controller's side of agent sessions: accepts agents (mutual TLS, role agent),
// keeps one session per node id (a newer session replaces an older one), echoes
// heartbeats (the agent's proof of contact), and hands everything else to the core.
#pragma once
#include <functional>
#include <map>

#include "wire/session.h"

namespace poolha::controller {

class AgentHub {
 public:
  struct Handlers {
    std::function<void(const std::string& node, const wire::NodeFacts&)> on_hello;
    std::function<void(const std::string& node)> on_closed;
    // Returns whether this member vouches for the agent now (the active controller):
    // only then is the heartbeat's seq echoed, which renews the agent's isolation lease.
    // Otherwise the echo carries seq 0: it keeps the session alive and renews nothing.
    std::function<bool(const std::string& node, const wire::Heartbeat&)> on_heartbeat;
    std::function<void(const std::string& node, const wire::CommandResult&)> on_result;
  };

  // `revoked`: the cluster's certificate denylist (may be empty).
  AgentHub(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, std::string member_id,
           Handlers h, std::function<bool(const pki::Identity&)> revoked = {});
  Status listen(const wire::Endpoint& ep);
  uint16_t port() const;  // the port listened on (useful with port 0)
  // False when the node has no open session.
  bool send(const std::string& node, const wire::Envelope& e);
  bool connected(const std::string& node) const;
  // Closes the sessions of agents whose certificate is now revoked; returns how many.
  size_t close_revoked();

 private:
  void on_message(const std::string& node, const std::shared_ptr<wire::Session>& s, wire::Envelope&& e);

  std::shared_ptr<wire::Listener> listener_;
  Handlers h_;
  std::function<bool(const pki::Identity&)> revoked_;
  std::map<std::string, std::shared_ptr<wire::Session>> sessions_;
};

}  // namespace poolha::controller

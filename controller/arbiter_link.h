// The controller's connection to the arbiter: kept open with reconnects, heartbeats
// both ways (so either side notices the other is gone), and the consult of design
// §3.1 — "do you still hear this node?" — with a time limit. An arbiter that cannot
// be asked answers "unreachable", which the engine turns into each rule's
// on_arbiter_down policy.
#pragma once
#include <functional>
#include <map>

#include "wire/session.h"

namespace poolha::controller {

class ArbiterLink {
 public:
  // (node, reachable, sees, ms_since_heard)
  using OnAnswer = std::function<void(const std::string&, bool, bool, int64_t)>;

  using OnLink = std::function<void(bool up)>;  // called when the link goes up or down

  // `arbiter_id`: the name its certificate must carry (empty: any arbiter certificate,
  // for a single controller's `arbiter:` address, which names none).
  ArbiterLink(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, wire::Endpoint ep,
              std::string arbiter_id, std::string member_id, wire::Millis timeout, OnAnswer on_answer, OnLink on_link);
  void start();
  void consult(const std::string& node);
  void heard(const std::string& node);
  // Lets the arbiter vouch for agents for wire::kVouchGrantMs (see VouchGrant).
  bool grant_vouching(uint64_t term);  // false: no session, not sent
  bool connected() const { return session_ && session_->is_open(); }

 private:
  void connect();
  void schedule_reconnect();
  void heartbeat();
  void on_message(wire::Envelope&& e);
  void expire(uint64_t query_id);

  wire::asio::io_context& io_;
  std::shared_ptr<wire::asio::ssl::context> ctx_;
  wire::Endpoint ep_;
  std::string arbiter_id_;
  std::string member_id_;
  wire::Millis timeout_;
  OnAnswer on_answer_;
  OnLink on_link_;
  std::optional<bool> link_up_;
  void set_link(bool up);
  std::shared_ptr<wire::Session> session_;
  wire::asio::steady_timer reconnect_timer_;
  wire::asio::steady_timer heartbeat_timer_;
  wire::Millis backoff_{100};
  uint64_t next_query_ = 1;
  uint64_t seq_ = 0;
  std::map<uint64_t, std::string> queries_;  // query id -> node
  bool logged_down_ = false;
};

}  // namespace poolha::controller

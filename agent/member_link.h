// One connection from the agent to one control-plane member (controller or
// arbiter), kept up for ever: connect with the agent's Hello, and after any loss
// reconnect with a backoff of 100 ms doubling to 1 s. Lives on the event loop.
#pragma once

#include <utility>  // before Asio (Boost 1.74 + GCC 12)

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "agent/config.h"
#include "wire/session.h"

namespace poolha::agent {

class MemberLink : public std::enable_shared_from_this<MemberLink> {
 public:
  using HelloSource = std::function<wire::Hello()>;
  using OnMessage = std::function<void(MemberLink&, wire::Envelope&&)>;
  using OnUp = std::function<void(MemberLink&)>;

  MemberLink(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls, MemberConfig member,
             HelloSource hello, OnMessage on_message, OnUp on_up);

  void start();
  void stop();
  // Dropped if not connected.
  void send(const wire::Envelope& e);
  // Closes the current connection (bad input from the peer); a reconnect follows.
  void drop(const std::string& why);
  // Drops the connection discarding what is still queued for the member (a reset):
  // after an isolation release, heartbeats queued earlier would report VIPs we no
  // longer hold if TCP delivered them once the network is back.
  void abort(const std::string& why);
  bool connected() const { return session_ && session_->is_open(); }
  const MemberConfig& member() const { return member_; }
  // When we SENT the newest heartbeat this member has answered: the member heard us
  // no earlier than that, so a lease counted from it can never outlast the member's
  // own "last heard" (stale echoes or other frames delivered late do not count).
  std::chrono::steady_clock::time_point last_contact() const { return last_contact_; }
  bool ever_heard() const { return ever_heard_; }

 private:
  void attempt();
  void on_connected(Expected<std::shared_ptr<wire::Session>> s, const wire::HelloAck& ack);
  void on_closed(const std::string& why);
  void retry_later();

  boost::asio::io_context& io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  MemberConfig member_;
  wire::Endpoint endpoint_;
  HelloSource hello_;
  OnMessage on_message_;
  OnUp on_up_;
  std::shared_ptr<wire::Session> session_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_{100};
  std::chrono::steady_clock::time_point last_contact_{};
  std::map<uint64_t, std::chrono::steady_clock::time_point> sent_;  // heartbeat seq -> send time
  bool ever_heard_ = false;
  void on_echo(uint64_t seq);
  bool stopped_ = false;
  std::string last_error_;
};

}  // namespace poolha::agent

#include "controller/agent_hub.h"

#include <spdlog/spdlog.h>

#include "common/utf8.h"

namespace poolha::controller {

AgentHub::AgentHub(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, std::string member_id,
                   Handlers h, std::function<bool(const pki::Identity&)> revoked)
    : h_(std::move(h)), revoked_(std::move(revoked)) {
  wire::Listener::Options opts;
  opts.roles = {pki::Role::Agent};
  opts.member_id = std::move(member_id);
  opts.gate = wire::kAgentPortGate;
  opts.on_refusals = [](const std::string& line) { spdlog::warn("agent port: {}", line); };
  opts.revoked = revoked_;
  listener_ = std::make_shared<wire::Listener>(io, std::move(ctx), opts);
  listener_->on_hello([this](const std::shared_ptr<wire::Session>& s, const wire::Hello& hello) -> std::string {
    const std::string node = hello.node_id();
    if (auto old = sessions_.find(node); old != sessions_.end() && old->second != s) {
      auto prev = old->second;
      sessions_.erase(old);
      prev->close("replaced by a new session from " + s->remote());
    }
    sessions_[node] = s;
    std::weak_ptr<wire::Session> weak = s;
    s->start([this, node, weak](wire::Envelope&& e) {
               if (auto live = weak.lock()) on_message(node, live, std::move(e));
             },
             [this, node, weak](const std::string& why) {
               auto it = sessions_.find(node);
               if (it != sessions_.end() && it->second == weak.lock()) {
                 sessions_.erase(it);
                 spdlog::info("agent {} disconnected: {}", node, why);
                 if (h_.on_closed) h_.on_closed(node);
               }
             });
    spdlog::info("agent {} connected from {} ({} {})", node, s->remote(), text::log_safe(hello.facts().hostname(), 64),
                 text::log_safe(hello.facts().agent_version(), 32));
    // After this returns the Listener sends the HelloAck; what the core sends on a
    // hello (the node's roles) must follow it, not precede it.
    if (h_.on_hello)
      boost::asio::post(s->stream().get_executor(), [this, node, weak, facts = hello.facts()] {
        if (auto live = weak.lock(); live && live->is_open() && sessions_.count(node) && sessions_[node] == live)
          h_.on_hello(node, facts);
      });
    return "";
  });
}

Status AgentHub::listen(const wire::Endpoint& ep) { return listener_->listen(ep.host, ep.port); }

uint16_t AgentHub::port() const { return listener_->port(); }

bool AgentHub::send(const std::string& node, const wire::Envelope& e) {
  auto it = sessions_.find(node);
  if (it == sessions_.end() || !it->second->is_open()) return false;
  it->second->send(e);
  return true;
}

bool AgentHub::connected(const std::string& node) const { return sessions_.count(node) > 0; }

size_t AgentHub::close_revoked() {
  if (!revoked_) return 0;
  std::vector<std::shared_ptr<wire::Session>> gone;
  for (const auto& [node, s] : sessions_)
    if (revoked_(s->peer())) gone.push_back(s);
  for (const auto& s : gone) s->close("certificate revoked");
  return gone.size();
}

void AgentHub::on_message(const std::string& node, const std::shared_ptr<wire::Session>& s, wire::Envelope&& e) {
  switch (e.body_case()) {
    case wire::Envelope::kHeartbeat: {
      const bool vouch = h_.on_heartbeat && h_.on_heartbeat(node, e.heartbeat());
      wire::Envelope echo;
      echo.mutable_heartbeat()->set_seq(vouch ? e.heartbeat().seq() : 0);
      s->send(echo);
      break;
    }
    case wire::Envelope::kResult:
      if (h_.on_result) h_.on_result(node, e.result());
      break;
    default:
      s->close(std::string("agent sent an unexpected ") + wire::body_name(e));
  }
}

}  // namespace poolha::controller

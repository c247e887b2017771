#include "controller/arbiter_link.h"

#include <spdlog/spdlog.h>

namespace poolha::controller {

ArbiterLink::ArbiterLink(wire::asio::io_context& io, std::shared_ptr<wire::asio::ssl::context> ctx, wire::Endpoint ep,
                         std::string arbiter_id, std::string member_id, wire::Millis timeout, OnAnswer on_answer,
                         OnLink on_link)
    : io_(io), ctx_(std::move(ctx)), ep_(std::move(ep)), arbiter_id_(std::move(arbiter_id)),
      member_id_(std::move(member_id)), timeout_(timeout),
      on_answer_(std::move(on_answer)), on_link_(std::move(on_link)), reconnect_timer_(io), heartbeat_timer_(io) {}

void ArbiterLink::start() {
  connect();
  heartbeat();
}

void ArbiterLink::connect() {
  wire::Hello hello;
  hello.set_protocol_version(wire::kProtocolVersion);
  hello.set_node_id(member_id_);
  wire::connect(io_, ctx_, ep_, &hello, wire::PeerCheck(pki::Role::Arbiter, arbiter_id_), wire::Millis(1000),
                wire::Millis(1500),
                [this](Expected<std::shared_ptr<wire::Session>> s, const wire::HelloAck&) {
                  if (!s.ok()) {
                    if (!logged_down_) spdlog::warn("arbiter {}: {}", ep_.str(), s.error());
                    logged_down_ = true;
                    set_link(false);
                    return schedule_reconnect();
                  }
                  session_ = *s;
                  backoff_ = wire::Millis(100);
                  logged_down_ = false;
                  spdlog::info("arbiter {} connected", ep_.str());
                  set_link(true);
                  session_->start([this](wire::Envelope&& e) { on_message(std::move(e)); },
                                  [this](const std::string& why) {
                                    spdlog::warn("arbiter {} lost: {}", ep_.str(), why);
                                    session_.reset();
                                    // Questions in flight will get no answer: the arbiter is unreachable.
                                    auto open = std::move(queries_);
                                    queries_.clear();
                                    for (const auto& [id, node] : open) on_answer_(node, false, false, -1);
                                    set_link(false);
                                    schedule_reconnect();
                                  });
                });
}

void ArbiterLink::set_link(bool up) {
  if (link_up_ == up) return;
  link_up_ = up;
  if (on_link_) on_link_(up);
}

void ArbiterLink::schedule_reconnect() {
  reconnect_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, wire::Millis(1000));
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) connect();
  });
}

void ArbiterLink::heartbeat() {
  if (session_ && session_->is_open()) {
    wire::Envelope e;
    e.mutable_heartbeat()->set_seq(++seq_);
    session_->send(e);
  }
  heartbeat_timer_.expires_after(wire::Millis(200));
  heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) heartbeat();
  });
}

void ArbiterLink::consult(const std::string& node) {
  if (!connected()) {
    // Answer asynchronously, like a real answer, so the caller's decision completes first.
    wire::asio::post(io_, [this, node] { on_answer_(node, false, false, -1); });
    return;
  }
  const uint64_t id = next_query_++;
  queries_[id] = node;
  wire::Envelope e;
  e.mutable_arbiter_query()->set_query_id(id);
  e.mutable_arbiter_query()->set_node_id(node);
  session_->send(e);
  auto t = std::make_shared<wire::asio::steady_timer>(io_, timeout_);
  t->async_wait([this, t, id](boost::system::error_code ec) {
    if (!ec) expire(id);
  });
}

void ArbiterLink::expire(uint64_t id) {
  auto it = queries_.find(id);
  if (it == queries_.end()) return;
  const std::string node = it->second;
  queries_.erase(it);
  spdlog::warn("arbiter did not answer about {} within {} ms", node, timeout_.count());
  on_answer_(node, false, false, -1);
}

void ArbiterLink::heard(const std::string& node) {
  if (!connected()) return;
  wire::Envelope e;
  e.mutable_arbiter_heard()->set_node_id(node);
  session_->send(e);
}

bool ArbiterLink::grant_vouching(uint64_t term) {
  if (!connected()) return false;
  wire::Envelope e;
  e.mutable_vouch_grant()->set_term(term);
  session_->send(e);
  return true;
}

void ArbiterLink::on_message(wire::Envelope&& e) {
  if (e.has_arbiter_answer()) {
    auto it = queries_.find(e.arbiter_answer().query_id());
    if (it == queries_.end()) return;  // answered too late: already counted as unreachable
    queries_.erase(it);
    const auto& a = e.arbiter_answer();
    on_answer_(a.node_id(), true, a.sees(), a.ms_since_heard());
  }
  // Heartbeat echoes only keep the idle timer alive.
}

}  // namespace poolha::controller

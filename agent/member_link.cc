#include "agent/member_link.h"

#include <spdlog/spdlog.h>

#include "common/utf8.h"

namespace poolha::agent {

namespace {
constexpr std::chrono::milliseconds kMinBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
constexpr std::chrono::milliseconds kConnectTimeout{2000};
constexpr std::chrono::milliseconds kIdleTimeout{3000};
}  // namespace

MemberLink::MemberLink(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> tls, MemberConfig member,
                       HelloSource hello, OnMessage on_message, OnUp on_up)
    : io_(io), tls_(std::move(tls)), member_(std::move(member)), hello_(std::move(hello)),
      on_message_(std::move(on_message)), on_up_(std::move(on_up)), retry_timer_(io) {
  auto ep = wire::parse_endpoint(member_.address);
  if (ep.ok()) endpoint_ = *ep;  // the config loader already checked the form
}

void MemberLink::start() { attempt(); }

void MemberLink::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  if (session_) session_->close("agent stopping");
}

void MemberLink::send(const wire::Envelope& e) {
  if (!connected()) return;
  if (e.has_heartbeat()) {
    sent_[e.heartbeat().seq()] = std::chrono::steady_clock::now();
    while (sent_.size() > 64) sent_.erase(sent_.begin());  // a member that never answers
  }
  session_->send(e);
}

void MemberLink::drop(const std::string& why) {
  if (session_) session_->close(why);
}

void MemberLink::abort(const std::string& why) {
  if (session_) session_->abort(why);
}

void MemberLink::attempt() {
  if (stopped_) return;
  const wire::Hello hello = hello_();
  const auto role = member_.role == MemberRole::Controller ? pki::Role::Controller : pki::Role::Arbiter;
  wire::connect(io_, tls_, endpoint_, &hello, wire::PeerCheck(role, member_.name), kConnectTimeout, kIdleTimeout,
                [self = shared_from_this()](Expected<std::shared_ptr<wire::Session>> s, const wire::HelloAck& ack) {
                  self->on_connected(std::move(s), ack);
                });
}

void MemberLink::on_connected(Expected<std::shared_ptr<wire::Session>> s, const wire::HelloAck& ack) {
  if (stopped_) {
    if (s.ok()) (*s)->close("agent stopping");
    return;
  }
  if (!s.ok()) {
    // Log a changed error once, not every retry.
    if (s.error() != last_error_) spdlog::warn("member {} ({}): {}", member_.name, member_.address, s.error());
    last_error_ = s.error();
    return retry_later();
  }
  // wire::connect refused any certificate but this member's.
  if (ack.member_id() != member_.name)
    spdlog::warn("member {} ({}) calls itself '{}' in its HelloAck", member_.name, member_.address,
                 text::log_safe(ack.member_id(), 64));
  session_ = *s;
  last_error_.clear();
  backoff_ = kMinBackoff;
  sent_.clear();  // echoes of an earlier session are not ours to count
  spdlog::info("member {} ({}): connected", member_.name, member_.address);
  std::weak_ptr<MemberLink> weak = weak_from_this();
  auto session = session_;
  session_->start(
      [weak](wire::Envelope&& e) {
        if (auto self = weak.lock()) {
          if (e.has_heartbeat()) self->on_echo(e.heartbeat().seq());
          self->on_message_(*self, std::move(e));
        }
      },
      [weak, session](const std::string& why) {
        if (auto self = weak.lock(); self && self->session_ == session) self->on_closed(why);
      });
  on_up_(*this);
}

void MemberLink::on_echo(uint64_t seq) {
  auto it = sent_.find(seq);
  if (it == sent_.end()) return;  // not sent on this session (or already superseded)
  if (!ever_heard_ || it->second > last_contact_) last_contact_ = it->second;
  ever_heard_ = true;
  sent_.erase(sent_.begin(), std::next(it));
}

void MemberLink::on_closed(const std::string& why) {
  spdlog::warn("member {} ({}): connection lost: {}", member_.name, member_.address, why);
  session_.reset();
  if (!stopped_) retry_later();
}

void MemberLink::retry_later() {
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->attempt();
  });
}

}  // namespace poolha::agent

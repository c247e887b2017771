#include "wire/connection_gate.h"

#include <algorithm>

namespace poolha::wire {

namespace {

// Counts one in `counter` (a member of `gate`) while the returned token lives; the
// gate may be gone first (a stopped listener), then the token does nothing.
std::shared_ptr<void> counting_token(const std::shared_ptr<ConnectionGate>& gate, size_t* counter) {
  ++*counter;
  std::weak_ptr<ConnectionGate> weak = gate;
  return std::shared_ptr<void>(nullptr, [weak, counter](void*) {
    if (auto g = weak.lock()) --*counter;
  });
}

}  // namespace

const char* to_string(ConnectionGate::Refusal r) {
  switch (r) {
    case ConnectionGate::Refusal::None: return "admitted";
    case ConnectionGate::Refusal::Connections: return "too many open connections";
    case ConnectionGate::Refusal::Handshakes: return "too many handshakes in progress";
    case ConnectionGate::Refusal::SourceRate: return "too many new connections from one address";
  }
  return "?";
}

void ConnectionGate::refill(Bucket& b, int64_t now_ms) const {
  const double elapsed_s = static_cast<double>(std::max<int64_t>(0, now_ms - b.at_ms)) / 1000.0;
  b.tokens = std::min(limits_.per_source_burst, b.tokens + elapsed_s * limits_.per_source_per_s);
  b.at_ms = now_ms;
}

void ConnectionGate::forget_idle_sources(int64_t now_ms) {
  // A full bucket carries no information: the source is as new.
  for (auto it = sources_.begin(); it != sources_.end();) {
    refill(it->second, now_ms);
    it = it->second.tokens >= limits_.per_source_burst ? sources_.erase(it) : std::next(it);
  }
}

ConnectionGate::Admission ConnectionGate::admit(const std::string& source, int64_t now_ms) {
  Admission a;
  auto refuse = [&](Refusal r, uint64_t& counter) {
    ++refused_total_;
    ++counter;
    a.refusal = r;
    return a;
  };
  if (open_ >= limits_.max_connections) return refuse(Refusal::Connections, refused_connections_);
  if (handshaking_ >= limits_.max_handshakes) return refuse(Refusal::Handshakes, refused_handshakes_);
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    if (sources_.size() >= limits_.max_sources) forget_idle_sources(now_ms);
    if (sources_.size() >= limits_.max_sources) {  // every tracked source is busy: no room for a new one
      last_rate_source_ = source;
      return refuse(Refusal::SourceRate, refused_rate_);
    }
    it = sources_.emplace(source, Bucket{limits_.per_source_burst, now_ms}).first;
  }
  refill(it->second, now_ms);
  if (it->second.tokens < 1) {
    last_rate_source_ = source;
    return refuse(Refusal::SourceRate, refused_rate_);
  }
  it->second.tokens -= 1;
  auto self = shared_from_this();
  a.connection = counting_token(self, &open_);
  a.handshake = counting_token(self, &handshaking_);
  return a;
}

std::optional<std::string> ConnectionGate::report(int64_t now_ms, int64_t every_ms) {
  const uint64_t n = refused_connections_ + refused_handshakes_ + refused_rate_;
  if (n == 0 || (last_report_ms_ >= 0 && now_ms - last_report_ms_ < every_ms)) return std::nullopt;
  std::string line = "refused " + std::to_string(n) + " connection(s)";
  if (last_report_ms_ >= 0) line += " in the last " + std::to_string((now_ms - last_report_ms_) / 1000) + " s";
  line += ":";
  if (refused_connections_) line += " " + std::to_string(refused_connections_) + " over the connection cap (" +
                                    std::to_string(limits_.max_connections) + ");";
  if (refused_handshakes_) line += " " + std::to_string(refused_handshakes_) + " over the handshake cap (" +
                                   std::to_string(limits_.max_handshakes) + ");";
  if (refused_rate_) line += " " + std::to_string(refused_rate_) + " over the per-address rate (last from " +
                             last_rate_source_ + ");";
  line.pop_back();
  refused_connections_ = refused_handshakes_ = refused_rate_ = 0;
  last_report_ms_ = now_ms;
  return line;
}

}  // namespace poolha::wire

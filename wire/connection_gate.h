// Admission to a listening port before anyone is authenticated (issue 9 §3). A TCP
// connection costs a file descriptor and a TLS handshake costs CPU on the one event
// loop that also carries heartbeats and Raft; nothing limited either, so one host
// could hold every descriptor (the API acceptor then spun on EMFILE) or keep the loop
// busy with handshakes. Per port:
//   - at most `max_connections` open connections (authenticated ones included);
//   - at most `max_handshakes` connections not yet through TLS and the Hello;
//   - per source address, a token bucket: `per_source_per_s` new connections per
//     second, bursts of `per_source_burst` (the table of sources is bounded too).
// A refused connection is closed at once, before any TLS byte is read.
//
// Pure and single-threaded (the daemon's event loop): the caller passes its monotonic
// time. Admission tokens are RAII: a connection counts while its Connection token
// lives, a handshake while its Handshake token lives.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace poolha::wire {

struct GateLimits {
  size_t max_connections = 1024;
  size_t max_handshakes = 64;
  double per_source_per_s = 20;
  double per_source_burst = 40;
  size_t max_sources = 4096;
};

// The ports' limits, in one place. Agents: 5,000 per pair (design §5) reconnecting at
// once after a restart get through 256 handshakes at a time and retry (backoff ≤ 1 s);
// one agent reconnects a few times a second at most.
inline constexpr GateLimits kAgentPortGate{16384, 256, 10, 20, 16384};
// Controllers and arbiters: a handful of members, each with one or two links.
inline constexpr GateLimits kMemberPortGate{64, 16, 10, 20, 256};
// Enrolment has no client certificate: strictest.
inline constexpr GateLimits kEnrolPortGate{64, 16, 2, 5, 1024};

class ConnectionGate : public std::enable_shared_from_this<ConnectionGate> {
 public:
  enum class Refusal { None, Connections, Handshakes, SourceRate };
  struct Admission {
    Refusal refusal = Refusal::None;
    std::shared_ptr<void> connection;  // counts as open while held
    std::shared_ptr<void> handshake;   // counts as handshaking while held
  };

  static std::shared_ptr<ConnectionGate> make(GateLimits limits) {
    return std::shared_ptr<ConnectionGate>(new ConnectionGate(limits));
  }

  // A new connection from `source` (an address, no port) at `now_ms`.
  Admission admit(const std::string& source, int64_t now_ms);

  // At most one line per `every_ms` summing up refusals since the last one (for the
  // log: an attack must not flood it); nullopt when there is nothing new to say.
  std::optional<std::string> report(int64_t now_ms, int64_t every_ms = 10'000);

  size_t open() const { return open_; }
  size_t handshaking() const { return handshaking_; }
  uint64_t refused_total() const { return refused_total_; }

 private:
  explicit ConnectionGate(GateLimits limits) : limits_(limits) {}
  struct Bucket {
    double tokens = 0;
    int64_t at_ms = 0;
  };
  void refill(Bucket& b, int64_t now_ms) const;
  void forget_idle_sources(int64_t now_ms);

  GateLimits limits_;
  size_t open_ = 0;
  size_t handshaking_ = 0;
  std::map<std::string, Bucket> sources_;
  uint64_t refused_total_ = 0;
  // Since the last report.
  uint64_t refused_connections_ = 0, refused_handshakes_ = 0, refused_rate_ = 0;
  std::string last_rate_source_;
  int64_t last_report_ms_ = -1;
};

const char* to_string(ConnectionGate::Refusal r);

}  // namespace poolha::wire

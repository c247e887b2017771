// The console's live updates (GET /v1/stream, Server-Sent Events): a new stream gets
// the whole view (the body of GET /v1/status) as one `snapshot` event, then `delta`
// events with the objects that changed (rules, nodes, pools, transitions, agents, the
// control plane) and `history` events as rows of the event history are written or
// completed (an operation's steps, live). Deltas are computed on the daemon's timer,
// only while someone listens and only when something changed; the event id is the log
// index, and a stream that reconnects (after a controller failover, through the
// controller VIP) gets a fresh snapshot, so nothing is missed. No sockets: the server
// hands each stream a sink; a sink that reports itself gone or full is dropped.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace poolha::controller {

class LiveFeed {
 public:
  // Takes the text of one event; false: the stream is gone or too far behind (dropped).
  using Sink = std::function<bool(const std::string& text)>;
  // `view`: GET /v1/status's body; `log_index`: the applied index (the event id).
  LiveFeed(std::function<nlohmann::json()> view, std::function<uint64_t()> log_index)
      : view_(std::move(view)), log_index_(std::move(log_index)) {}

  static constexpr size_t kMaxStreams = 64;
  static constexpr int64_t kKeepaliveMs = 15'000;

  // A new stream for `session` (its id hash; empty for a certificate): the snapshot now.
  // 0: refused (too many streams; the sink gets nothing).
  uint64_t subscribe(Sink sink, std::string session);
  void unsubscribe(uint64_t id) { subs_.erase(id); }
  size_t streams() const { return subs_.size(); }

  // The timer: deltas since the last tick, keepalives, and the end of streams whose
  // session ended (`session_valid`).
  void tick(int64_t local_ms, const std::function<bool(const std::string& session)>& session_valid);
  // A history row written or completed.
  void history(const nlohmann::json& row);

  // The objects of a view, flattened ("rules/gw1" -> its JSON), the volatile fields
  // (how long ago an agent was heard) left out. Public for tests.
  static std::map<std::string, nlohmann::json> objects_of(const nlohmann::json& view);

 private:
  struct Sub {
    Sink sink;
    std::string session;
    int64_t last_write_ms = 0;
  };
  void send_all(const std::string& text, int64_t local_ms);

  std::function<nlohmann::json()> view_;
  std::function<uint64_t()> log_index_;
  std::map<uint64_t, Sub> subs_;
  uint64_t next_id_ = 1;
  std::map<std::string, std::string> last_;  // object key -> its JSON text as last sent
  bool primed_ = false;
};

}  // namespace poolha::controller

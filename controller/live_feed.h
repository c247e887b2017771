// The console's live updates (GET /v1/stream, Server-Sent Events): a new stream gets
// the whole view (the body of GET /v1/status) as one `snapshot` event, then `delta`
// events with the objects that changed ("rules/gw1", "nodes/h3", "pools/p1",
// "transitions/7", "templates/gw", "agents/h3", and "top": everything else, which is small) and
// `history` events as rows of the event history are written or completed (an
// operation's steps, live). Deltas are found on the daemon's timer, only while someone
// listens and only when the log, the agents or the small part moved: the engine's
// objects are compared as values against the copies last sent (no JSON is built for
// what did not change: at 5,000 nodes, building and comparing the whole view cost
// ~110 ms of the event loop per change). The event id is the log index; a stream that
// reconnects (after a controller failover, through the controller VIP) gets a fresh
// snapshot, so nothing is missed. No sockets: the server hands each stream a sink; a
// sink that reports itself gone or full is dropped.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "rules/model.h"

namespace poolha::controller {

class LiveFeed {
 public:
  // Takes the text of one event; false: the stream is gone or too far behind (dropped).
  using Sink = std::function<bool(const std::string& text)>;
  struct Source {
    std::function<nlohmann::json()> snapshot;                  // GET /v1/status's body
    std::function<const rules::ClusterState&()> engine;        // the replicated state
    std::function<uint64_t()> log_index;                       // the event id
    std::function<uint64_t()> agents_version;                  // changes when agents' facts do
    std::function<nlohmann::json()> agents;                    // id -> what the view shows of it
    std::function<nlohmann::json()> top;                       // the rest of the view, state's maps left out
  };
  explicit LiveFeed(Source source) : src_(std::move(source)) {}

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

 private:
  struct Sub {
    Sink sink;
    std::string session;
    int64_t last_write_ms = 0;
  };
  void prime();
  void diff(nlohmann::json& set, nlohmann::json& del);
  void send_all(const std::string& text, int64_t local_ms);

  Source src_;
  std::map<uint64_t, Sub> subs_;
  uint64_t next_id_ = 1;
  bool primed_ = false;
  // What the streams were last told.
  uint64_t sent_index_ = 0;
  uint64_t sent_agents_version_ = 0;
  rules::ClusterState sent_engine_;
  std::map<std::string, std::string> sent_agents_;  // id -> JSON text
  std::string sent_top_;
};

}  // namespace poolha::controller

#include "controller/live_feed.h"

#include "common/json_text.h"
#include "rules/json_codec.h"

namespace poolha::controller {

using Json = nlohmann::json;

namespace {

std::string event_text(const char* type, uint64_t id, const Json& data) {
  return std::string("event: ") + type + "\nid: " + std::to_string(id) + "\ndata: " + json_text(data) + "\n\n";
}

// Entries of `now` that differ from `sent` (set) or are gone (del), keyed "kind/id";
// `sent` becomes `now`. Compares values, builds JSON only for what changed.
template <class K, class V>
void diff_map(const char* kind, const std::map<K, V>& now, std::map<K, V>& sent, Json& set, Json& del) {
  auto key = [&](const K& id) {
    if constexpr (std::is_same_v<K, std::string>) return std::string(kind) + "/" + id;
    else return std::string(kind) + "/" + std::to_string(id);
  };
  for (const auto& [id, v] : now) {
    auto it = sent.find(id);
    if (it != sent.end() && it->second == v) continue;
    set[key(id)] = rules::to_json(v);
  }
  for (const auto& [id, v] : sent)
    if (!now.count(id)) del.push_back(key(id));
  sent = now;
}

}  // namespace

void LiveFeed::prime() {
  sent_index_ = src_.log_index();
  sent_engine_ = src_.engine();
  sent_agents_version_ = src_.agents_version();
  sent_agents_.clear();
  const Json agents = src_.agents();
  for (const auto& [id, a] : agents.items()) sent_agents_[id] = json_text(a);
  sent_top_ = json_text(src_.top());
  primed_ = true;
}

uint64_t LiveFeed::subscribe(Sink sink, std::string session) {
  if (subs_.size() >= kMaxStreams) return 0;
  const uint64_t id = next_id_++;
  // Deltas from here on are against what this stream has just seen (or newer: a
  // stream may get a change twice, never miss one).
  if (!primed_) prime();
  if (!sink("retry: 1000\n\n" + event_text("snapshot", src_.log_index(), src_.snapshot()))) return 0;
  subs_[id] = {std::move(sink), std::move(session), 0};
  return id;
}

void LiveFeed::diff(Json& set, Json& del) {
  if (src_.log_index() != sent_index_) {
    sent_index_ = src_.log_index();
    const rules::ClusterState& now = src_.engine();
    diff_map("rules", now.rules, sent_engine_.rules, set, del);
    diff_map("nodes", now.nodes, sent_engine_.nodes, set, del);
    diff_map("pools", now.pools, sent_engine_.pools, set, del);
    diff_map("transitions", now.transitions, sent_engine_.transitions, set, del);
    diff_map("templates", now.templates, sent_engine_.templates, set, del);
  }
  if (src_.agents_version() != sent_agents_version_) {
    sent_agents_version_ = src_.agents_version();
    std::map<std::string, std::string> now;
    const Json agents = src_.agents();
    for (const auto& [id, a] : agents.items()) {
      std::string text = json_text(a);
      auto it = sent_agents_.find(id);
      if (it == sent_agents_.end() || it->second != text) set["agents/" + id] = a;
      now[id] = std::move(text);
    }
    for (const auto& [id, text] : sent_agents_)
      if (!now.count(id)) del.push_back("agents/" + id);
    sent_agents_ = std::move(now);
  }
  // The rest is small (who is active, the control plane, capacities, the state's
  // scalars): compared whole every tick.
  const Json top = src_.top();
  std::string text = json_text(top);
  if (text != sent_top_) {
    set["top"] = top;
    sent_top_ = std::move(text);
  }
}

void LiveFeed::tick(int64_t local_ms, const std::function<bool(const std::string&)>& session_valid) {
  for (auto it = subs_.begin(); it != subs_.end();) {
    if (!it->second.session.empty() && !session_valid(it->second.session)) {
      (void)it->second.sink("event: end\ndata: {\"reason\":\"the session ended\"}\n\n");
      it = subs_.erase(it);
    } else {
      ++it;
    }
  }
  if (subs_.empty()) {
    primed_ = false;
    sent_engine_ = {};
    sent_agents_.clear();
    return;
  }
  Json set = Json::object(), del = Json::array();
  diff(set, del);
  if (!set.empty() || !del.empty()) {
    const uint64_t index = src_.log_index();
    send_all(event_text("delta", index, Json{{"log_index", index}, {"set", set}, {"del", del}}), local_ms);
    return;
  }
  for (auto it = subs_.begin(); it != subs_.end();) {
    if (local_ms - it->second.last_write_ms >= kKeepaliveMs) {
      if (!it->second.sink(": keepalive\n\n")) {
        it = subs_.erase(it);
        continue;
      }
      it->second.last_write_ms = local_ms;
    }
    ++it;
  }
}

void LiveFeed::send_all(const std::string& text, int64_t local_ms) {
  for (auto it = subs_.begin(); it != subs_.end();) {
    if (!it->second.sink(text)) {
      it = subs_.erase(it);
      continue;
    }
    it->second.last_write_ms = local_ms;
    ++it;
  }
}

void LiveFeed::history(const Json& row) {
  if (subs_.empty()) return;
  const std::string text = "event: history\ndata: " + json_text(row) + "\n\n";
  for (auto it = subs_.begin(); it != subs_.end();) it = it->second.sink(text) ? std::next(it) : subs_.erase(it);
}

}  // namespace poolha::controller

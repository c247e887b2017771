#include "controller/live_feed.h"

#include "common/json_text.h"

namespace poolha::controller {

using Json = nlohmann::json;

namespace {

std::string event_text(const char* type, uint64_t id, const Json& data) {
  return std::string("event: ") + type + "\nid: " + std::to_string(id) + "\ndata: " + json_text(data) + "\n\n";
}

}  // namespace

std::map<std::string, Json> LiveFeed::objects_of(const Json& view) {
  std::map<std::string, Json> out;
  Json top = view;
  if (view.contains("state") && view["state"].is_object()) {
    Json state = view["state"];
    for (const char* kind : {"rules", "nodes", "pools", "transitions"}) {
      if (!state.contains(kind) || !state[kind].is_object()) continue;
      for (const auto& [id, v] : state[kind].items()) out[std::string(kind) + "/" + id] = v;
      state.erase(kind);
    }
    top["state"] = state;
  }
  if (view.contains("agents") && view["agents"].is_object()) {
    for (const auto& [id, v] : view["agents"].items()) {
      Json a = v;
      a.erase("last_heard_ms_ago");
      out["agents/" + id] = a;
    }
    top.erase("agents");
  }
  top.erase("log_index");
  out["top"] = top;
  return out;
}

uint64_t LiveFeed::subscribe(Sink sink, std::string session) {
  if (subs_.size() >= kMaxStreams) return 0;
  const uint64_t id = next_id_++;
  const Json view = view_();
  if (!sink("retry: 1000\n\n" + event_text("snapshot", log_index_(), view))) return 0;
  if (!primed_) {  // deltas from here on are against what this stream has just seen
    for (const auto& [key, v] : objects_of(view)) last_[key] = json_text(v);
    primed_ = true;
  }
  subs_[id] = {std::move(sink), std::move(session), 0};
  return id;
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
    last_.clear();
    primed_ = false;
    return;
  }
  const auto objects = objects_of(view_());
  Json set = Json::object(), del = Json::array();
  for (const auto& [key, v] : objects) {
    std::string text = json_text(v);
    auto it = last_.find(key);
    if (it != last_.end() && it->second == text) continue;
    set[key] = v;
    last_[key] = std::move(text);
  }
  for (auto it = last_.begin(); it != last_.end();) {
    if (objects.count(it->first)) {
      ++it;
      continue;
    }
    del.push_back(it->first);
    it = last_.erase(it);
  }
  if (!set.empty() || !del.empty()) {
    send_all(event_text("delta", log_index_(), Json{{"log_index", log_index_()}, {"set", set}, {"del", del}}), local_ms);
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

void LiveFeed::history(const Json& row) {
  if (subs_.empty()) return;
  const std::string text = "event: history\ndata: " + json_text(row) + "\n\n";
  for (auto it = subs_.begin(); it != subs_.end();) it = it->second.sink(text) ? std::next(it) : subs_.erase(it);
}

}  // namespace poolha::controller

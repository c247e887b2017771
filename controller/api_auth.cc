#include "controller/api_auth.h"

#include "common/sha256.h"

namespace poolha::controller {

std::string ApiAuth::session_from_cookie(const std::string& header) {
  const std::string key = std::string(kCookie) + "=";
  size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    if (header.compare(pos, key.size(), key) == 0) {
      std::string v = header.substr(pos + key.size(), end - pos - key.size());
      const bool hex = v.size() == 64 && v.find_first_not_of("0123456789abcdef") == std::string::npos;
      return hex ? v : "";
    }
    pos = end + 1;
  }
  return "";
}

Caller ApiAuth::identify(const ApiRequest& r) {
  Caller c;
  const auto& ac = core_.access();
  if (r.certificate) {
    c.kind = Caller::Kind::Certificate;
    c.account = *r.certificate;
    c.roles = ac.roles_of(c.account);
    return c;
  }
  const std::string secret = session_from_cookie(r.cookie);
  if (secret.empty()) return c;
  const std::string hash = sha256_hex(secret);
  const access::Session* s = ac.session(hash);
  if (!s) {
    c.refusal = "the session has ended; sign in again";
    forget(hash);
    return c;
  }
  const access::Account* a = ac.account(s->account);
  const auto& policy = ac.state().policy;
  if (ac.session_expired(*s, r.wall_ms)) {
    end(hash, "expired", r.source, r.wall_ms);
    c.refusal = "the session is older than " + std::to_string(policy.session_hours) + " h; sign in again";
    return c;
  }
  if (auto it = last_seen_.find(hash);
      it != last_seen_.end() && r.local_ms - it->second > policy.idle_timeout_minutes * 60'000) {
    end(hash, "idle", r.source, r.wall_ms);
    c.refusal = "the session was idle for more than " + std::to_string(policy.idle_timeout_minutes) + " min; sign in again";
    return c;
  }
  last_seen_[hash] = r.local_ms;
  if (last_seen_.size() > 2 * access::kMaxSessions)  // sessions that ended elsewhere
    std::erase_if(last_seen_, [&](const auto& kv) { return !ac.session(kv.first); });
  c.kind = Caller::Kind::Session;
  c.account = s->account;
  c.session = hash;
  c.roles = ac.roles_of(s->account);
  c.password_change_required = a && (a->must_change || ac.password_expired(*a, r.wall_ms));
  return c;
}

void ApiAuth::end(const std::string& hash, const std::string& reason, const std::string& source, int64_t wall_ms) {
  forget(hash);
  const access::Session* s = core_.access().session(hash);
  access::Actor by{.account = s ? s->account : "", .source = source, .at_ms = wall_ms};
  by.roles = access::role_names(core_.access().roles_of(by.account));
  core_.operator_command(LogEntry(access::Change(access::EndSession{hash, reason}), by), [](Status) {});
}

std::string ApiAuth::csrf_token(const std::string& session_hash) const {
  return hmac_sha256_hex(core_.access().state().session_key, "csrf:" + session_hash);
}

bool ApiAuth::csrf_ok(const Caller& c, const ApiRequest& r) const {
  if (c.kind != Caller::Kind::Session || r.method == "GET" || r.method == "HEAD") return true;
  return equal_constant_time(r.csrf, csrf_token(c.session));
}

bool ApiAuth::source_blocked(const std::string& source, int64_t local_ms) {
  auto it = failures_.find(source);
  if (it == failures_.end()) return false;
  const auto& p = core_.access().state().policy;
  auto& q = it->second;
  while (!q.empty() && local_ms - q.front() > p.source_window_minutes * 60'000) q.pop_front();
  if (q.empty()) {
    failures_.erase(it);
    return false;
  }
  return static_cast<int64_t>(q.size()) >= p.source_failures;
}

void ApiAuth::note_failure(const std::string& source, int64_t local_ms) {
  constexpr size_t kMaxSources = 4096;  // an address flood cannot grow this without bound
  if (failures_.size() >= kMaxSources && !failures_.count(source)) failures_.erase(failures_.begin());
  auto& q = failures_[source];
  q.push_back(local_ms);
  while (q.size() > 10000) q.pop_front();
}

bool ApiAuth::idle_past_policy(const std::string& hash, int64_t local_ms) const {
  auto it = last_seen_.find(hash);
  return it != last_seen_.end() &&
         local_ms - it->second > core_.access().state().policy.idle_timeout_minutes * 60'000;
}

int64_t ApiAuth::idle_seconds(const std::string& hash, int64_t local_ms) const {
  auto it = last_seen_.find(hash);
  return it == last_seen_.end() ? -1 : (local_ms - it->second) / 1000;
}

}  // namespace poolha::controller

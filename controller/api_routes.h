// The REST API's meaning, without the transport: a request (controller/api_types.h)
// -> (HTTP status, body). Reference: docs/api.md. Every request is checked first:
// the route exists (route_permissions.h), the caller is known (a certificate or a
// session cookie, api_auth.h), a cookie's change carries its CSRF token, and the
// caller's roles carry the route's permission; a refusal is recorded in the audit
// trail. Every body is parsed strictly (rules/json_codec) and a refused request
// changes nothing.
#pragma once
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/log_throttle.h"
#include "controller/access_routes.h"
#include "controller/api_auth.h"
#include "controller/api_types.h"
#include "controller/route_permissions.h"
#include "controller_core/controller_core.h"
#include "wire/pki.h"

namespace poolha::controller {

class ApiRoutes {
 public:
  // `audit` and `hasher` may be null (no audit trail, no password sign-in here).
  // `enrolment`: this controller has an enrolment port, so POST /v1/tokens mints.
  ApiRoutes(ControllerCore& core, EventHistory& history, bool enrolment, std::string controller_name,
            std::function<TimeMs()> now, AuditStore* audit = nullptr, PasswordHasher* hasher = nullptr)
      : core_(core), history_(history), enrolment_(enrolment), name_(std::move(controller_name)), now_(std::move(now)),
        auth_(core), access_(core, auth_, audit, hasher) {}

  // Commands complete when the replicated log commits them, so the answer may come
  // after handle() returns (or from inside it, on a single controller).
  using Reply = std::function<void(ApiResponse)>;
  void handle(const ApiRequest& r, Reply reply);
  // A standby controller sends clients to the active one: given the request target,
  // the URL to redirect to, or nullopt to answer here (active, single, or no leader).
  void set_redirect(std::function<std::optional<std::string>(const std::string& target)> f) { redirect_ = std::move(f); }
  // Extra facts for /v1/status and /v1/cluster (the control plane's view).
  void set_cluster_view(std::function<nlohmann::json()> f) { cluster_view_ = std::move(f); }
  // POST /v1/cluster/<verb> (transfer, members): membership and leadership operations.
  using ClusterOp = std::function<ApiResponse(const std::string& verb, const nlohmann::json& body, const access::Actor& by)>;
  void set_cluster_ops(ClusterOp f) { cluster_ops_ = std::move(f); }
  // GET /v1/status's body, and its parts as the live feed sends them (live_feed.h):
  // the agents, and the rest beside the state's maps, without the fields that are
  // only clocks (how long ago an agent was heard, since when the leader heard a quorum).
  nlohmann::json status_json() const { return status_view().body; }
  nlohmann::json agents_json(bool with_clock) const;
  nlohmann::json top_json(bool with_clock) const;
  // Whether a session (its id hash) is still signed in (a stream ends when it is not).
  // An open stream is not activity: a page left alone is signed out after the
  // policy's idle timeout like any other (the console pings on input).
  bool session_valid(const std::string& hash, int64_t wall_ms, int64_t local_ms) {
    const auto* s = core_.access().session(hash);
    if (!s || core_.access().session_expired(*s, wall_ms)) return false;
    if (auth_.idle_past_policy(hash, local_ms)) {
      idle_ended_.insert(hash);
      return false;
    }
    return true;
  }
  // Ends the sessions session_valid found idle. Called after the feed's loop: ending
  // one proposes a log entry, whose listeners (the feed's history) must not run inside it.
  void end_idle_sessions(int64_t wall_ms) {
    for (const auto& hash : idle_ended_) auth_.end(hash, "idle", "(stream)", wall_ms);
    idle_ended_.clear();
  }
  // The cluster's certificate denylist (poolhactl cert revoke): the API server refuses
  // a revoked operator certificate after its handshake.
  bool revoked(const pki::Identity& id) const { return core_.state().revoked.count(id.serial) > 0; }
  // POST /v1/rules/<id>/switchover {"forced": true, "target", "override": true}.
  using Override = std::function<ApiResponse(const std::string& rule, const std::string& target, const access::Actor& by)>;
  void set_override(Override f) { override_ = std::move(f); }

 private:
  // Nullopt: the caller may go on; else the refusal to send.
  std::optional<ApiResponse> authorize(const RoutePermission& rule, const Caller& caller, const ApiRequest& r,
                                       const access::Actor& by);
  ApiResponse route(const std::string& method, const std::string& target, const nlohmann::json& body,
                    const access::Actor& by, const Reply& reply);
  ApiResponse status_view() const;
  ApiResponse events(const std::string& query) const;
  // spec_kind ("rule", "node", ...): a refusal names the spec's field it is about.
  ApiResponse command(LogEntry e, const Reply& reply, std::string_view spec_kind = "");
  ApiResponse apply(const nlohmann::json& body, const access::Actor& by, const Reply& reply);
  ApiResponse mint_token(const nlohmann::json& body, const access::Actor& by, const Reply& reply);
  void apply_from(std::shared_ptr<std::vector<rules::Event>> events, size_t i, const access::Actor& by, Reply reply);

  std::set<std::string> idle_ended_;  // found idle by session_valid, to end
  ControllerCore& core_;
  EventHistory& history_;
  bool enrolment_;
  std::string name_;
  std::function<TimeMs()> now_;
  std::function<std::optional<std::string>(const std::string&)> redirect_;
  std::function<nlohmann::json()> cluster_view_;
  ClusterOp cluster_ops_;
  Override override_;
  ApiAuth auth_;
  AccessRoutes access_;
  std::map<std::string, LogThrottle> denial_records_;
  mutable nlohmann::json capacity_;  // the pools' capacity at capacity_index_
  mutable uint64_t capacity_index_ = 0;  // per account: at most one denial record a second
};

}  // namespace poolha::controller

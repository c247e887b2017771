// The REST API's meaning, without the transport: (method, target, body, actor) ->
// (HTTP status, JSON body). Reference: docs/api.md. Every body is parsed strictly
// (rules/json_codec) and a refused request changes nothing.
#pragma once
#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller_core/controller_core.h"
#include "controller/token_store.h"
#include "wire/pki.h"

namespace poolha::controller {

struct ApiResponse {
  int status = 200;
  nlohmann::json body;
  std::string location;   // a redirect's target (standby -> active controller)
  bool deferred = false;  // internal: the reply comes later, through the callback
};

class ApiRoutes {
 public:
  ApiRoutes(ControllerCore& core, EventHistory& history, TokenStore* tokens, std::string controller_name,
            std::function<TimeMs()> now)
      : core_(core), history_(history), tokens_(tokens), name_(std::move(controller_name)), now_(std::move(now)) {}

  // Commands complete when the replicated log commits them, so the answer may come
  // after handle() returns (or from inside it, on a single controller).
  using Reply = std::function<void(ApiResponse)>;
  // `by`: who asks (account, roles, source address, reason), as the server established it.
  void handle(const std::string& method, const std::string& target, const std::string& body, const access::Actor& by,
              Reply reply);
  // A standby controller sends clients to the active one: given the request target,
  // the URL to redirect to, or nullopt to answer here (active, single, or no leader).
  void set_redirect(std::function<std::optional<std::string>(const std::string& target)> f) { redirect_ = std::move(f); }
  // Extra facts for /v1/status and /v1/cluster (the control plane's view).
  void set_cluster_view(std::function<nlohmann::json()> f) { cluster_view_ = std::move(f); }
  // POST /v1/cluster/<verb> (transfer, members): membership and leadership operations.
  using ClusterOp = std::function<ApiResponse(const std::string& verb, const nlohmann::json& body, const access::Actor& by)>;
  void set_cluster_ops(ClusterOp f) { cluster_ops_ = std::move(f); }
  // The cluster's certificate denylist (poolhactl cert revoke): the API server refuses
  // a revoked operator certificate after its handshake.
  bool revoked(const pki::Identity& id) const { return core_.state().revoked.count(id.serial) > 0; }
  // The roles `account` holds in the replicated access state (none if unknown).
  access::Roles roles_of(const std::string& account) const { return core_.access().roles_of(account); }
  // POST /v1/rules/<id>/switchover {"forced": true, "target", "override": true}.
  using Override = std::function<ApiResponse(const std::string& rule, const std::string& target, const access::Actor& by)>;
  void set_override(Override f) { override_ = std::move(f); }

 private:
  ApiResponse route(const std::string& method, const std::string& target, const std::string& body,
                    const access::Actor& by, const Reply& reply);
  ApiResponse status_view() const;
  ApiResponse events(const std::string& query) const;
  ApiResponse command(LogEntry e, const Reply& reply);
  ApiResponse apply(const nlohmann::json& body, const access::Actor& by, const Reply& reply);
  void apply_from(std::shared_ptr<std::vector<rules::Event>> events, size_t i, const access::Actor& by, Reply reply);

  ControllerCore& core_;
  EventHistory& history_;
  TokenStore* tokens_;
  std::string name_;
  std::function<TimeMs()> now_;
  std::function<std::optional<std::string>(const std::string&)> redirect_;
  std::function<nlohmann::json()> cluster_view_;
  ClusterOp cluster_ops_;
  Override override_;
};

}  // namespace poolha::controller

// The REST routes of accounts and the audit trail (docs/api.md "Accounts"): signing
// in and out, one's own password, the first start's administrators, accounts, policy,
// sessions and the audit trail. Passwords are checked and hashed on the hasher's
// thread; what changes goes through the replicated log as access changes, so every
// controller holds the same accounts and sessions and writes the same audit records.
// ApiRoutes checks the caller's permission (route_permissions.h) before any of these.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/api_auth.h"
#include "controller/api_types.h"
#include "controller/password_hasher.h"
#include "controller_core/audit_store.h"
#include "controller_core/controller_core.h"

namespace poolha::controller {

class AccessRoutes {
 public:
  using Reply = std::function<void(ApiResponse)>;
  AccessRoutes(ControllerCore& core, ApiAuth& auth, AuditStore* audit, PasswordHasher* hasher)
      : core_(core), auth_(auth), audit_(audit), hasher_(hasher) {}

  // Answers `r` if its path is one of these routes (else nullopt). `p` is the split
  // path, `body` the parsed body, `by` the caller as the audit trail records it.
  std::optional<ApiResponse> route(const ApiRequest& r, const std::vector<std::string>& p, const nlohmann::json& body,
                                   const Caller& caller, const access::Actor& by, const Reply& reply);

  // The caller's view of itself (GET /v1/me; also the sign-in's answer).
  nlohmann::json me(const Caller& caller, const ApiRequest& r) const;

 private:
  ApiResponse login(const ApiRequest& r, const nlohmann::json& body, const access::Actor& by, const Reply& reply);
  ApiResponse logout(const Caller& caller, const access::Actor& by, const Reply& reply);
  ApiResponse change_password(const Caller& caller, const nlohmann::json& body, const access::Actor& by,
                              const Reply& reply);
  ApiResponse bootstrap(const nlohmann::json& body, const access::Actor& by, const Reply& reply);
  ApiResponse users(const ApiRequest& r, const std::vector<std::string>& p, const nlohmann::json& body,
                    const access::Actor& by, const Reply& reply);
  ApiResponse sessions(const ApiRequest& r, const std::vector<std::string>& p, const Caller& caller,
                       const access::Actor& by, const Reply& reply);
  ApiResponse audit(const ApiRequest& r, const std::vector<std::string>& p, const access::Actor& by, const Reply& reply);

  struct BootstrapJob {
    std::vector<access::NewAccount> accounts;
    std::vector<std::string> passwords;  // one per account hashed so far
    access::Actor by;
    Reply reply;
  };
  void bootstrap_next(std::shared_ptr<BootstrapJob> job);
  // Proposes `c` made by `by`; `done` gets the outcome once it applied.
  void change(access::Change c, const access::Actor& by, std::function<void(Status)> done);
  // A one-time password for `account` and its hash; `done` gets both, or an error.
  void one_time(const std::string& account, std::function<void(Expected<std::pair<std::string, std::string>>)> done);
  ApiResponse deferred() const { return {0, nullptr, "", true}; }

  ControllerCore& core_;
  ApiAuth& auth_;
  AuditStore* audit_;
  PasswordHasher* hasher_;
  std::set<std::string> verifying_;  // accounts with a password check in flight (one at a time)
};

}  // namespace poolha::controller

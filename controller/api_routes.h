// The REST API's meaning, without the transport: (method, target, body, actor) ->
// (HTTP status, JSON body). Reference: docs/api.md. Every body is parsed strictly
// (rules/json_codec) and a refused request changes nothing.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "controller/controller_core.h"
#include "controller/token_store.h"

namespace poolha::controller {

struct ApiResponse {
  int status = 200;
  nlohmann::json body;
};

class ApiRoutes {
 public:
  ApiRoutes(ControllerCore& core, EventHistory& history, TokenStore* tokens, std::string controller_name,
            std::function<TimeMs()> now)
      : core_(core), history_(history), tokens_(tokens), name_(std::move(controller_name)), now_(std::move(now)) {}

  ApiResponse handle(const std::string& method, const std::string& target, const std::string& body,
                     const std::string& actor);

 private:
  ApiResponse status_view() const;
  ApiResponse events(const std::string& query) const;
  ApiResponse command(rules::Event e, const std::string& actor);
  ApiResponse apply(const nlohmann::json& body, const std::string& actor);

  ControllerCore& core_;
  EventHistory& history_;
  TokenStore* tokens_;
  std::string name_;
  std::function<TimeMs()> now_;
};

}  // namespace poolha::controller

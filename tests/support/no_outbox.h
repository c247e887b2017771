// An Outbox that accepts everything and sends nothing: for tests of the API routes,
// where what goes to agents is not what is tested.
#pragma once
#include "controller_core/controller_core.h"

namespace poolha::testing {

struct NoOutbox : controller::Outbox {
  bool send_command(const controller::NodeId&, const wire::Command&) override { return true; }
  void send_role(const controller::NodeId&, const wire::RoleAssignment&) override {}
  void consult_arbiter(const controller::NodeId&) override {}
  void arbiter_heard(const controller::NodeId&) override {}
  bool grant_vouching() override { return true; }
};

}  // namespace poolha::testing

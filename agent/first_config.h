// The agent.yaml an installer writes from its properties (the Windows MSI's NODE_ID,
// CONTROLLERS, ARBITER: docs/windows.md), so a silent install needs no file of its own.
// Pure; the result is checked by parse_config like any other agent.yaml.
#pragma once
#include <string>

#include "common/status.h"

namespace poolha::agent {

struct InstallerValues {
  std::string node_id;
  std::string controllers;  // "ctl1=198.18.0.1:7400,ctl2=198.18.0.2:7400"
  std::string arbiter;      // "arb1=198.18.0.3:7400" (may be empty)
  std::string vip_interfaces;  // "以太网 2" or "Ethernet 2,Ethernet 3" (may be empty)
};

// agent.yaml text, or the property that is wrong ("CONTROLLERS: 'x' is not NAME=ADDR:PORT").
Expected<std::string> first_agent_yaml(const InstallerValues& v);

}  // namespace poolha::agent

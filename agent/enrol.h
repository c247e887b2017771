// `poolha-agent enrol` (design §7: a new agent enrols with a one-time token): makes
// a key and CSR, asks the controller's enrolment port for a certificate, and
// writes tls.cert (0644) and tls.key (0600) atomically. Blocking; run it from main.
#pragma once

#include <string>

#include "agent/config.h"
#include "common/status.h"

namespace poolha::agent {

// On success, the lines to print (what was written).
Expected<std::string> enrol(const AgentConfig& cfg, const std::string& controller, const std::string& token);

}  // namespace poolha::agent

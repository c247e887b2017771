// A seeded simulation of a whole poolha cluster around the real decision engine and
// liveness tracker: simulated hosts (kernel, agent, links), arbiter, network delays,
// controller restarts and a clock. One seed = one random fault schedule; after every
// step the design §6 invariants are checked. Everything derives from the seed, so a
// failing seed replays exactly: `rules_sim --seed N --verbose`.
#pragma once
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rules/engine.h"
#include "rules/json_codec.h"
#include "rules/liveness.h"

namespace poolha::sim {

struct SimOptions {
  uint64_t seed = 1;
  int faults = 40;              // fault-schedule length
  rules::TimeMs duration_ms = 60000;
  rules::TimeMs settle_ms = 20000;  // fault-free tail before the convergence check
  bool verbose = false;
  // Every event the engine was given, in order, as scenario steps ({"event": ...}, or
  // {"restart": true} where the controller restarted): rules_sim --dump-scenario.
  std::vector<rules::Json>* record = nullptr;
};

struct SimReport {
  std::vector<std::string> violations;
  int actions_sent = 0;
  int takeovers = 0;              // completed NodeFailed failovers
  rules::TimeMs max_failover_ms = 0;  // node lost -> VIP held elsewhere
  std::vector<std::string> trace;  // with verbose
  std::vector<std::string> engine_actions;  // with record: every action the engine emitted, as JSON
};

SimReport run_simulation(const SimOptions& opt);

}  // namespace poolha::sim

// A seeded, deterministic simulation of the whole control plane: two controllers and
// an arbiter (plus a standby arbiter), each running the real consensus core (consensus::Raft), the real
// controller core (controller::ControllerCore, with its engine) and, on the arbiter,
// the real witness (arbiter::Witness); simulated agents on simulated hosts; a network
// that loses, duplicates, delays and reorders, with symmetric, asymmetric and one-way
// partitions; member crashes that lose unsynced writes or not, restarts, and pauses
// (VM freeze, SIGSTOP: the member's clock jumps ahead when it wakes).
//
// Checked after every event: Raft election safety, log matching, leader completeness
// and state-machine safety; design §6: one holder per VIP, one acting controller, no
// failover while the arbiter hears the node,
// acknowledged commands never lost, no node over capacity (planned and on the hosts), and after the faults heal
// every rule runs exactly once. Everything derives from the seed: a failing seed
// replays exactly (`controlplane_sim --seed N --verbose`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace poolha::sim {

struct ControlPlaneOptions {
  uint64_t seed = 1;
  int faults = 12;
  int64_t duration_ms = 12000;  // faults happen in [0, duration)
  int64_t settle_ms = 10000;    // then everything heals; convergence is checked at the end
  bool verbose = false;
};

struct ControlPlaneReport {
  std::vector<std::string> violations;
  uint64_t elections = 0;        // distinct (term, leader) pairs
  uint64_t committed = 0;        // highest committed index
  uint64_t acked_commands = 0;   // operator commands acknowledged
  uint64_t actions = 0;          // acquire/release sent to agents
  uint64_t snapshots_installed = 0;
  uint64_t failovers = 0;        // NodeFailed transitions started (each checked for design §6.4)
  uint64_t overrides = 0;        // no-quorum overrides the daemon's check admitted and the core started
  // Voting arbiter lost (crashed) -> standby promoted, for each replacement.
  std::vector<int64_t> arbiter_replacement_ms;
  std::vector<std::string> trace;
};

ControlPlaneReport run_control_plane(const ControlPlaneOptions& opt);

}  // namespace poolha::sim

// The controller's state is the result of applying a sequence of commands (engine
// events) in order. This interface is that sequence: the single controller keeps it
// in a local SQLite file; the replicated control plane (next step) puts a consensus
// log behind the same interface without the engine or the driver changing.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "rules/events.h"
#include "rules/model.h"

namespace poolha::controller {

struct LogEntry {
  uint64_t index = 0;
  rules::Event event;
};

struct RecoveredLog {
  std::optional<rules::ClusterState> snapshot;  // state after snapshot_index
  uint64_t snapshot_index = 0;
  std::vector<LogEntry> entries;  // after the snapshot, in order
};

class CommandLog {
 public:
  virtual ~CommandLog() = default;
  // Appends one command; returns once it is durable (fsynced). REQUIRES: called in
  // the order the commands are applied.
  virtual Expected<uint64_t> append(const rules::Event& e) = 0;
  // Everything needed to rebuild the state after a restart.
  virtual Expected<RecoveredLog> recover() = 0;
  // Records that `state` is the result of every entry up to `index`; older entries
  // may then be dropped.
  virtual Status snapshot(uint64_t index, const rules::ClusterState& state) = 0;
  virtual uint64_t last_index() const = 0;
};

}  // namespace poolha::controller

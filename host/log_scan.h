// The log_pattern monitor (host/check_spec.h), shared by both agents: which lines are
// new since the last call, how they are decoded and matched, what the detail says.
// The OS opens the file (a regular file inside the host's log_dirs, never a device
// or a link out: host/linux/checks.cc, host/windows/checks_win.cc) and reads it at an
// offset; everything else is here.
//
// The read position is kept per (path, pattern, encoding) in a process-wide map; the
// first call starts at the end of the file; a shrunken file or a new identity
// (rotation) restarts at offset 0; a missing file is healthy ("nothing to scan") and
// is read from its start when it appears. At most 8 MiB are scanned per call, lines are
// cut at 4096 characters' worth of bytes, an incomplete last line is read next time.
// UTF-16 files are split at U+000A on even offsets, and a byte-order mark is ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "host/check_spec.h"

namespace poolha::host {

// An open log file: who it is (device and inode on Linux, volume serial and file index
// on Windows), how long it is, and reads at an offset (bytes read, 0 at the end, < 0
// on error).
struct OpenLog {
  uint64_t volume = 0;
  uint64_t file = 0;
  int64_t size = 0;
  std::function<int64_t(int64_t offset, char* buf, size_t n)> read_at;
};

// The OS's part: opens `path` for a log_pattern monitor under `log_dirs`. nullopt if the
// file does not exist (yet); an error if it may not or cannot be read.
using LogOpener = std::function<Expected<std::optional<OpenLog>>(const std::string& path)>;

// Runs one log_pattern check (spec already valid): unhealthy if a new line matches.
CheckOutcome check_log_pattern(const CheckSpec& spec, std::chrono::steady_clock::time_point deadline,
                               const LogOpener& open);

}  // namespace poolha::host

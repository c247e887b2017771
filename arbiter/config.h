// poolha-arbiter's configuration file (docs/arbiter-config.md). Strict: an unknown
// key, a missing required key or a value of the wrong type is an error naming the
// key and its line, and the daemon refuses to start (exit 2).
#pragma once
#include <cstdint>
#include <string>

#include "common/status.h"
#include "member/cluster_config.h"
#include "wire/session.h"

namespace poolha::arbiter {

struct ArbiterConfig {
  std::string name;               // member id sent in HelloAck; the certificate's CN
  wire::TlsFiles tls;
  wire::Endpoint listen;          // "198.18.0.2:7400"
  int64_t sees_within_ms = 600;   // a node heard less than this long ago counts as seen
  std::string log_level = "info"; // trace, debug, info, warn, error, critical, off
  // Replicated control plane: the arbiter is also a consensus member (it votes and
  // keeps the log in state_dir; it hands leadership to a controller).
  std::string state_dir;
  std::optional<member::ClusterConfig> cluster;
};

// Parses YAML text; `source` names it in errors (normally the file path).
Expected<ArbiterConfig> parse_config(const std::string& yaml_text, const std::string& source);
Expected<ArbiterConfig> load_config(const std::string& path);

// Checks that each TLS file can be read, with the system's reason if not (the TLS
// context's own error for a missing file is only "asio.ssl error").
Status check_tls_files(const wire::TlsFiles& tls);

}  // namespace poolha::arbiter

// poolhactl's offline file work (CA, certificates, bootstrap files): small helpers
// shared by the PKI commands and `cluster bootstrap`.
#pragma once
#include <string>

#include "common/status.h"
#include "wire/pki.h"

namespace poolha::cli {

bool exists(const std::string& path);
// Creates dir (mode 0700) if missing; error says why not.
Status ensure_dir(const std::string& dir);
// <dir>/<name>.key (0600, first: a crash leaves no certificate without its key) and .crt.
Status write_pair(const std::string& dir, const std::string& name, const pki::KeyCert& kc);
// The CA in <dir>/ca.{crt,key}; error names the missing or unreadable file.
Expected<pki::KeyCert> read_ca(const std::string& dir);

}  // namespace poolha::cli

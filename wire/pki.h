// The cluster's own certificate authority (design §7): every connection between
// agents, controllers and the arbiter is mutually authenticated TLS against
// this CA, and new agents enrol with a one-time token.
//
// Identity lives in the certificate subject: CN = node/user name, OU = role.
// All keys are EC P-256. All functions are thread-safe (they keep no state);
// failures come back as values whose message names what failed and why,
// including the OpenSSL error string where OpenSSL was the one to refuse.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::pki {

// Encoded as the certificate's OU: "controller", "arbiter", "agent", "operator".
enum class Role { Controller, Arbiter, Agent, Operator };
std::string to_string(Role role);
std::optional<Role> parse_role(const std::string& s);

struct KeyCert {
  std::string key_pem;   // PKCS#8 PEM ("BEGIN PRIVATE KEY")
  std::string cert_pem;  // X.509 PEM
};

struct Identity {
  std::string common_name;
  Role role;
  std::string fingerprint_sha256;  // lowercase hex of SHA-256 over the DER certificate
  std::string serial;              // lowercase hex, no leading zeros: what a revocation names
};

// A serial number as revocations name it: 1..40 hex digits, any case, "0x" and ':'
// separators accepted; returns the canonical lowercase form without leading zeros.
Expected<std::string> canonical_serial(const std::string& text);

// Limits applied to every input (design §7: all external input is size-limited).
inline constexpr size_t kMaxPemBytes = 64 * 1024;
inline constexpr size_t kMaxNameBytes = 64;  // X.520 upper bound for a CN
inline constexpr int kMaxDays = 36500;

// A fresh EC P-256 private key as PKCS#8 PEM (unencrypted).
Expected<std::string> generate_key();

// Self-signed CA: CN "poolha CA <cluster_name>", O "poolha", basicConstraints
// CA:TRUE (critical, pathlen 0), keyUsage keyCertSign+cRLSign (critical).
Expected<KeyCert> create_ca(const std::string& cluster_name, int days);

// Issues a leaf certificate for (name, role) with a fresh key, signed by ca:
// serverAuth+clientAuth EKU, SANs from ips (IPv4/IPv6 literals) and dns names,
// random 128-bit serial, CN=name, OU=role. The validity is clamped so it never
// outlives the CA certificate.
Expected<KeyCert> issue(const KeyCert& ca, const std::string& name, Role role,
                        const std::vector<std::string>& ips,
                        const std::vector<std::string>& dns, int days);

// A PEM certificate signing request with subject CN=name, signed by key_pem.
Expected<std::string> make_csr(const std::string& key_pem, const std::string& name);

// Signs a CSR (normally an agent's enrolment request). The CSR's own signature
// is verified first and its key must be EC P-256 or P-384; the CN is forced to
// `name` (from the enrolment token) and OU to `role` — nothing in the CSR's
// subject or requested extensions is copied. No SANs are added.
Expected<std::string> sign_csr(const KeyCert& ca, const std::string& csr_pem,
                               const std::string& name, Role role, int days);

// Verifies that cert_pem chains to ca_cert_pem (X509_verify_cert, purpose any,
// validity times checked) and that it is a leaf (not a CA), then returns its
// identity. Error if any check fails or the subject has no valid CN/OU.
Expected<Identity> verify_identity(const std::string& ca_cert_pem, const std::string& cert_pem);

// The identity in cert_pem without any verification; for display only.
Expected<Identity> identity_of(const std::string& cert_pem);

// One-time enrolment tokens: 32 random bytes as 64 lowercase hex chars.
// Only hash_token(token) (SHA-256, lowercase hex) is ever stored.
// new_token() aborts the process if the OpenSSL CSPRNG fails (no safe fallback).
std::string new_token();
std::string hash_token(const std::string& token);

// Writes data to path atomically: temp file in the same directory, fchmod to
// mode (not subject to umask), write, fsync, rename over path, fsync directory.
// Use 0600 for keys and 0644 for certificates.
Status write_file_atomic(const std::string& path, const std::string& data, unsigned mode);

// Reads a regular file of at most max_bytes.
Expected<std::string> read_file(const std::string& path, size_t max_bytes = 1 << 20);
// A private key file must not be readable by group or others (issue 9 §3): the key
// is refused, with the chmod that fixes it, rather than used.
Status check_private_key_file(const std::string& path);
// read_file of a private key, after check_private_key_file.
Expected<std::string> read_private_key(const std::string& path);

}  // namespace poolha::pki

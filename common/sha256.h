// SHA-256 as lower-case hex, and HMAC-SHA-256: the audit chain's links, session ids kept
// only as their hash, CSRF tokens. OpenSSL underneath; deterministic, so the pure cores
// (access/) may use it.
#pragma once
#include <string>
#include <string_view>

namespace poolha {

std::string sha256_hex(std::string_view data);
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// Constant-time comparison of two strings (tokens, MACs).
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace poolha

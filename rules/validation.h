// Validation of operator-supplied specs. Each returns "" when valid, else a message
// naming the field and what is wrong with it.
#pragma once
#include <string>

#include "rules/model.h"

namespace poolha::rules {

std::string validate_pool(const PoolSpec&);
std::string validate_node(const NodeSpec&);
std::string validate_rule(const RuleSpec&);
std::string validate_settings(const Settings&);
// A revocation: `serial` in canonical form (lowercase hex, no leading zeros, 1..40
// digits), `note` at most 256 bytes.
std::string validate_revocation(const std::string& serial, const std::string& note);
inline constexpr size_t kMaxRevocations = 10000;
bool valid_id(const std::string&);      // [A-Za-z0-9][A-Za-z0-9._-]{0,62}
bool valid_cidr(const std::string&);    // IPv4 or IPv6 address with /prefix
bool valid_script_name(const std::string&);  // a plain file name, no path

}  // namespace poolha::rules

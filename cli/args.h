// Command-line parsing for poolhactl: words pick the command ("rule show"), options
// may appear anywhere ("--json", "--to n2", "--to=n2", "-f FILE"), "--" ends options.
// Parsing only: which options a command takes is checked against its CommandSpec.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::cli {

struct ParsedArgs {
  std::vector<std::string> words;                          // command words and positionals
  std::map<std::string, std::vector<std::string>> values;  // option -> values, in order
  std::set<std::string> flags;                             // options without a value

  bool flag(const std::string& name) const { return flags.count(name) > 0; }
  bool has(const std::string& name) const { return values.count(name) > 0; }
  // The last value given for an option, or `fallback`.
  std::string value(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& name) const;
  // Every option name given, for checking against what a command accepts.
  std::set<std::string> given() const;
};

// value_options: options that take a value; flag_options: those that do not.
// "-f" is "--file", "-h" is "--help". Error names the bad option.
Expected<ParsedArgs> parse_args(int argc, const char* const* argv, const std::set<std::string>& value_options,
                                const std::set<std::string>& flag_options);

// Integer option value within [lo, hi]; error names the option and the range.
Expected<long long> parse_int(const std::string& option, const std::string& text, long long lo, long long hi);

}  // namespace poolha::cli

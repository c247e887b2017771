// The one rule for every name an operator gives a thing: pools, nodes, rules, monitors,
// cluster members (controllers, arbiters) and agents' node ids. Such a name becomes a
// certificate's common name, a file or folder name, a YAML key and part of a URL, so
// it is kept to characters that are plain in all of them. The engine, every daemon's
// config reader, enrolment, membership changes and the CLI all check this one rule.
#pragma once

#include <cctype>
#include <cstddef>
#include <string_view>

namespace poolha {

inline constexpr size_t kMaxIdLength = 63;
// Said in every refusal, so operators see the same rule whichever part refused.
inline constexpr const char* kIdRule = "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";

inline bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

}  // namespace poolha

#include "cli/args.h"

#include <charconv>

namespace poolha::cli {

std::string ParsedArgs::value(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

std::set<std::string> ParsedArgs::given() const {
  std::set<std::string> out = flags;
  for (const auto& [k, v] : values) out.insert(k);
  return out;
}

Expected<ParsedArgs> parse_args(int argc, const char* const* argv, const std::set<std::string>& value_options,
                                const std::set<std::string>& flag_options) {
  using R = Expected<ParsedArgs>;
  ParsedArgs out;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.words.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string name, value;
    bool has_value = false;
    if (a == "-f") {
      name = "file";
    } else if (a == "-h") {
      name = "help";
    } else if (a.rfind("--", 0) == 0) {
      name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
    } else {
      return R::Error("unknown option '" + a + "'");
    }
    if (value_options.count(name)) {
      if (!has_value) {
        if (i + 1 >= argc) return R::Error("option --" + name + " needs a value");
        value = argv[++i];
      }
      out.values[name].push_back(value);
    } else if (flag_options.count(name)) {
      if (has_value) return R::Error("option --" + name + " takes no value");
      out.flags.insert(name);
    } else {
      return R::Error("unknown option '" + a + "'");
    }
  }
  return out;
}

Expected<long long> parse_int(const std::string& option, const std::string& text, long long lo, long long hi) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi)
    return Expected<long long>::Error("--" + option + " must be a whole number from " + std::to_string(lo) + " to " +
                                      std::to_string(hi) + ", got '" + text + "'");
  return v;
}

}  // namespace poolha::cli

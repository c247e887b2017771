#include "host/windows/script_command.h"

#include <algorithm>
#include <cctype>

#include "common/utf8.h"

namespace poolha::host::windows {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}


}  // namespace

bool is_device_name(const std::string& component) {
  std::string base = text::ascii_lower(component.substr(0, component.find('.')));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  for (const char* d : {"con", "prn", "aux", "nul", "conin$", "conout$"})
    if (base == d) return true;
  return base.size() == 4 && (base.rfind("com", 0) == 0 || base.rfind("lpt", 0) == 0) && base[3] >= '0' && base[3] <= '9';
}

Expected<ScriptKind> script_kind(const std::string& name) {
  const auto dot = name.rfind('.');
  const std::string ext = dot == std::string::npos ? "" : text::ascii_lower(name.substr(dot));
  if (ext == ".bat" || ext == ".cmd") return ScriptKind::Batch;
  if (ext == ".ps1") return ScriptKind::PowerShell;
  if (ext == ".exe") return ScriptKind::Exe;
  return Status::Error("script '" + name + "': expected a .bat, .cmd, .ps1 or .exe file");
}

Status validate_script_name(const std::string& name) {
  if (name.empty()) return Status::Error("script name is empty");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7F) return Status::Error("script name '" + name + "' contains control characters");
  if (name.find(':') != std::string::npos)
    return Status::Error("script name '" + name + "' contains ':' (a drive or a data stream); it must be relative");
  if (name.front() == '\\' || name.front() == '/')
    return Status::Error("script name '" + name + "' is absolute; it must be relative to the script directory");
  for (char bad : {'*', '?', '"', '<', '>', '|'})
    if (name.find(bad) != std::string::npos)
      return Status::Error("script name '" + name + "' contains '" + std::string(1, bad) + "'");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("\\/", start);
    if (end == std::string::npos) end = name.size();
    const std::string comp = name.substr(start, end - start);
    if (comp.empty()) return Status::Error("script name '" + name + "' contains an empty path component");
    if (comp == "." || comp == "..")
      return Status::Error("script name '" + name + "' contains a '" + comp + "' component");
    if (comp.back() == '.' || comp.back() == ' ')
      return Status::Error("script name '" + name + "': '" + comp + "' ends in a dot or a space");
    if (is_device_name(comp)) return Status::Error("script name '" + name + "': '" + comp + "' is a device name");
    start = end + 1;
  }
  return script_kind(name).status();
}

std::string quote_argument(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) return arg;
  // Backslashes are literal unless they precede a quote: then each is doubled, and
  // the quote is escaped (the rules of CommandLineToArgvW).
  std::string out = "\"";
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') {
      out.append(backslashes * 2 + 1, '\\');
      out += '"';
    } else {
      out.append(backslashes, '\\');
      out += c;
    }
    backslashes = 0;
  }
  out.append(backslashes * 2, '\\');
  out += '"';
  return out;
}

Status check_batch_arguments(const std::vector<std::string>& args) {
  for (const auto& a : args)
    for (unsigned char c : a)
      if (c < 0x20 || std::string_view("%^&|<>\"!").find(static_cast<char>(c)) != std::string_view::npos)
        return Status::Error("argument '" + a + "' contains a character cmd.exe interprets (% ^ & | < > \" !)");
  return Status::Ok();
}

CommandLine script_command_line(ScriptKind kind, const std::string& system_root, const std::string& script_path,
                                const std::vector<std::string>& args) {
  std::string tail;
  for (const auto& a : args) {
    tail += ' ';
    // cmd.exe also splits a batch file's arguments at '=', ',' and ';' unless quoted.
    const bool cmd_splits = kind == ScriptKind::Batch && a.find_first_of("=,;") != std::string::npos;
    tail += cmd_splits ? "\"" + a + "\"" : quote_argument(a);
  }
  switch (kind) {
    case ScriptKind::Batch: {
      // cmd /c strips the outer pair of quotes, leaving "PATH" ARGS; /d skips AutoRun.
      const std::string cmd = system_root + "\\System32\\cmd.exe";
      return {cmd, "\"" + cmd + "\" /d /c \"\"" + script_path + "\"" + tail + "\""};
    }
    case ScriptKind::PowerShell: {
      const std::string ps = system_root + "\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
      return {ps, "\"" + ps + "\" -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -File " +
                      quote_argument(script_path) + tail};
    }
    case ScriptKind::Exe:
      break;
  }
  return {script_path, quote_argument(script_path) + tail};
}

Expected<std::vector<std::string>> script_environment(const std::map<std::string, std::string>& env,
                                                      const std::string& system_root) {
  // Windows wants the block sorted by the upper-cased name ('_' sorts after 'Z').
  std::map<std::string, std::pair<std::string, std::string>> by_upper;
  for (const auto& [k, v] : env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos)
      return Status::Error("environment variable name '" + k + "' is invalid");
    if (v.find('\0') != std::string::npos) return Status::Error("environment variable " + k + " contains a NUL byte");
    by_upper[upper(k)] = {k, v};
  }
  // The system's own, which the caller's cannot replace (as PATH on Linux).
  const std::string temp = system_root + "\\Temp";
  const std::pair<const char*, std::string> fixed[] = {
      {"SystemRoot", system_root},
      {"windir", system_root},
      {"ComSpec", system_root + "\\System32\\cmd.exe"},
      {"PATH", system_root + "\\System32;" + system_root + ";" + system_root + "\\System32\\Wbem;" + system_root +
                   "\\System32\\WindowsPowerShell\\v1.0"},
      {"PATHEXT", ".COM;.EXE;.BAT;.CMD;.VBS;.JS;.WSF;.WSH;.MSC;.PS1"},
      {"TEMP", temp},
      {"TMP", temp},
  };
  for (const auto& [k, v] : fixed) by_upper[upper(k)] = {k, v};
  std::vector<std::string> out;
  for (const auto& [key, kv] : by_upper) out.push_back(kv.first + "=" + kv.second);
  return out;
}

}  // namespace poolha::host::windows

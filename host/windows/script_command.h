// How the Windows agent turns a script name into a process (pure, so that the rules
// are tested on Linux; script_runner_win.cc does the Win32 part):
//   .bat / .cmd  %SystemRoot%\System32\cmd.exe /d /c ""PATH" ARGS"
//   .ps1         %SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe -NoLogo
//                -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "PATH" ARGS
//                (PowerShell 4.0 on 2012 R2: the exit code is the script's `exit N`)
//   .exe         "PATH" ARGS
// and which environment it gets: only the caller's variables plus the few that
// Windows programs cannot run without (SystemRoot, windir, ComSpec, PATH of the
// system directories, PATHEXT, TEMP/TMP under %SystemRoot%\Temp), as Linux gives a
// script only the caller's variables plus a fixed PATH.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::host::windows {

enum class ScriptKind { Batch, PowerShell, Exe };

// The kind by extension (case-insensitive); error for any other extension.
Expected<ScriptKind> script_kind(const std::string& name);

// A script name relative to the script directory: '\' or '/' separated, no drive,
// no "." or ".." or empty components, no device names (CON, NUL, COM1...), no
// alternate data streams (':'), no trailing dots or spaces; the error says which.
Status validate_script_name(const std::string& name);

// A path component that names a DOS device (CON, PRN, AUX, NUL, COM1-9, LPT1-9,
// CONIN$, CONOUT$), with or without an extension, any case.
bool is_device_name(const std::string& component);

// One argument quoted by the rules CommandLineToArgvW (and the C runtime) parse.
std::string quote_argument(const std::string& arg);

// Arguments that cmd.exe would interpret (% ^ & | < > " ! and control characters) are
// refused for batch scripts; the error names the argument.
Status check_batch_arguments(const std::vector<std::string>& args);

// The full command line (UTF-8) for CreateProcess, and the program it starts.
struct CommandLine {
  std::string application;  // absolute path of the program CreateProcess starts
  std::string command_line;
};
CommandLine script_command_line(ScriptKind kind, const std::string& system_root, const std::string& script_path,
                                const std::vector<std::string>& args);

// "KEY=VALUE" strings, sorted case-insensitively as Windows requires of an
// environment block. Error on an empty name or one with '=' or NUL, or a NUL value.
Expected<std::vector<std::string>> script_environment(const std::map<std::string, std::string>& env,
                                                      const std::string& system_root);

}  // namespace poolha::host::windows

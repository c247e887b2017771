// A stand-in for powershell.exe in the wine prefix of the tests (wine has none): prints
// the arguments the agent passed, one per line, and exits with the N of the script's
// "exit N" line, as `powershell.exe -File` does. Copied to
// %SystemRoot%\System32\WindowsPowerShell\v1.0\ by script_runner_win_test.cc.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/fs_path.h"
#include "common/windows/utf8_args.h"

int main() {
  poolha::win::Utf8Args args;
  std::string script;
  for (int i = 1; i < args.argc(); ++i) {
    std::printf("arg: %s\n", args.argv()[i]);
    if (std::string(args.argv()[i]) == "-File" && i + 1 < args.argc()) script = args.argv()[i + 1];
  }
  std::ifstream in(poolha::fs_path(script));
  std::string line;
  int code = 0;
  while (std::getline(in, line))
    if (line.rfind("exit ", 0) == 0) code = std::atoi(line.c_str() + 5);
  return code;
}

// main()'s arguments as UTF-8. The C runtime hands main() the command line in the ANSI
// code page (GBK on Chinese Windows), so a path such as "D:\日志\agent.yaml" would arrive
// as GBK bytes; this reads the UTF-16 command line instead.
#pragma once
#include <string>
#include <vector>

namespace poolha::win {

class Utf8Args {
 public:
  Utf8Args();  // from GetCommandLineW
  int argc() const { return static_cast<int>(ptrs_.size()) - 1; }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

}  // namespace poolha::win

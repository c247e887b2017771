#include "common/windows/utf8_args.h"

#include <windows.h>
#include <shellapi.h>

#include "common/windows/wide.h"

namespace poolha::win {

Utf8Args::Utf8Args() {
  int n = 0;
  LPWSTR* w = CommandLineToArgvW(GetCommandLineW(), &n);
  for (int i = 0; w && i < n; ++i) args_.push_back(narrow(w[i]));
  if (w) LocalFree(w);
  for (auto& a : args_) ptrs_.push_back(a.data());
  ptrs_.push_back(nullptr);
}

}  // namespace poolha::win
